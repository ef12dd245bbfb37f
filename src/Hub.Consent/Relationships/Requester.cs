namespace Hub.Consent.Relationships;

/// <summary>What the caller says about itself, from its token (contract section 2).</summary>
public sealed record AccessRequest(
    string Org,
    string OrgType,
    string? Role,
    string Purpose,
    string? NhsNumber,
    /// <summary>The ICB that commissions a provider or holds a GP practice (reference data), when the caller has one.</summary>
    string? CallerParentIcb);

/// <summary>What the hub knows about the child that decides who may see its record.</summary>
public sealed record SubjectFacts(
    string PatientId,
    string? NhsNumber,
    string? ManagingLa,
    string? ResponsibleIcb,
    string? RegisteredGp,
    IReadOnlyList<string> HostIcbs,
    bool Sealed);

/// <summary>The requester roles of reference/consent.md §3.2, as decisions.md maps token claims onto them.</summary>
public enum RequesterRole
{
    ResponsibleIcbLacDesignated,
    ResponsibleIcb,
    HostIcb,
    ClaHealthTeam,
    GpRegistered,
    LaSocialWorker,
    LaPersonalAdviser,
    YoungPerson,
    Admin,
    OtherOrg,
}

public static class Requester
{
    /// <summary>Who the caller is to this child; OtherOrg when it has no relationship at all.</summary>
    public static RequesterRole RoleOf(AccessRequest r, SubjectFacts child) => r.OrgType switch
    {
        "admin" => RequesterRole.Admin,
        "la" when child.ManagingLa == r.Org => r.Role == "personal-adviser" ? RequesterRole.LaPersonalAdviser : RequesterRole.LaSocialWorker,
        "icb" when child.ResponsibleIcb == r.Org => r.Role == "designated-professional" ? RequesterRole.ResponsibleIcbLacDesignated : RequesterRole.ResponsibleIcb,
        "icb" when child.HostIcbs.Contains(r.Org) => RequesterRole.HostIcb,
        "provider" when r.Role == "cla-health-team" && r.CallerParentIcb is { } icb && (icb == child.ResponsibleIcb || child.HostIcbs.Contains(icb)) => RequesterRole.ClaHealthTeam,
        "provider" when r.CallerParentIcb is { } icb && child.HostIcbs.Contains(icb) => RequesterRole.HostIcb,
        "gp" when child.RegisteredGp == r.Org => RequesterRole.GpRegistered,
        "young-person" when r.NhsNumber is not null && r.NhsNumber == child.NhsNumber => RequesterRole.YoungPerson,
        _ => RequesterRole.OtherOrg,
    };
}
