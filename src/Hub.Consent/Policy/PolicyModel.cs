using Hub.Consent.Decisions;
using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;

namespace Hub.Consent.Policy;

/// <summary>How a row of the decision table treats one data class (a cell of reference/consent.md §3.5).</summary>
public enum ClassAccess
{
    /// <summary>✓ (possibly masked or minus some labels).</summary>
    Permit,
    /// <summary>✗ or —.</summary>
    Withhold,
    /// <summary>"relevant ✓", "only if necessary": only the labels the request names as relevant.</summary>
    Relevant,
    /// <summary>"✗ unless consent" / "only with the young person's consent": opened by a permit from whoever holds consent authority.</summary>
    Consent,
}

/// <summary>A cell: "permit mask:summary", "permit except:ADOL,PRS", "relevant", "consent", "permit review".</summary>
public sealed record ClassRule(ClassAccess Access, string? Mask, IReadOnlySet<string> ExceptLabels, bool Review)
{
    public static readonly ClassRule Withheld = new(ClassAccess.Withhold, null, new HashSet<string>(), false);
}

/// <summary>The decision column of §3.5, in its own words.</summary>
public enum RowDecision { Permit, PermitRedact, Deny, DenyNotFound, BtgPermit, AggregateOnly }

/// <summary>Conditions a row or variant applies under; every condition given must hold.</summary>
public sealed record RowCondition(
    bool? Competent = null,
    bool? CareLeaver = null,
    int? AgeOver = null,
    IReadOnlySet<LegalStatus>? LegalStatus = null,
    /// <summary>No applicable permit from anyone who holds consent authority for the child (row 5: s20 without parental consent).</summary>
    bool? WithoutConsent = null);

public sealed record RowVariant(string Id, RowCondition When, RowDecision? Decision, IReadOnlyDictionary<DataClass, ClassRule> Classes, string? Note);

/// <summary>A row of the decision table: requester × purpose → baseline outcome and data-class handling.</summary>
public sealed record TableRow(
    string Row,
    IReadOnlySet<RequesterRole>? Roles,
    IReadOnlySet<Purpose> Purposes,
    RowCondition? When,
    RowDecision Decision,
    IReadOnlyDictionary<DataClass, ClassRule> Classes,
    IReadOnlyList<string> Obligations,
    IReadOnlyList<RowVariant> Variants)
{
    public bool Covers(RequesterRole role, Purpose purpose) => (Roles is null || Roles.Contains(role)) && Purposes.Contains(purpose);
}

/// <summary>A hard pre-check of §3.3 and its settings; which settings a check reads depends on its id.</summary>
public sealed record PreCheck(string Id, string Check)
{
    public Verdict? Outcome { get; init; }
    public string? Alert { get; init; }
    public IReadOnlySet<RequesterRole> Roles { get; init; } = new HashSet<RequesterRole>();
    public IReadOnlySet<RequesterRole> OtherRoles { get; init; } = new HashSet<RequesterRole>();
    public IReadOnlySet<Purpose> Purposes { get; init; } = new HashSet<Purpose>();
    public Verdict? OtherOutcome { get; init; }
    public IReadOnlySet<DataClass> Classes { get; init; } = new SortedSet<DataClass>();
    public IReadOnlySet<string> Labels { get; init; } = new HashSet<string>();
    public string? Mask { get; init; }
    public int LookedAfterWithinMonths { get; init; }
    public int CareLeaverMaxAge { get; init; }
    public int CareLeaverMaxAgeWithoutAdviser { get; init; }
}

/// <summary>A row of §3.4: who may grant or object, by age, competence and legal status. The first matching row wins.</summary>
public sealed record AuthorityRule(int MinAge, int MaxAge, string Competence, IReadOnlySet<LegalStatus>? LegalStatus, IReadOnlySet<ConsentAuthority> Who);

/// <summary>Which performers a caller in a role may record Consents for (the write path).</summary>
public sealed record RecordingRule(RequesterRole Role, IReadOnlySet<ConsentAuthority> Performers);

public sealed record DataClassDefinition(DataClass Class, string Name, string Confidentiality, IReadOnlySet<string> Labels);
