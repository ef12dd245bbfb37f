using Hl7.Fhir.Model;

namespace Hub.Api.Conformance;

/// <summary>
/// Which CLA profile a resource is held to when it does not say. Some types have one profile for all their instances;
/// others only for the instances that carry a CLA code: a provider's weight Observation is checked against R4 core,
/// an OC2 outcome Observation against CLAOutcomeObservation.
/// </summary>
public static class ProfileRules
{
    const string Sd = "https://fhir.carehub.org.uk/StructureDefinition/", Cs = "https://fhir.carehub.org.uk/CodeSystem/";

    public static readonly IReadOnlyDictionary<string, string> DefaultFor = new Dictionary<string, string>
    {
        ["Patient"] = Sd + "CLAPatient",
        ["EpisodeOfCare"] = Sd + "CLAEpisodeOfCare",
        ["Consent"] = Sd + "CLAConsent",
    };

    static readonly (string Type, string CodeSystem, string Profile)[] ByCode =
    [
        ("Observation", Cs + "cla-health", Sd + "CLAOutcomeObservation"),
        ("Observation", Cs + "cla-care-leaver", Sd + "CLACareLeaverObservation"),
        ("Encounter", Cs + "cla-health", Sd + "CLAHealthAssessment"),
        ("Flag", Cs + "cla-flag", Sd + "CLAFlag"),
        ("Composition", Cs + "cla-summary-section", Sd + "CLAHealthSummary"),
        ("Communication", Cs + "cla-notification", Sd + "CLAPlacementNotification"),
    ];

    public static string? For(Resource resource)
    {
        if (DefaultFor.TryGetValue(resource.TypeName, out var profile)) return profile;
        var codes = resource switch
        {
            Observation o => o.Code?.Coding ?? [],
            Encounter e => e.Type.SelectMany(t => t.Coding),
            Flag f => f.Code?.Coding ?? [],
            Composition c => c.Section.SelectMany(s => s.Code?.Coding ?? []),
            Communication m => m.Category.SelectMany(c => c.Coding),
            _ => [],
        };
        var systems = codes.Select(c => c.System).ToHashSet();
        return ByCode.FirstOrDefault(r => r.Type == resource.TypeName && systems.Contains(r.CodeSystem)).Profile;
    }
}
