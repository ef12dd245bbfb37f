using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hub.Api.Auth;

/// <summary>Signs the hub's access tokens (RFC 9068 shaped JWTs) with the hub's own key.</summary>
public sealed class TokenIssuer(HubSigningKey key, IOptions<AuthOptions> options, TimeProvider time)
{
    public const string TokenType = "at+jwt";

    static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public string Issuer => options.Value.Issuer;

    /// <summary>The <c>aud</c> of every access token: the hub itself.</summary>
    public string Audience => options.Value.Issuer;

    public TimeSpan DefaultLifetime => TimeSpan.FromSeconds(options.Value.TokenLifetimeSeconds);

    public string Issue(string org, string orgType, string? role, string purpose, string? nhsNumber, string scope, string? clientId, TimeSpan? lifetime = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(org);
        ArgumentException.ThrowIfNullOrWhiteSpace(orgType);
        var now = time.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = clientId ?? $"{orgType}/{org}",
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
            [HubClaims.Org] = org,
            [HubClaims.OrgType] = orgType,
            [HubClaims.Purpose] = string.IsNullOrWhiteSpace(purpose) ? PurposesOfUse.Default : purpose,
            [HubClaims.Scope] = scope,
        };
        if (!string.IsNullOrWhiteSpace(role)) claims[HubClaims.Role] = role;
        if (!string.IsNullOrWhiteSpace(nhsNumber)) claims[HubClaims.NhsNumber] = nhsNumber;
        if (!string.IsNullOrWhiteSpace(clientId)) claims[HubClaims.ClientId] = clientId;

        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime ?? DefaultLifetime),
            Claims = claims,
            TokenType = TokenType,
            SigningCredentials = key.Credentials,
        });
    }
}
