using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using Hub.Api.Auth;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hub.Api.Peers;

/// <summary>
/// The client side of hub to hub (decisions.md "Tokens, keys and other hubs"): signs in at a peer with SMART Backend
/// Services (a private_key_jwt client assertion for client_credentials), keeps the access token until shortly before it
/// expires, and signs the <c>X-On-Behalf-Of</c> JWT that carries our own caller's claims.
/// </summary>
public sealed class PeerSignIn(PeerDirectory peers, IHttpClientFactory http, TimeProvider clock, ILogger<PeerSignIn> log)
{
    public const string HttpClientName = "peer-hubs";

    /// <summary>SMART Backend Services allows an assertion at most 5 minutes; ours live less, for clock skew.</summary>
    static readonly TimeSpan AssertionLifetime = TimeSpan.FromMinutes(4);
    /// <summary>A carried caller is good for one request: short, so a leaked header is soon worthless.</summary>
    static readonly TimeSpan OnBehalfOfLifetime = TimeSpan.FromMinutes(2);
    /// <summary>A token is renewed this long before it expires, so none expires in flight.</summary>
    static readonly TimeSpan RenewBefore = TimeSpan.FromSeconds(60);

    static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Until)> tokens = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, SemaphoreSlim> signingIn = new(StringComparer.Ordinal);

    /// <summary>
    /// The Authorization header for a request to <paramref name="endpointBaseUrl"/>: a bearer token of the peer it belongs
    /// to, or null when it is no configured peer (other endpoints get no credentials unless configured). Throws
    /// <see cref="HttpRequestException"/> when the peer refuses or cannot be reached, like any failed delivery.
    /// </summary>
    public async Task<AuthenticationHeaderValue?> AuthorizationForAsync(string endpointBaseUrl, CancellationToken ct) =>
        peers.Find(endpointBaseUrl) is { } peer ? new AuthenticationHeaderValue("Bearer", await AccessTokenAsync(peer, ct)) : null;

    /// <summary>A valid access token for the peer: the cached one, or a new one from its token endpoint.</summary>
    public async Task<string> AccessTokenAsync(Peer peer, CancellationToken ct)
    {
        if (Cached(peer) is { } token) return token;
        var gate = signingIn.GetOrAdd(peer.Name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (Cached(peer) is { } again) return again; // another request signed in while this one waited
            var (fresh, lifetime) = await RequestTokenAsync(peer, ct);
            tokens[peer.Name] = (fresh, clock.GetUtcNow() + lifetime);
            return fresh;
        }
        finally { gate.Release(); }
    }

    /// <summary>Drops the cached token (the peer answered 401: it restarted with another key, or revoked us).</summary>
    public void Forget(Peer peer) => tokens.TryRemove(peer.Name, out _);

    /// <summary><see cref="Forget(Peer)"/> for the peer a URL belongs to, if any.</summary>
    public void ForgetFor(string endpointBaseUrl)
    {
        if (peers.Find(endpointBaseUrl) is { } peer) Forget(peer);
    }

    string? Cached(Peer peer) =>
        tokens.TryGetValue(peer.Name, out var t) && t.Until - RenewBefore > clock.GetUtcNow() ? t.Token : null;

    async Task<(string Token, TimeSpan Lifetime)> RequestTokenAsync(Peer peer, CancellationToken ct)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["scope"] = peer.Config.Scope,
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = ClientAssertion(peer, clock.GetUtcNow()),
        };
        using var client = http.CreateClient(HttpClientName);
        using var response = await client.PostAsync(peer.Config.TokenUrl, new FormUrlEncodedContent(form), ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            // The OAuth error code only: the description is the peer's text, kept out of our logs and exceptions.
            var error = TryRead(body, "error") ?? "no error code";
            log.LogWarning("Sign-in at peer {Peer} refused: HTTP {Status} {Error}", peer.Name, (int)response.StatusCode, error);
            throw new HttpRequestException($"sign-in at peer hub {peer.Name} refused: HTTP {(int)response.StatusCode} {error}", null, response.StatusCode);
        }
        var token = TryRead(body, "access_token") ?? throw new HttpRequestException($"peer hub {peer.Name} answered its token endpoint without an access_token");
        var seconds = JsonDocument.Parse(body).RootElement.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var s) ? s : 300;
        log.LogInformation("Signed in at peer {Peer} for {Seconds} s", peer.Name, seconds);
        return (token, TimeSpan.FromSeconds(seconds));
    }

    static string? TryRead(string json, string member)
    {
        try { return JsonDocument.Parse(json).RootElement.TryGetProperty(member, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null; }
        catch (JsonException) { return null; }
    }

    /// <summary>The private_key_jwt of SMART Backend Services: iss = sub = our client id, aud = the peer's token endpoint, a fresh jti, exp within 5 minutes.</summary>
    public static string ClientAssertion(Peer peer, DateTimeOffset now) => Handler.CreateToken(new SecurityTokenDescriptor
    {
        Issuer = peer.Config.ClientId,
        Audience = peer.Config.TokenUrl,
        IssuedAt = now.UtcDateTime,
        NotBefore = now.UtcDateTime,
        Expires = (now + AssertionLifetime).UtcDateTime,
        Claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = peer.Config.ClientId,
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
        },
        SigningCredentials = peer.Credentials,
    });

    /// <summary>
    /// Our caller's claims for the peer to decide on (<c>X-On-Behalf-Of</c>), signed with the key the peer has registered
    /// for us, so it knows the claims come from us: iss = our client id, aud = the peer, valid for one request's while.
    /// </summary>
    public string OnBehalfOf(Peer peer, Caller caller) => OnBehalfOfToken(peer, caller, clock.GetUtcNow());

    public static string OnBehalfOfToken(Peer peer, Caller caller, DateTimeOffset now)
    {
        if (caller.OrgType is OrgTypes.Hub or OrgTypes.Admin)
            throw new ArgumentException("only a clinician's or an LA's caller is carried to another hub, never a hub or an admin", nameof(caller));
        var claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = $"{caller.OrgType}/{caller.Org}",
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
            [HubClaims.Org] = caller.Org,
            [HubClaims.OrgType] = caller.OrgType,
            [HubClaims.Purpose] = caller.Purpose,
        };
        if (caller.Role is { Length: > 0 } role) claims[HubClaims.Role] = role;
        if (caller.NhsNumber is { Length: > 0 } nhs) claims[HubClaims.NhsNumber] = nhs;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = peer.Config.ClientId,
            Audience = peer.Config.Root,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + OnBehalfOfLifetime).UtcDateTime,
            Claims = claims,
            TokenType = Peers.OnBehalfOf.TokenType,
            SigningCredentials = peer.Credentials,
        });
    }
}
