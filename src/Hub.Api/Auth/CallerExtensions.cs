using System.Security.Claims;

namespace Hub.Api.Auth;

public static class CallerExtensions
{
    static readonly object ItemKey = new();

    /// <summary>The authenticated caller of this request, built once from the token's claims; null when anonymous.</summary>
    public static Caller? GetCaller(this HttpContext http)
    {
        if (http.Items.TryGetValue(ItemKey, out var cached) && cached is Caller caller) return caller;
        var built = http.User.ToCaller();
        if (built is not null && http.Request.Headers[HubClaims.AccessReasonHeader].ToString() is { Length: > 0 } reason)
            built = built with { AccessReason = reason.Trim() };
        if (built is not null) http.Items[ItemKey] = built;
        return built;
    }

    /// <summary>Replaces the caller of this request: a peer hub's request is decided on the caller it carries (Peers/OnBehalfOf).</summary>
    public static void SetCaller(this HttpContext http, Caller caller) => http.Items[ItemKey] = caller;

    /// <summary>The caller a principal's claims describe; null unless it is authenticated and names its org and org_type.</summary>
    public static Caller? ToCaller(this ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true) return null;
        string? One(string type) => user.FindFirst(type)?.Value is { Length: > 0 } value ? value : null;
        var org = One(HubClaims.Org);
        var orgType = One(HubClaims.OrgType);
        if (org is null || orgType is null) return null;
        var scopes = user.FindAll(HubClaims.Scope).SelectMany(c => Scopes.Parse(c.Value)).Distinct(StringComparer.Ordinal).ToList();
        return new Caller(org, orgType, One(HubClaims.Role), One(HubClaims.Purpose) ?? PurposesOfUse.Default, One(HubClaims.NhsNumber), scopes, One(HubClaims.ClientId));
    }
}
