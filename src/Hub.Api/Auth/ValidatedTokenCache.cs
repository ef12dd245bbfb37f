using System.Collections.Concurrent;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hub.Api.Auth;

/// <summary>
/// The JWT handler with a memory of tokens it has already validated: a system sends the same access token on every
/// request for its lifetime, and checking an RS384 signature each time was a fifth of the cost of a read.
/// A token is remembered only while it is valid, only for the hub's own signing key (which never changes while the hub
/// runs), and the remembered result is the handler's own; every other check is the handler's.
/// </summary>
public sealed class ValidatedTokenCache(TimeProvider time) : JsonWebTokenHandler
{
    const int MaxEntries = 20_000;
    readonly ConcurrentDictionary<string, (TokenValidationResult Result, DateTime ValidTo)> validated = new(StringComparer.Ordinal);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (validated.TryGetValue(token, out var known))
        {
            if (known.ValidTo > now) return known.Result;
            validated.TryRemove(token, out _);
        }
        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken is JsonWebToken jwt && jwt.ValidTo > now)
        {
            // A crude bound: forgetting everything costs one signature check per live token, nothing more.
            if (validated.Count >= MaxEntries) validated.Clear();
            validated[token] = (result, jwt.ValidTo);
        }
        return result;
    }
}
