namespace Hub.Mappers.Kpis;

/// <summary>One SSDA903 episode as the KPIs read it: its days, legal status, reason it began and the ICB of the placement.</summary>
/// <param name="End">The day the episode ceased (DEC); the child is looked after up to the day before. Null: open.</param>
/// <param name="ReasonNewEpisode">RNE: `S` is "started to be looked after", every other code continues a period of care.</param>
/// <param name="PlacementIcb">ODS code of the placement's ICB; null counts as the LA's own (as the importer places it).</param>
public sealed record CareEpisode(DateOnly Start, DateOnly? End, string? LegalStatus, string? ReasonNewEpisode, string? PlacementIcb)
{
    /// <summary>V3/V4: an agreed series of short breaks, not the care population the KPIs are about (ssda903.md §8.7).</summary>
    public bool ShortBreak => LegalStatus is "V3" or "V4";

    public bool Covers(DateOnly day) => Start <= day && (End is null || End > day);
}

public enum AssessmentKind { Initial, Review, Dental }

/// <summary>A health assessment or dental check a provider recorded, by the day it took place.</summary>
public sealed record DatedAssessment(AssessmentKind Kind, DateOnly Date);

/// <summary>The OC2 items an LA returned for a child at one 31 March (null: not returned).</summary>
public sealed record Oc2Items(DateOnly Date, bool? HealthAssessmentUpToDate, bool? ImmunisationsUpToDate, bool? DentalCheck, int? SdqScore);

/// <summary>
/// What the KPIs know about one child: birth date, episodes, OC2 items and dated provider records, and the ICB
/// responsible for the child (the parent ICB of the LA looking after the child), against which "in area" is judged.
/// </summary>
public sealed record KpiChild(
    string Id,
    DateOnly? BirthDate,
    string? ResponsibleIcb,
    IReadOnlyList<CareEpisode> Episodes,
    IReadOnlyList<Oc2Items> Oc2,
    IReadOnlyList<DatedAssessment> Assessments)
{
    /// <summary>The child's periods of care, worked out once for all the KPIs that read the same loaded children.</summary>
    public CareHistory History => history ??= new CareHistory(Episodes);
    CareHistory? history;
}

/// <summary>The measurement period (both days included) and today: nothing falls due after today.</summary>
public sealed record MeasurementPeriod(DateOnly Start, DateOnly End, DateOnly Today)
{
    /// <summary>The last day anything in the period can have fallen due.</summary>
    public DateOnly LastDue => End < Today ? End : Today;

    public bool Holds(DateOnly day) => day >= Start && day <= LastDue;

    /// <summary>Every 31 March inside the period (up to today): the OC2 reference dates.</summary>
    public IEnumerable<DateOnly> ThirtyFirstsOfMarch()
    {
        for (var year = Start.Year; year <= LastDue.Year; year++)
            if (new DateOnly(year, 3, 31) is var day && Holds(day)) yield return day;
    }
}
