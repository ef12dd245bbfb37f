using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hub.Api.Auth;

/// <summary><c>POST /auth/token</c>: SMART Backend Services — client_credentials with a private_key_jwt client
/// assertion (RS384 or ES384) checked against the client's registered JWK. Errors follow RFC 6749 §5.2, all with 400.</summary>
static class BackendServicesToken
{
    public const string Path = "/auth/token";
    const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    static readonly TimeSpan MaxAssertionLifetime = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    public static readonly string[] Algorithms = [SecurityAlgorithms.RsaSha384, SecurityAlgorithms.EcdsaSha384];

    /// <summary>
    /// How a JWT a registered client signed is checked (its client assertion here, a peer hub's X-On-Behalf-Of too):
    /// issued by the client, for one of these audiences, signed with its registered key by an allowed algorithm, current.
    /// </summary>
    public static TokenValidationParameters SignedBy(RegisteredClient client, IEnumerable<string> audiences) => new()
    {
        ValidIssuer = client.ClientId,
        ValidAudiences = audiences,
        IssuerSigningKey = client.Key,
        ValidAlgorithms = Algorithms,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateLifetime = true,
        ClockSkew = ClockSkew,
        // The registered JWK is trusted as configured; there is no certificate whose dates could be checked.
        ValidateIssuerSigningKey = false,
    };
    static readonly JsonWebTokenHandler Handler = new();

    public static async Task<IResult> HandleAsync(
        HttpContext http,
        [FromServices] RegisteredClients clients,
        [FromServices] AssertionReplayGuard replay,
        [FromServices] TokenIssuer issuer,
        [FromServices] IOptions<AuthOptions> options,
        [FromServices] TimeProvider time,
        [FromServices] ILoggerFactory logs)
    {
        var log = logs.CreateLogger(typeof(BackendServicesToken).FullName!);
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        string? clientId = null;

        IResult Refuse(string error, string description)
        {
            log.LogWarning("Token request refused: {Error} ({Description}) for client {ClientId}", error, description, clientId ?? "(none)");
            return OAuthError.Result(error, description);
        }

        if (!http.Request.HasFormContentType) return Refuse("invalid_request", "the body must be application/x-www-form-urlencoded");
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        if (form.Any(f => f.Value.Count > 1)) return Refuse("invalid_request", $"parameter '{form.First(f => f.Value.Count > 1).Key}' is repeated");
        string? Param(string name) => form.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v) ? v.ToString() : null;

        var grantType = Param("grant_type");
        if (grantType is null) return Refuse("invalid_request", "grant_type is required");
        if (grantType != "client_credentials") return Refuse("unsupported_grant_type", "grant_type must be client_credentials");
        if (Param("client_assertion_type") != AssertionType) return Refuse("invalid_client", $"client_assertion_type must be {AssertionType}");
        var assertion = Param("client_assertion");
        if (assertion is null) return Refuse("invalid_client", "client_assertion is required");
        var scope = Param("scope");
        if (scope is null) return Refuse("invalid_request", "scope is required");

        JsonWebToken unverified;
        try
        {
            unverified = new JsonWebToken(assertion);
        }
        catch (ArgumentException)
        {
            return Refuse("invalid_client", "client_assertion is not a JWT");
        }
        if (unverified.IsEncrypted) return Refuse("invalid_client", "client_assertion must be a signed JWT, not an encrypted one");
        if (!Algorithms.Contains(unverified.Alg)) return Refuse("invalid_client", "client_assertion alg must be RS384 or ES384");
        clientId = unverified.Issuer;
        if (string.IsNullOrEmpty(clientId) || unverified.Subject != clientId) return Refuse("invalid_client", "iss and sub must both be the client_id");
        if (Param("client_id") is { } formClientId && formClientId != clientId) return Refuse("invalid_client", "client_id does not match the client_assertion");
        if (!clients.TryGet(clientId, out var client)) return Refuse("invalid_client", "the client is not registered");

        var audiences = TokenEndpointUrls(http.Request, options.Value.Issuer);
        var result = await Handler.ValidateTokenAsync(assertion, SignedBy(client, audiences));
        if (!result.IsValid) return Refuse("invalid_client", Describe(result.Exception, audiences));

        var jwt = (JsonWebToken)result.SecurityToken;
        if (string.IsNullOrEmpty(jwt.Id)) return Refuse("invalid_client", "client_assertion needs a jti");
        var expires = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero);
        if (expires > time.GetUtcNow() + MaxAssertionLifetime + ClockSkew) return Refuse("invalid_client", "client_assertion exp must be at most 5 minutes ahead");
        if (!replay.TryUse(client.ClientId, jwt.Id, expires)) return Refuse("invalid_client", "client_assertion jti has been used before");

        var granted = Scopes.Intersect(Scopes.Parse(scope), Scopes.Parse(client.Registration.Scopes));
        if (granted.Count == 0) return Refuse("invalid_scope", "none of the requested scopes is allowed for this client");

        var reg = client.Registration;
        var grantedScope = string.Join(' ', granted);
        var token = issuer.Issue(reg.Org, reg.OrgType, reg.Role, PurposesOfUse.Default, nhsNumber: null, grantedScope, reg.ClientId);
        log.LogInformation("Issued an access token to client {ClientId} with scope {Scope}", reg.ClientId, grantedScope);
        return Results.Json(new TokenResponse(token, "bearer", (int)issuer.DefaultLifetime.TotalSeconds, grantedScope));
    }

    /// <summary>The audiences a client assertion may name: this endpoint as the request reached it, and as
    /// addressed under the configured issuer when that is a URL (the public address behind a proxy).</summary>
    static List<string> TokenEndpointUrls(HttpRequest request, string issuer)
    {
        var urls = new List<string> { UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, Path) };
        if (Uri.TryCreate(issuer, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
            urls.Add(issuer.TrimEnd('/') + Path);
        return urls;
    }

    static string Describe(Exception? e, List<string> audiences) => e switch
    {
        SecurityTokenExpiredException => "client_assertion has expired",
        SecurityTokenNotYetValidException => "client_assertion is not valid yet (nbf)",
        SecurityTokenNoExpirationException => "client_assertion needs an exp",
        SecurityTokenInvalidLifetimeException => "client_assertion exp/nbf are not valid",
        SecurityTokenInvalidAudienceException => $"client_assertion aud must be the token endpoint URL ({audiences[0]})",
        SecurityTokenInvalidIssuerException => "client_assertion iss must be the client_id",
        SecurityTokenInvalidAlgorithmException => "client_assertion alg must be RS384 or ES384",
        _ => "client_assertion signature does not verify with the client's registered key using RS384 or ES384",
    };

    sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("token_type")] string TokenType,
        [property: JsonPropertyName("expires_in")] int ExpiresIn,
        [property: JsonPropertyName("scope")] string Scope);
}

/// <summary>An RFC 6749 §5.2 error body; the auth endpoints answer every refusal with it and status 400.</summary>
sealed record OAuthError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string Description)
{
    public static IResult Result(string error, string description) =>
        Results.Json(new OAuthError(error, description), statusCode: StatusCodes.Status400BadRequest);
}
