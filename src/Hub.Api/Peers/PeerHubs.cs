using System.Security.Cryptography;
using Hub.Api.Auth;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Hub.Api.Peers;

/// <summary>One other CareHub this hub signs in at (<c>Hub:Peers:N</c>): where it is, who we are to it, with which key.</summary>
public sealed class PeerHub
{
    /// <summary>Our name for the peer. The peer, registered here as a client of ours, has this as its <c>Org</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>The peer's root URL (its FHIR API is <c>{BaseUrl}/fhir</c>, its token endpoint <c>{BaseUrl}/auth/token</c>).</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>Our client id in the peer's <c>Hub:Auth:Clients</c>.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>PEM of the private key (RSA → RS384, EC P-384 → ES384) the peer has registered for us; empty means the
    /// hub's own signing key (<c>Hub:Auth:SigningKey</c>), whose public half is at <c>/.well-known/jwks.json</c>.</summary>
    public string? PrivateKey { get; set; }

    /// <summary>The SMART scopes asked for; the peer grants what it registered for us of them.</summary>
    public string Scope { get; set; } = "system/*.rs system/Communication.c";

    /// <summary>The ICBs whose clinicians the peer serves (informational: the reference data's endpoints decide where notifications go).</summary>
    public List<string> Icbs { get; set; } = [];

    public string Root => BaseUrl.TrimEnd('/');
    public string FhirBase => Root + "/fhir";
    public string TokenUrl => Root + BackendServicesToken.Path;
}

/// <summary>A configured peer with the credentials it signs with.</summary>
public sealed record Peer(PeerHub Config, SigningCredentials Credentials)
{
    public string Name => Config.Name;
}

/// <summary>
/// The peers of <c>Hub:Peers</c>, their keys read once. Which peer a URL belongs to is decided here and only here: a
/// notification's links and a notifier's endpoint are followed only when they lead to a configured peer.
/// </summary>
public sealed class PeerDirectory
{
    readonly IReadOnlyList<Peer> peers;

    public PeerDirectory(IOptions<PeersOptions> options, HubSigningKey hubKey)
    {
        peers = options.Value.Peers.Select(p => new Peer(p, string.IsNullOrWhiteSpace(p.PrivateKey) ? hubKey.Credentials : PeerKeys.Load(p.PrivateKey))).ToList();
    }

    public IReadOnlyList<Peer> All => peers;

    public Peer? Named(string? name) => name is null ? null : peers.FirstOrDefault(p => p.Name == name);

    /// <summary>The peer whose base URL <paramref name="url"/> lies under; null for any other URL.</summary>
    public Peer? Find(string? url) => url is null ? null : peers.FirstOrDefault(p => IsUnder(url, p.Config.BaseUrl));

    /// <summary>Same scheme, host and port, and a path at or below the base's, segment by segment (never a look-alike host).</summary>
    public static bool IsUnder(string url, string baseUrl)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || !Uri.TryCreate(baseUrl, UriKind.Absolute, out var b)) return false;
        if (u.Scheme != b.Scheme || !string.Equals(u.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) || u.Port != b.Port) return false;
        if (!string.IsNullOrEmpty(u.UserInfo)) return false;
        var basePath = b.AbsolutePath.TrimEnd('/');
        var path = u.AbsolutePath;
        return basePath.Length == 0 || path == basePath || path.StartsWith(basePath + "/", StringComparison.Ordinal);
    }
}

/// <summary><c>Hub:Peers</c> (a list) and <c>Hub:KeptSummaries</c> (how hard a received notification's summary is fetched).</summary>
public sealed class PeersOptions
{
    public List<PeerHub> Peers { get; set; } = [];
}

/// <summary><c>Hub:KeptSummaries</c>: the fetch of a notified child's summary from the sending hub, retried like a notification.</summary>
public sealed class KeptSummaryOptions
{
    public double RetrySeconds { get; set; } = 30;
    public double MaxRetrySeconds { get; set; } = 3600;
    public double GiveUpAfterSeconds { get; set; } = 24 * 3600;
    public double TimeoutSeconds { get; set; } = 30;
}

/// <summary>Reads a peer sign-in key from PEM: RSA (RS384) or EC on P-384 (ES384), as SMART Backend Services allows.</summary>
public static class PeerKeys
{
    public static SigningCredentials Load(string path)
    {
        var pem = File.ReadAllText(Path.GetFullPath(path));
        if (TryRsa(pem) is { } rsa)
        {
            var key = new RsaSecurityKey(rsa) { KeyId = Thumbprint(JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)))) };
            return new SigningCredentials(key, SecurityAlgorithms.RsaSha384);
        }
        var ec = TryEc(pem) ?? throw new InvalidOperationException($"Hub:Peers key {path} is not an unencrypted RSA or EC P-384 private key in PEM");
        if (ec.KeySize != 384) throw new InvalidOperationException($"Hub:Peers key {path} is an EC key on a curve other than P-384");
        var ecKey = new ECDsaSecurityKey(ec);
        ecKey.KeyId = Thumbprint(JsonWebKeyConverter.ConvertFromECDsaSecurityKey(ecKey));
        return new SigningCredentials(ecKey, SecurityAlgorithms.EcdsaSha384);
    }

    static RSA? TryRsa(string pem)
    {
        var rsa = RSA.Create();
        try { rsa.ImportFromPem(pem); return rsa; }
        catch (Exception e) when (e is ArgumentException or CryptographicException) { rsa.Dispose(); return null; }
    }

    static ECDsa? TryEc(string pem)
    {
        var ec = ECDsa.Create();
        try { ec.ImportFromPem(pem); return ec; }
        catch (Exception e) when (e is ArgumentException or CryptographicException) { ec.Dispose(); return null; }
    }

    static string Thumbprint(JsonWebKey jwk) => Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint());
}

/// <summary>Fails start-up on a peer that could never be signed in at.</summary>
sealed class PeersOptionsValidator : IValidateOptions<PeersOptions>
{
    public ValidateOptionsResult Validate(string? name, PeersOptions options)
    {
        var problems = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in options.Peers)
        {
            var who = $"Hub:Peers '{p.Name}'";
            if (string.IsNullOrWhiteSpace(p.Name)) problems.Add("Hub:Peers: every peer needs a Name");
            else if (!names.Add(p.Name)) problems.Add($"{who} is configured twice");
            if (!Uri.TryCreate(p.BaseUrl, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(u.Query))
                problems.Add($"{who}: BaseUrl must be an absolute http(s) URL without a query");
            if (string.IsNullOrWhiteSpace(p.ClientId)) problems.Add($"{who}: ClientId is required");
            if (!string.IsNullOrWhiteSpace(p.PrivateKey))
            {
                try { PeerKeys.Load(p.PrivateKey); }
                catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException) { problems.Add($"{who}: {e.Message}"); }
            }
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
