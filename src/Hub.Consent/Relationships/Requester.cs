using Hub.Consent.Vocabulary;

namespace Hub.Consent.Relationships;

/// <summary>What the caller says about itself, from its token (contract section 2).</summary>
public sealed record AccessRequest(
    string Org,
    string OrgType,
    string? Role,
    string Purpose,
    string? NhsNumber,
    /// <summary>The ICB that commissions a provider or holds a GP practice (reference data), when the caller has one.</summary>
    string? CallerParentIcb)
{
    /// <summary>The free-text X-Access-Reason header; safeguarding and break-glass need one (contract §2).</summary>
    public string? AccessReason { get; init; }

    /// <summary>
    /// The sensitivity labels the caller says are relevant (e.g. MH for a CAMHS referral). Table cells that release only
    /// "relevant" data (rows 4, 7, 12, 17) release these and nothing else; none named means none released.
    /// </summary>
    public IReadOnlySet<string> RelevantLabels { get; init; } = new HashSet<string>();
}

/// <summary>What the hub knows about the child that decides who may see its record.</summary>
public sealed record SubjectFacts(
    string PatientId,
    string? NhsNumber,
    string? ManagingLa,
    string? ResponsibleIcb,
    string? RegisteredGp,
    IReadOnlyList<string> HostIcbs,
    bool Sealed)
{
    public DateOnly? BirthDate { get; init; }
    public LegalStatus LegalStatus { get; init; } = LegalStatus.None;
    /// <summary>An open episode now.</summary>
    public bool LookedAfter { get; init; }
    /// <summary>When the last episode ended, for "looked after in the previous 12 months" (G2).</summary>
    public DateOnly? LookedAfterUntil { get; init; }
    public bool CareLeaver { get; init; }
    /// <summary>The care leaver asked for a personal adviser, which extends the cohort from 21 to 25 (G2).</summary>
    public bool PersonalAdviserRequested { get; init; }
    /// <summary>PDS S-flag or a LOCIS label on the record (G4).</summary>
    public bool SensitiveLocation { get; init; }
    /// <summary>The record was looked up by an invalidated (pre-adoption) NHS number (G1).</summary>
    public bool LookedUpByInvalidatedNumber { get; init; }
    /// <summary>The child, of sufficient understanding, refused the statutory health assessment (reg 7(5); G6).</summary>
    public bool HealthAssessmentRefused { get; init; }
    /// <summary>The LA has limited the parents' exercise of PR under s33(3)(b), so it prevails when they disagree (§3.4).</summary>
    public bool ParentalResponsibilityLimited { get; init; }
    public IReadOnlyList<CompetenceAssessment> Competence { get; init; } = [];
    /// <summary>People with parental responsibility, or deciding in best interests, by their RelatedPerson reference.</summary>
    public IReadOnlyList<ResponsiblePerson> ResponsiblePersons { get; init; } = [];
}

/// <summary>A recorded Gillick-competence or MCA assessment; Category is a sensitivity label (SEX, MH…) or "*" for all.</summary>
public sealed record CompetenceAssessment(string Category, Competence Outcome, DateOnly AssessedOn);

/// <summary>A person who may give consent for the child: Reference is "RelatedPerson/{id}".</summary>
public sealed record ResponsiblePerson(string Reference, ConsentAuthority Authority);

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
