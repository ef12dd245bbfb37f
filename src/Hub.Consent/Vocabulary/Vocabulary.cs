namespace Hub.Consent.Vocabulary;

/// <summary>Why the caller asks (reference/consent.md §3.2); the token carries a purpose-of-use code the policy maps here.</summary>
public enum Purpose
{
    DirectCare,
    StatutoryHealthAssessment,
    Safeguarding,
    CareLeaverSupport,
    OwnRecord,
    Kpi,
    BreakGlass,
}

/// <summary>The data classes D1–D7 of reference/consent.md §3.2; a resource may fall into several.</summary>
public enum DataClass
{
    Core = 1,
    HealthAssessment = 2,
    Sensitive = 3,
    IdentityLocation = 4,
    ThirdParty = 5,
    Safeguarding = 6,
    LegalStatus = 7,
}

/// <summary>The legal status now, as far as consent authority cares (reference/consent.md §2.2).</summary>
public enum LegalStatus
{
    /// <summary>Not looked after now (a care leaver, or unknown).</summary>
    None,
    CareOrder,
    EmergencyProtectionOrder,
    PlacementOrder,
    Section20,
    /// <summary>Remand, police protection, child assessment order: parents keep PR.</summary>
    Other,
}

/// <summary>Who may grant or object for a child (reference/consent.md §3.4).</summary>
public enum ConsentAuthority
{
    NotEntitled,
    YoungPerson,
    LocalAuthority,
    Parent,
    ProspectiveAdopter,
    BestInterestsDecisionMaker,
}

/// <summary>The outcome of a competence (Gillick) or capacity (MCA) assessment the CLA health team recorded.</summary>
public enum Competence { Competent, NotCompetent, LacksCapacity }

public static class DataClasses
{
    public static readonly IReadOnlyList<DataClass> All = Enum.GetValues<DataClass>();

    /// <summary>"D3" for Sensitive: the codes reference/consent.md and the policy use.</summary>
    public static string Code(this DataClass c) => "D" + (int)c;

    public static DataClass Parse(string code) =>
        code.Length == 2 && code[0] == 'D' && code[1] is >= '1' and <= '7'
            ? (DataClass)(code[1] - '0')
            : throw new FormatException($"'{code}' is not a data class (D1–D7)");
}

/// <summary>Code systems of the security labels (contract §3; reference/consent.md §1.5).</summary>
public static class LabelSystems
{
    public const string Confidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
    public const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    public const string ObservationValue = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";
    /// <summary>CareHub's own labels of §3.2 (cla-ha, third-party, cp).</summary>
    public const string CareHub = "https://fhir.carehub.org.uk/CodeSystem/cla-security-label";
    /// <summary>The data class the labeller put a resource in (D1–D7), so the enforcement point need not re-derive it.</summary>
    public const string DataClass = "https://fhir.carehub.org.uk/CodeSystem/cla-data-class";
    public const string PurposeOfUse = "https://fhir.carehub.org.uk/CodeSystem/purpose-of-use";
    public const string ActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

    /// <summary>U &lt; L &lt; M &lt; N &lt; R &lt; V: confidentiality is a high-water mark.</summary>
    public static int ConfidentialityRank(string code) => code switch
    {
        "U" => 0, "L" => 1, "M" => 2, "N" => 3, "R" => 4, "V" => 5, _ => -1,
    };
}
