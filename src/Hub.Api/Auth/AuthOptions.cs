using Microsoft.Extensions.Options;

namespace Hub.Api.Auth;

/// <summary>Configuration section <c>Hub:Auth</c>: who signs tokens, with which key, and which clients may ask for one.</summary>
public sealed class AuthOptions
{
    public const string Section = "Hub:Auth";

    /// <summary>The <c>iss</c> (and <c>aud</c>) of the hub's access tokens. When it is an absolute http(s) URL,
    /// <c>{Issuer}/auth/token</c> is also accepted as a client assertion's audience (for a hub behind a proxy).</summary>
    public string Issuer { get; set; } = "carehub";

    /// <summary>Serve <c>POST /auth/dev-token</c>, which signs any claims it is asked for. Never on in production.</summary>
    public bool DevTokens { get; set; }

    /// <summary>PEM file of the hub's RSA private key, relative to the current directory; created when absent.</summary>
    public string SigningKey { get; set; } = Path.Combine(".carehub", "signing-key.pem");

    public int TokenLifetimeSeconds { get; set; } = 3600;

    /// <summary>SMART Backend Services clients allowed to call <c>POST /auth/token</c>.</summary>
    public List<ClientRegistration> Clients { get; set; } = [];
}

/// <summary>One registered SMART Backend Services client and the organisation its tokens speak for.</summary>
public sealed class ClientRegistration
{
    public string ClientId { get; set; } = "";
    public string Org { get; set; } = "";
    public string OrgType { get; set; } = "";
    public string? Role { get; set; }

    /// <summary>Space-separated SMART scopes the client may be granted, e.g. <c>system/*.rs</c>.</summary>
    public string Scopes { get; set; } = "";

    /// <summary>The client's public JWK (RSA for RS384, EC P-384 for ES384) as JSON. In configuration it may be
    /// written either as one JSON string or as an object of its members (<c>Jwk:kty</c>, <c>Jwk:n</c> …).</summary>
    public string? Jwk { get; set; }
}

/// <summary>Fails start-up on a client registration that could never sign in, rather than on its first request.</summary>
sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Issuer)) problems.Add("Hub:Auth:Issuer is required");
        if (string.IsNullOrWhiteSpace(options.SigningKey)) problems.Add("Hub:Auth:SigningKey is required");
        if (options.TokenLifetimeSeconds is < 60 or > 86400) problems.Add("Hub:Auth:TokenLifetimeSeconds must be between 60 and 86400");

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in options.Clients)
        {
            var who = $"Hub:Auth:Clients '{c.ClientId}'";
            if (string.IsNullOrWhiteSpace(c.ClientId)) problems.Add("Hub:Auth:Clients: every client needs a ClientId");
            else if (!seen.Add(c.ClientId)) problems.Add($"{who} is registered twice");
            if (string.IsNullOrWhiteSpace(c.Org)) problems.Add($"{who}: Org is required");
            // A young person's token must name their NHS number, which a registered client has no place for.
            if (!OrgTypes.All.Contains(c.OrgType) || c.OrgType == OrgTypes.YoungPerson)
                problems.Add($"{who}: OrgType must be one of {string.Join(", ", OrgTypes.All.Where(t => t != OrgTypes.YoungPerson))}");
            if (Auth.Scopes.Parse(c.Scopes).Count == 0) problems.Add($"{who}: Scopes is required");
            if (RegisteredClients.ParseJwk(c.Jwk) is null) problems.Add($"{who}: Jwk must be a public RSA or EC P-384 JSON Web Key");
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
