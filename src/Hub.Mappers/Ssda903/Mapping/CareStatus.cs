namespace Hub.Mappers.Ssda903.Mapping;

/// <summary>What the hub needs of one 903 episode to say where a child stands.</summary>
public sealed record EpisodeFacts(DateOnly Start, DateOnly? End, string? ReasonEnded, string LegalStatus, string? PlacementIcb);

/// <summary>A child's care status on a given day, derived from all its episodes (contract section 4).</summary>
public sealed record CareStatus(
    bool LookedAfter,
    DateOnly? LookedAfterSince,
    bool CareLeaver,
    DateOnly? CeasedCare,
    DateOnly? EligibleUntil,
    bool Adopted,
    string? PlacementIcb,
    DateOnly? PlacementStart,
    bool PlacedOutOfArea,
    DateOnly? LastPlacementEnded,
    string? LastPlacementIcb)
{
    public static readonly string[] AdoptionReasons = ["E11", "E12"];
    static readonly string[] ShortBreaks = ["V3", "V4"];

    /// <summary>
    /// looked-after: an open episode. care-leaver: care ceased aged 16 or over, after at least 13 weeks looked after since
    /// the 14th birthday including some time at 16 or 17, until the 25th birthday (short breaks V3/V4 do not count).
    /// placed-out-of-area: the open episode's placement ICB differs from the responsible (the LA's) ICB.
    /// Adopted (REC E11/E12): none of these; the record is sealed.
    /// </summary>
    /// <param name="inCareLeaverReturn">
    /// The return has an OC3 row for the child. The DfE collects OC3 only for former relevant children (looked after 13
    /// weeks since 14, ceased at 16 or over), so the row is itself the care-leaver test for one who left care before the
    /// episodes the hub holds: a 19-year-old appears in this year's return by header and OC3 alone.
    /// </param>
    public static CareStatus Of(DateOnly birthDate, IReadOnlyList<EpisodeFacts> episodes, string? responsibleIcb, DateOnly today, bool inCareLeaverReturn = false)
    {
        var ordered = episodes.OrderBy(e => e.Start).ToList();
        var adopted = ordered.Any(e => e.ReasonEnded is { } r && AdoptionReasons.Contains(r) && e.End is not null);
        var open = ordered.LastOrDefault(e => e.End is null && e.Start <= today);
        if (adopted) return new(false, null, false, null, null, true, null, null, false, null, null);

        DateOnly? since = null;
        if (open is not null)
        {
            // The current period of care runs back through episodes that follow each other without a gap.
            since = open.Start;
            foreach (var e in ordered.Where(e => e.End is not null).OrderByDescending(e => e.End))
                if (e.End == since || e.End == since.Value.AddDays(-1)) since = e.Start;
        }
        var lastClosed = ordered.Where(e => e.End is not null).OrderByDescending(e => e.End).FirstOrDefault();

        var careLeaver = false; DateOnly? ceased = null, until = null;
        if (open is null && lastClosed is not null)
        {
            ceased = lastClosed.End;
            var counted = ordered.Where(e => !ShortBreaks.Contains(e.LegalStatus)).ToList();
            var after14 = DaysIn(counted, birthDate.AddYears(14), ceased!.Value);
            var at16or17 = DaysIn(counted, birthDate.AddYears(16), birthDate.AddYears(18));
            var twentyFifth = birthDate.AddYears(25);
            careLeaver = ceased.Value >= birthDate.AddYears(16) && after14 >= 91 && at16or17 > 0 && today < twentyFifth;
            if (careLeaver) until = twentyFifth;
        }
        if (open is null && !careLeaver && inCareLeaverReturn && today < birthDate.AddYears(25))
            (careLeaver, until) = (true, birthDate.AddYears(25));
        var icb = open?.PlacementIcb;
        return new(open is not null, since, careLeaver, ceased, until, false, icb, open?.Start,
            open is not null && icb is not null && responsibleIcb is not null && icb != responsibleIcb,
            open is null ? lastClosed?.End : null, open is null ? lastClosed?.PlacementIcb : null);
    }

    static int DaysIn(IEnumerable<EpisodeFacts> episodes, DateOnly from, DateOnly to)
    {
        var days = 0;
        foreach (var e in episodes)
        {
            var s = e.Start > from ? e.Start : from;
            var end = e.End ?? to;
            var t = end < to ? end : to;
            if (t > s) days += t.DayNumber - s.DayNumber;
        }
        return days;
    }
}
