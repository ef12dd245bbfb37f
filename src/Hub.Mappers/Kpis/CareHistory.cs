namespace Hub.Mappers.Kpis;

/// <summary>
/// A child's care as the DfE counts it: periods of care made of contiguous episodes (a new episode starting the day
/// the last one ceased continues it), short breaks (V3/V4) left out, so they neither count as care nor join two periods.
/// </summary>
public sealed class CareHistory
{
    /// <summary>A period of care: its first day and the day it ceased (null: still looked after).</summary>
    public sealed record Period(DateOnly Start, DateOnly? End, IReadOnlyList<CareEpisode> Episodes)
    {
        public bool Covers(DateOnly day) => Start <= day && (End is null || End > day);
    }

    public IReadOnlyList<Period> Periods { get; }
    public IReadOnlyList<CareEpisode> Episodes { get; }

    public CareHistory(IEnumerable<CareEpisode> episodes)
    {
        Episodes = [.. episodes.Where(e => !e.ShortBreak).OrderBy(e => e.Start)];
        var periods = new List<Period>();
        var run = new List<CareEpisode>();
        DateOnly? runEnd = null;
        foreach (var e in Episodes)
        {
            // Contiguous: it starts on (or, overlapping, before) the day the run ceased; an open run takes everything after it.
            if (run.Count > 0 && (runEnd is null || e.Start <= runEnd))
            {
                run.Add(e);
                runEnd = runEnd is null || e.End is null ? null : (e.End > runEnd ? e.End : runEnd);
                continue;
            }
            if (run.Count > 0) periods.Add(new Period(run[0].Start, runEnd, [.. run]));
            run = [e];
            runEnd = e.End;
        }
        if (run.Count > 0) periods.Add(new Period(run[0].Start, runEnd, [.. run]));
        Periods = periods;
    }

    public bool LookedAfterOn(DateOnly day) => Episodes.Any(e => e.Covers(day));

    /// <summary>
    /// The DfE OC2 cohort at a 31 March: looked after on that day, in a period of care that began on or before
    /// 1 April of the year before (looked after continuously for at least 12 months), short breaks not counted.
    /// </summary>
    public bool InOc2Cohort(DateOnly thirtyFirstOfMarch) =>
        Periods.Any(p => p.Covers(thirtyFirstOfMarch) && p.Start <= thirtyFirstOfMarch.AddYears(-1).AddDays(1));

    /// <summary>The placement open on a day, else the last one that began before it (a child who has just left care).</summary>
    public CareEpisode? PlacementOn(DateOnly day) =>
        Episodes.LastOrDefault(e => e.Covers(day)) ?? Episodes.LastOrDefault(e => e.Start <= day);

    /// <summary>The last day inside [from, to] on which the child was looked after, if any.</summary>
    public DateOnly? LastDayLookedAfter(DateOnly from, DateOnly to)
    {
        DateOnly? last = null;
        foreach (var e in Episodes)
        {
            if (e.Start > to || (e.End is { } end && end <= from)) continue;
            var day = e.End is { } ceased && ceased.AddDays(-1) < to ? ceased.AddDays(-1) : to;
            if (last is null || day > last) last = day;
        }
        return last;
    }

    /// <summary>Age in whole years on a day.</summary>
    public static int Age(DateOnly birth, DateOnly on)
    {
        var age = on.Year - birth.Year;
        return birth.AddYears(age) > on ? age - 1 : age;
    }
}
