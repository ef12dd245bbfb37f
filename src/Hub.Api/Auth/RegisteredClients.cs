using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Hub.Api.Auth;

/// <summary>A SMART Backend Services client known to the hub, with its public key ready to check signatures.</summary>
public sealed record RegisteredClient(ClientRegistration Registration, JsonWebKey Key)
{
    public string ClientId => Registration.ClientId;
}

/// <summary>The clients of <c>Hub:Auth:Clients</c>, keyed by client id; their JWKs are parsed once.</summary>
public sealed class RegisteredClients(IOptions<AuthOptions> options)
{
    readonly Lazy<IReadOnlyDictionary<string, RegisteredClient>> clients = new(() =>
        options.Value.Clients
            .Select(c => (c, key: ParseJwk(c.Jwk)))
            .Where(x => x.key is not null && !string.IsNullOrEmpty(x.c.ClientId))
            .GroupBy(x => x.c.ClientId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new RegisteredClient(g.First().c, g.First().key!), StringComparer.Ordinal));

    public bool TryGet(string clientId, out RegisteredClient client) => clients.Value.TryGetValue(clientId, out client!);

    /// <summary>A public RSA key, or a public EC key on P-384; null for anything else (private keys included).</summary>
    public static JsonWebKey? ParseJwk(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        JsonWebKey key;
        try
        {
            key = new JsonWebKey(json);
        }
        catch (Exception e) when (e is ArgumentException or JsonException)
        {
            return null;
        }
        if (key.HasPrivateKey || !string.IsNullOrEmpty(key.K)) return null;
        var usable = key.Kty switch
        {
            JsonWebAlgorithmsKeyTypes.RSA => !string.IsNullOrEmpty(key.N) && !string.IsNullOrEmpty(key.E),
            JsonWebAlgorithmsKeyTypes.EllipticCurve => key.Crv == JsonWebKeyECTypes.P384 && !string.IsNullOrEmpty(key.X) && !string.IsNullOrEmpty(key.Y),
            _ => false,
        };
        return usable ? key : null;
    }
}
