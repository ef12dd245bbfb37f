namespace Hub.Mappers.Kpis;

/// <summary>
/// The five KPIs over a set of children, pure: each child is in the initial population when looked after on some day
/// of the period; the measure decides whether the child is in its denominator and numerator and on which day the
/// child's placement is judged in-area or out-of-area (decisions.md: the placement open on the reference date).
/// Units are children: a child counts once per report, whatever number of due dates or 31 Marches fall in the period.
/// </summary>
public static class MeasureCalculator
{
    /// <summary>One child's part in a measure: in the denominator, met, judged by the placement of which day, SDQ score.</summary>
    public sealed record ChildOutcome(bool InDenominator, bool Met, DateOnly ReferenceDate, int? Score = null);

    public static MeasureCounts Count(string measure, IEnumerable<KpiChild> children, MeasurementPeriod period, BankHolidays holidays)
    {
        var tallies = new Dictionary<Stratum, (int Ip, int Den, int Num, long Sum, int Concern)>
        {
            [Stratum.All] = default, [Stratum.InArea] = default, [Stratum.OutOfArea] = default,
        };
        // Each child's outcome is its own: worked out on every core (100,000 children for a whole hub), tallied in order.
        var list = children as IReadOnlyList<KpiChild> ?? [.. children];
        var outcomes = new (ChildOutcome Outcome, Stratum Stratum)?[list.Count];
        Parallel.For(0, list.Count, i =>
        {
            var child = list[i];
            var history = child.History;
            if (history.LastDayLookedAfter(period.Start, period.LastDue) is not { } lastDay) return;
            var outcome = Evaluate(measure, child, history, period, holidays) ?? new ChildOutcome(false, false, lastDay);
            outcomes[i] = (outcome, InArea(child, history, outcome.ReferenceDate) ? Stratum.InArea : Stratum.OutOfArea);
        });
        foreach (var held in outcomes)
        {
            if (held is not { } h) continue; // not looked after in the period
            var (outcome, stratum) = h;
            foreach (var s in new[] { Stratum.All, stratum })
            {
                var t = tallies[s];
                t.Ip++;
                if (outcome.InDenominator) t.Den++;
                if (outcome.InDenominator && outcome.Met)
                {
                    t.Num++;
                    if (outcome.Score is { } score) { t.Sum += score; if (score >= Measures.SdqConcernFrom) t.Concern++; }
                }
                tallies[s] = t;
            }
        }
        return new MeasureCounts(measure, tallies.ToDictionary(kv => kv.Key, kv => new Tally(kv.Value.Ip, kv.Value.Den, kv.Value.Num, kv.Value.Sum, kv.Value.Concern)));
    }

    /// <summary>In area: placed inside the responsible ICB on the day (a placement with no ICB is the LA's own).</summary>
    public static bool InArea(KpiChild child, CareHistory history, DateOnly day) =>
        history.PlacementOn(day)?.PlacementIcb is not { } icb || icb == child.ResponsibleIcb;

    /// <summary>Null: not in the measure's denominator (the child still counts in the initial population).</summary>
    public static ChildOutcome? Evaluate(string measure, KpiChild child, CareHistory history, MeasurementPeriod period, BankHolidays holidays) => measure switch
    {
        Measures.InitialHealthAssessment => InitialAssessment(child, history, period, holidays),
        Measures.ReviewHealthAssessment => ReviewAssessment(child, history, period),
        Measures.DentalCheck => Oc2Measure(child, history, period, (items, march) => DentalCheckMet(child, items, march)),
        Measures.Immunisations => Oc2Measure(child, history, period, (items, _) => items?.ImmunisationsUpToDate == true),
        Measures.Sdq => Sdq(child, history, period),
        _ => throw new ArgumentException($"'{measure}' is not a KPI", nameof(measure)),
    };

    /// <summary>
    /// IHA: each time the child started to be looked after (an episode with RNE `S`) whose 20th working day falls in
    /// the period, the child still looked after on that day; met when an IHA is dated from the first day in care to the
    /// 20th working day. Judged on the due day.
    /// </summary>
    static ChildOutcome? InitialAssessment(KpiChild child, CareHistory history, MeasurementPeriod period, BankHolidays holidays)
    {
        ChildOutcome? result = null;
        foreach (var care in history.Periods)
            foreach (var start in care.Episodes.Where(e => e.ReasonNewEpisode == "S").Select(e => e.Start))
            {
                var due = holidays.AddWorkingDays(start, Measures.IhaWorkingDays);
                if (!period.Holds(due) || !care.Covers(due)) continue;
                var met = child.Assessments.Any(a => a.Kind == AssessmentKind.Initial && a.Date >= start && a.Date <= due);
                result = Combine(result, new ChildOutcome(true, met, due));
            }
        return result;
    }

    /// <summary>
    /// RHA from dated records: each assessment (IHA or RHA) makes the next review due 6 months later if the child was
    /// under 5 on its day, else 12 months later; a review not done by then was missed, and the next falls due an
    /// interval after the missed day unless a late review came first; each period of care starts its own clock from its
    /// first assessment. Every due day in the period on which the child was looked after counts; met when every one was kept. Without any dated IHA/RHA, the OC2 item "health assessment
    /// up to date" at each 31 March of the period decides, for the OC2 cohort. Judged on the last due day.
    /// </summary>
    static ChildOutcome? ReviewAssessment(KpiChild child, CareHistory history, MeasurementPeriod period)
    {
        var dated = child.Assessments.Where(a => a.Kind is AssessmentKind.Initial or AssessmentKind.Review)
            .Select(a => a.Date).Distinct().Order().ToList();
        if (dated.Count == 0)
            return Oc2Measure(child, history, period, (items, _) => items?.HealthAssessmentUpToDate == true);

        ChildOutcome? result = null;
        // Each period of care starts its own clock: a child coming back into care is due an IHA (that measure's), and
        // reviews run from it, not from an assessment of an earlier period. A period whose first episode held does not
        // start care (RNE other than S) began before the returns the hub holds: its assessments go back to the period before.
        DateOnly? previousEnd = null;
        foreach (var care in history.Periods)
        {
            var from = care.Episodes[0].ReasonNewEpisode == "S" ? care.Start : previousEnd ?? DateOnly.MinValue;
            previousEnd = care.End;
            var own = dated.Where(d => d >= from && (care.End is not { } end || d < end)).ToList();
            if (own.Count == 0) continue;
            foreach (var (due, met) in ReviewsDue(child.BirthDate, own, period.LastDue))
                if (period.Holds(due) && care.Covers(due) && history.LookedAfterOn(due))
                    result = Combine(result, new ChildOutcome(true, met, due));
        }
        return result;
    }

    /// <summary>The review due days from the first dated assessment up to <paramref name="until"/>, each kept or missed.</summary>
    public static IEnumerable<(DateOnly Due, bool Kept)> ReviewsDue(DateOnly? birthDate, IReadOnlyList<DateOnly> assessments, DateOnly until)
    {
        var since = assessments[0];
        while (true)
        {
            var due = NextReview(birthDate, since);
            if (due > until) yield break;
            var kept = assessments.Where(a => a > since && a <= due).ToList();
            yield return (due, kept.Count > 0);
            if (kept.Count > 0) { since = kept[^1]; continue; }
            // Late: before the next due day; one on that day keeps it, so it is no late review of this one.
            var late = assessments.FirstOrDefault(a => a > due && a < NextReview(birthDate, due));
            since = late != default ? late : due;
        }
    }

    /// <summary>Every 6 months before the 5th birthday, every 12 months from it (fhir-uk.md §6.3); no birth date: 12 months.</summary>
    public static DateOnly NextReview(DateOnly? birthDate, DateOnly since) =>
        since.AddMonths(birthDate is { } b && CareHistory.Age(b, since) < 5 ? 6 : 12);

    /// <summary>
    /// Dental check: dated dental-check Encounters win over the OC2 item once the child has any on or before the
    /// 31 March (a check in the 12 months to it); otherwise the OC2 item says.
    /// </summary>
    static bool DentalCheckMet(KpiChild child, Oc2Items? items, DateOnly march)
    {
        var dental = child.Assessments.Where(a => a.Kind == AssessmentKind.Dental && a.Date <= march).ToList();
        if (dental.Count == 0) return items?.DentalCheck == true;
        return dental.Any(a => a.Date > march.AddYears(-1));
    }

    /// <summary>An OC2 measure: the cohort at each 31 March of the period; met when met at every one. Judged on the last.</summary>
    static ChildOutcome? Oc2Measure(KpiChild child, CareHistory history, MeasurementPeriod period, Func<Oc2Items?, DateOnly, bool> met,
        Func<DateOnly, bool>? alsoRequired = null, bool scored = false)
    {
        ChildOutcome? result = null;
        foreach (var march in period.ThirtyFirstsOfMarch())
        {
            if (!history.InOc2Cohort(march) || (alsoRequired is not null && !alsoRequired(march))) continue;
            var items = child.Oc2.FirstOrDefault(o => o.Date == march);
            result = Combine(result, new ChildOutcome(true, met(items, march), march, scored ? items?.SdqScore : null));
        }
        return result;
    }

    /// <summary>SDQ: the OC2 cohort aged 4 to 16 at the 31 March; met when a total score was returned (the last one counts).</summary>
    static ChildOutcome? Sdq(KpiChild child, CareHistory history, MeasurementPeriod period) =>
        Oc2Measure(child, history, period, (items, _) => items?.SdqScore is not null,
            march => child.BirthDate is { } b && CareHistory.Age(b, march) is >= 4 and <= 16, scored: true);

    /// <summary>Several due days of one child: in the denominator once, met only if all were met, judged by the last.</summary>
    static ChildOutcome Combine(ChildOutcome? earlier, ChildOutcome later) =>
        earlier is null ? later : new ChildOutcome(true, earlier.Met && later.Met,
            later.ReferenceDate >= earlier.ReferenceDate ? later.ReferenceDate : earlier.ReferenceDate,
            later.ReferenceDate >= earlier.ReferenceDate ? later.Score : earlier.Score);
}
