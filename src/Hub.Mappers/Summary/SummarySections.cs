using Hl7.Fhir.Model;
using Hub.Mappers.Ssda903.Mapping;

namespace Hub.Mappers.Summary;

/// <summary>One section of the CLA health summary: its cla-summary-section code, its title, and what it says when empty.</summary>
public sealed record SummarySection(string Code, string Title, string NothingHeld);

/// <summary>
/// The sections of the CLA health summary in the contract's order (contract §6, CodeSystem cla-summary-section), and which
/// section a held resource belongs in. The codes that route a resource come from fhir-profiles (cla-health, cla-care-leaver,
/// cla-flag) and the importer's mapper; a test holds this table equal to the CodeSystems.
/// </summary>
public static class SummarySections
{
    public const string System = Cla.CodeSystem + "cla-summary-section";

    public const string CareStatus = "care-status", HealthAssessments = "health-assessments", Immunisations = "immunisations",
        Dental = "dental", EmotionalWellbeing = "emotional-wellbeing", HealthNeeds = "health-needs", Alerts = "alerts", Contacts = "contacts";

    public static readonly IReadOnlyList<SummarySection> InOrder =
    [
        new(CareStatus, "Care status and placement", "No care episode is recorded in the hub."),
        new(HealthAssessments, "Health assessments", "No health assessment is recorded in the hub."),
        new(Immunisations, "Immunisations", "No immunisation is recorded in the hub."),
        new(Dental, "Dental", "No dental check is recorded in the hub."),
        new(EmotionalWellbeing, "Emotional wellbeing", "No SDQ score is recorded in the hub."),
        new(HealthNeeds, "Health needs and care plan", "No health needs are recorded in the hub."),
        new(Alerts, "Alerts", "No active alerts."),
        new(Contacts, "Contacts", "No contacts are recorded in the hub."),
    ];

    public static readonly IReadOnlySet<string> Codes = InOrder.Select(s => s.Code).ToHashSet();

    /// <summary>cla-health codes (Encounter types and OC2 items) by the section they belong in.</summary>
    public static readonly IReadOnlyDictionary<string, string> ByHealthCode = new Dictionary<string, string>
    {
        [Cla.Assessments.Initial] = HealthAssessments,
        [Cla.Assessments.Review] = HealthAssessments,
        ["health-assessment-up-to-date"] = HealthAssessments,
        ["health-check-under-5"] = HealthAssessments,
        ["immunisations-up-to-date"] = Immunisations,
        ["dental-check"] = Dental,
        ["dental-check-up-to-date"] = Dental,
        ["sdq-total-score"] = EmotionalWellbeing,
        ["sdq-reason"] = EmotionalWellbeing,
        ["substance-misuse"] = HealthNeeds,
        ["substance-misuse-intervention-received"] = HealthNeeds,
        ["substance-misuse-intervention-offered"] = HealthNeeds,
    };

    /// <summary>cla-health codes that are deliberately in no section: a conviction is youth-justice data, not health.</summary>
    public static readonly IReadOnlySet<string> NotSummarised = new HashSet<string> { "convicted" };

    /// <summary>The section a held resource belongs in, or null when the summary does not carry it (Consents, uncoded observations …).</summary>
    public static string? SectionOf(Resource r) => r switch
    {
        EpisodeOfCare => CareStatus,
        Observation o when Coded(o.Code, Cla.CareLeaverSystem) is not null => CareStatus,
        Observation o => Health(Coded(o.Code, Cla.HealthSystem)),
        Encounter e => Health(e.Type.Select(t => Coded(t, Cla.HealthSystem)).FirstOrDefault(c => c is not null)),
        Immunization => Immunisations,
        Condition or CarePlan or AllergyIntolerance or MedicationStatement => HealthNeeds,
        // An assessment's report belongs with the assessment; any other document with the health needs it describes.
        DocumentReference d => d.Context?.Encounter.Count > 0 || d.Type?.Coding.Any(c => c.System == Cla.HealthSystem) == true ? HealthAssessments : HealthNeeds,
        Flag => Alerts,
        // The contact organisations come from the Patient (its LA, GP), not from the records.
        RelatedPerson or CareTeam => Contacts,
        _ => null,
    };

    static string? Health(string? code) => code is not null && ByHealthCode.TryGetValue(code, out var section) ? section : null;

    static string? Coded(CodeableConcept? c, string system) => c?.Coding.FirstOrDefault(x => x.System == system)?.Code;
}
