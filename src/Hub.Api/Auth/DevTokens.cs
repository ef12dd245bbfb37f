using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Hub.Api.Auth;

/// <summary><c>POST /auth/dev-token</c>: signs whatever caller it is asked for, for local runs, demos and tests.
/// Only when <c>Hub:Auth:DevTokens</c> is true; 404 otherwise, as if it did not exist.</summary>
static class DevTokens
{
    public const string Path = "/auth/dev-token";

    /// <summary>Every dev token, a young person's included, gets the widest scope: the consent rules decide what the
    /// caller sees, and <see cref="Scopes.Allows"/> treats it like any other system scope (decisions.md).</summary>
    public const string Scope = "system/*.cruds";

    public static async Task<IResult> HandleAsync(
        HttpContext http,
        [FromServices] TokenIssuer issuer,
        [FromServices] IOptions<AuthOptions> options,
        [FromServices] ILoggerFactory logs)
    {
        if (!options.Value.DevTokens) return Results.NotFound();
        http.Response.Headers.CacheControl = "no-store";

        DevTokenRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<DevTokenRequest>(http.Request.Body, cancellationToken: http.RequestAborted);
        }
        catch (JsonException e)
        {
            return OAuthError.Result("invalid_request", $"the body is not the expected JSON: {e.Message}");
        }
        if (body is null) return OAuthError.Result("invalid_request", "a JSON body is required");
        if (Problem(body) is { } problem) return OAuthError.Result("invalid_request", problem);

        var purpose = string.IsNullOrWhiteSpace(body.Purpose) ? PurposesOfUse.Default : body.Purpose;
        var role = string.IsNullOrWhiteSpace(body.Role) ? null : body.Role.Trim();
        var nhs = body.OrgType == OrgTypes.YoungPerson ? body.NhsNumber : null;
        var token = issuer.Issue(body.Org!.Trim(), body.OrgType!, role, purpose, nhs, Scope, clientId: null);
        // Org type and purpose only: the org of a young person would say nothing, and their NHS number must not be logged.
        logs.CreateLogger(typeof(DevTokens).FullName!).LogInformation("Issued a dev token for org type {OrgType} with purpose {Purpose}", body.OrgType, purpose);
        return Results.Json(new DevTokenResponse(token, "Bearer", (int)issuer.DefaultLifetime.TotalSeconds));
    }

    static string? Problem(DevTokenRequest body)
    {
        if (string.IsNullOrWhiteSpace(body.Org)) return "org is required";
        if (body.OrgType is null || !OrgTypes.All.Contains(body.OrgType))
            return $"org_type must be one of {string.Join(", ", OrgTypes.All)}";
        if (!string.IsNullOrWhiteSpace(body.Purpose) && !PurposesOfUse.IsKnown(body.Purpose))
            return $"purpose_of_use must be one of {string.Join(", ", PurposesOfUse.All)}";
        if (body.OrgType == OrgTypes.YoungPerson)
            return IsNhsNumber(body.NhsNumber) ? null : "nhs_number (10 digits with a valid modulus 11 check digit) is required for org_type young-person";
        return string.IsNullOrEmpty(body.NhsNumber) ? null : "nhs_number is only for org_type young-person";
    }

    /// <summary>Ten digits whose last is the modulus 11 check digit of the first nine.</summary>
    static bool IsNhsNumber(string? value)
    {
        if (value is not { Length: 10 } || !value.All(char.IsAsciiDigit)) return false;
        var sum = 0;
        for (var i = 0; i < 9; i++) sum += (value[i] - '0') * (10 - i);
        var check = 11 - sum % 11;
        if (check == 11) check = 0;
        return check != 10 && check == value[9] - '0';
    }

    sealed record DevTokenRequest(
        [property: JsonPropertyName("org")] string? Org,
        [property: JsonPropertyName("org_type")] string? OrgType,
        [property: JsonPropertyName("role")] string? Role,
        [property: JsonPropertyName("purpose_of_use")] string? Purpose,
        [property: JsonPropertyName("nhs_number")] string? NhsNumber);

    sealed record DevTokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("token_type")] string TokenType,
        [property: JsonPropertyName("expires_in")] int ExpiresIn);
}
