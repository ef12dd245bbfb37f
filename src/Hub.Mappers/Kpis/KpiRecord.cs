using Hl7.Fhir.Model;
using Hub.Mappers.Ssda903.Mapping;

namespace Hub.Mappers.Kpis;

public enum KpiRecordKind { Episode, Oc2Item, Assessment }

/// <summary>
/// The few fields of one stored resource that the KPIs read, kept beside it as its search index is: an EpisodeOfCare's
/// days, legal status, RNE and placement ICB; an OC2 Observation's item, 31 March and value; a provider's dated health
/// assessment or dental check. Evaluating the KPIs for 100,000 children then reads these narrow rows, not the JSON of
/// half a million resources.
/// </summary>
/// <param name="Code">The OC2 item (cla-health code) or the assessment's cla-health code; null for an episode.</param>
public sealed record KpiRecord(
    KpiRecordKind Kind,
    string? Code,
    DateOnly Start,
    DateOnly? End = null,
    string? LegalStatus = null,
    string? ReasonNewEpisode = null,
    string? PlacementIcb = null,
    bool? Flag = null,
    int? Score = null)
{
    public const string HealthAssessmentUpToDate = "health-assessment-up-to-date", ImmunisationsUpToDate = "immunisations-up-to-date",
        DentalCheckUpToDate = "dental-check-up-to-date", SdqTotalScore = "sdq-total-score", DentalCheck = "dental-check";

    static readonly string[] Oc2Codes = [HealthAssessmentUpToDate, ImmunisationsUpToDate, DentalCheckUpToDate, SdqTotalScore];
    static readonly string[] AssessmentCodes = [Cla.Assessments.Initial, Cla.Assessments.Review, DentalCheck];

    static readonly string LegalStatusUrl = Cla.Extension("cla-legal-status"), ReasonNewEpisodeUrl = Cla.Extension("cla-reason-new-episode"),
        PlacementIcbUrl = Cla.Extension("cla-placement-icb");

    /// <summary>What the KPIs read from a resource; null when they read nothing from it (or it was entered in error).</summary>
    public static KpiRecord? Of(Resource resource) => resource switch
    {
        EpisodeOfCare e => Episode(e),
        Observation o => Oc2Item(o),
        Encounter e => Assessment(e),
        _ => null,
    };

    static KpiRecord? Episode(EpisodeOfCare e)
    {
        if (e.Status == EpisodeOfCare.EpisodeOfCareStatus.EnteredInError || !ChildMapper.TryDay(e.Period?.Start, out var start)) return null;
        DateOnly? end = ChildMapper.TryDay(e.Period?.End, out var d) ? d : null;
        var icb = (e.GetExtensionValue<ResourceReference>(PlacementIcbUrl)?.Reference)?.Split('/').Last();
        return new KpiRecord(KpiRecordKind.Episode, null, start, end,
            LegalStatus: e.GetExtensionValue<Coding>(LegalStatusUrl)?.Code,
            ReasonNewEpisode: e.GetExtensionValue<Coding>(ReasonNewEpisodeUrl)?.Code,
            PlacementIcb: icb);
    }

    static KpiRecord? Oc2Item(Observation o)
    {
        if (o.Status is ObservationStatus.EnteredInError or ObservationStatus.Cancelled) return null;
        var code = o.Code?.Coding.Where(c => c.System == Cla.HealthSystem).Select(c => c.Code).FirstOrDefault(c => c is not null && Oc2Codes.Contains(c));
        if (code is null || o.Effective is not FhirDateTime effective || !ChildMapper.TryDay(effective.Value, out var day)) return null;
        return new KpiRecord(KpiRecordKind.Oc2Item, code, day,
            Flag: (o.Value as FhirBoolean)?.Value,
            Score: (o.Value as Integer)?.Value);
    }

    static KpiRecord? Assessment(Encounter e)
    {
        if (e.Status is Encounter.EncounterStatus.EnteredInError or Encounter.EncounterStatus.Cancelled) return null;
        var code = e.Type.SelectMany(t => t.Coding).Where(c => c.System == Cla.HealthSystem).Select(c => c.Code)
            .FirstOrDefault(c => c is not null && AssessmentCodes.Contains(c));
        if (code is null || !ChildMapper.TryDay(e.Period?.Start, out var day)) return null;
        return new KpiRecord(KpiRecordKind.Assessment, code, day);
    }
}
