namespace Hub.Api.Auth;

/// <summary>Who is calling, taken from the bearer token's claims (contract section 2).</summary>
public sealed record Caller(
    string Org,
    string OrgType,
    string? Role,
    string Purpose,
    string? NhsNumber,
    IReadOnlyList<string> Scopes,
    string? ClientId)
{
    public bool IsAdmin => OrgType == OrgTypes.Admin;

    /// <summary>The free-text X-Access-Reason header: safeguarding and break-glass need one (contract §2).</summary>
    public string? AccessReason { get; init; }

    /// <summary>The peer hub that carried this caller's claims in <c>X-On-Behalf-Of</c> (decisions.md "hub"): the hub
    /// is audited beside the caller, but never decided on.</summary>
    public Caller? Via { get; init; }

    /// <summary>The hub acting on its own account in a background job, named in the audit by the job's name.</summary>
    public static Caller HubJob(string job) => new("carehub", OrgTypes.Hub, null, "direct-care", null, [], job);
}

public static class OrgTypes
{
    public const string Icb = "icb", Gp = "gp", La = "la", Provider = "provider", YoungPerson = "young-person", Hub = "hub", Admin = "admin";
    public static readonly IReadOnlySet<string> All = new HashSet<string> { Icb, Gp, La, Provider, YoungPerson, Hub, Admin };
}

/// <summary>Claim names the hub reads from its tokens.</summary>
public static class HubClaims
{
    /// <summary>The request header that says why a safeguarding or break-glass request is made.</summary>
    public const string AccessReasonHeader = "X-Access-Reason";

    public const string Org = "org", OrgType = "org_type", Role = "role", Purpose = "purpose_of_use", NhsNumber = "nhs_number", Scope = "scope", ClientId = "client_id";
}
