using static Hub.Mappers.Ssda903.Checking.Ssda903Rules;

namespace Hub.Mappers.Ssda903.Checking;

sealed partial class CheckRun
{
    // Placement groups the DfE rules name (reference/ssda903.md §4.4, rules 178, 213, 222, 527–531).
    static readonly HashSet<string> NoProvider = ["T0", "T1", "T2", "T3", "T4", "Z1", "Z11", "Z12", "Z13", "Z14"];
    static readonly HashSet<string> NoUrn = ["H5", "P1", "P2", "P3", "R1", "R2", "R5", "T0", "T1", "T2", "T3", "T4", "Z1", "Z11", "Z12", "Z13", "Z14"];
    static readonly HashSet<string> Temporary = ["T0", "T1", "T2", "T3", "T4"];
    static readonly HashSet<string> ParentHealthCustody = ["P1", "R2", "R5"];
    static readonly HashSet<string> NotPublicProvision = ["P1", "A3", "A4", "A5", "A6", "K1", "K2", "U1", "U2", "U3", "U4", "U5", "U6"];

    sealed record Episode(SourceRow Row, DateOnly Start, DateOnly? End);

    void Episodes()
    {
        var byChild = new Dictionary<string, List<Episode>>(StringComparer.Ordinal);
        var unsure = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in RowsOf(Ssda903Tables.Episodes, INT03, null, null))
        {
            var dob = Birth(row);
            var decom = Date(row, "DECOM");
            var dec = Date(row, "DEC");
            if (row["DECOM"] is null) Add(R141, row, "DECOM", "DECOM is blank");
            if (decom is { } began)
            {
                if (dob is { } born && began < born) Add(R302, row, "DECOM", "DECOM is before DOB");
                if (began < ChildrenAct) Add(R353, row, "DECOM");
                if (began > end) Add(R354, row, "DECOM", $"DECOM is after 31/03/{year}");
            }
            if (decom is { } from && dec is { } to)
            {
                if (to < from) Add(R356, row, "DEC", "DEC is before DECOM");
                else if (to == from) Add(R355, row, "DEC", "DEC is the same day as DECOM");
            }
            if (dec > end) Add(R385, row, "DEC", $"DEC is after 31/03/{year}");

            Code(R143, row, "RNE", Ssda903Field.ReasonNewEpisode, required: true);
            Code(R144, row, "LS", Ssda903Field.LegalStatus, required: true);
            Code(R145, row, "CIN", Ssda903Field.CategoryOfNeed, required: true);
            Code(R146, row, "PLACE", Ssda903Field.PlacementType, required: true);
            Code(R149, row, "REC", Ssda903Field.ReasonEpisodeCeased, required: false);
            Code(R1009, row, "REASON_PLACE_CHANGE", Ssda903Field.ReasonPlaceChange, required: false);
            if (row["REC"] is not null && row["DEC"] is null) Add(R148, row, "REC", "REC is given but DEC is blank: the episode stays open and the REC is ignored");
            if (row["REC"] is null && row["DEC"] is not null) Add(R148, row, "REC", "DEC is given but REC is blank");

            Provider(row);
            Location(row);
            if (dob is { } birth && decom is { } start) AgeAtStart(row, Age(birth, start));
            if (row["RNE"] == "S" && row["PLACE"] is { } place && Temporary.Contains(place)) Add(R380, row, "PLACE");

            if (row["CHILD"] is not { } child) continue;
            if (decom is null || (row["DEC"] is not null && dec is null)) unsure.Add(child);
            else (byChild.TryGetValue(child, out var list) ? list : byChild[child] = []).Add(new Episode(row, decom.Value, dec));
        }
        foreach (var (child, episodes) in byChild)
            if (!unsure.Contains(child)) Overlaps(episodes);
    }

    /// <summary>
    /// A child's episodes follow one another: each starts on or after the day the one before ended, and only the
    /// last may be open. Otherwise the current placement is unknown (decisions.md): rules 142 and 501.
    /// </summary>
    void Overlaps(List<Episode> episodes)
    {
        if (episodes.Count < 2) return;
        episodes.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Row.Row.CompareTo(b.Row.Row));
        Episode? open = null, latest = null, previous = null;
        var reportedOpen = false;
        foreach (var episode in episodes)
        {
            if (open is not null)
            {
                if (!reportedOpen) Add(R142, open.Row, "DEC", $"DEC is blank, yet the episode at {At(episode.Row)} starts later");
                reportedOpen = true;
            }
            else if (latest is { End: { } latestEnd } && episode.Start < latestEnd)
                Add(R501, episode.Row, "DECOM", $"DECOM is before the end of the episode at {At(latest.Row)}");
            else if (previous is not null && previous.Start == episode.Start)
                Add(R501, episode.Row, "DECOM", $"DECOM is the same day as that of the episode at {At(previous.Row)}");

            if (episode.End is null)
            {
                if (open is null) (open, reportedOpen) = (episode, false);
            }
            else if (latest?.End is null || episode.End > latest.End) latest = episode;
            previous = episode;
        }
    }

    void Provider(SourceRow row)
    {
        var (place, provider) = (row["PLACE"], row["PLACE_PROVIDER"]);
        var placeValid = place is not null && codes.IsValid(Ssda903Field.PlacementType, place, year);
        if (provider is null)
        {
            if (placeValid && !NoProvider.Contains(place!)) Add(R526, row, "PLACE_PROVIDER", $"PLACE_PROVIDER is blank for PLACE {place}");
            return;
        }
        if (codes.Has(Ssda903Field.PlacementProvider) && !codes.IsValid(Ssda903Field.PlacementProvider, provider, year))
        {
            Add(R178, row, "PLACE_PROVIDER", $"PLACE_PROVIDER {Quote(provider)} is not a code of the list");
            return;
        }
        if (!placeValid) return;
        if (NoProvider.Contains(place!)) Add(R213, row, "PLACE_PROVIDER", $"PLACE {place} has no provider");
        else if (provider == "PR0" && place != "P1") Add(R550, row, "PLACE_PROVIDER", $"PLACE is {place}");
        else if (provider == "PR1" && ParentHealthCustody.Contains(place!)) Add(R527, row, "PLACE_PROVIDER", $"PLACE is {place}");
        else if (provider == "PR2" && ParentHealthCustody.Contains(place!)) Add(R528, row, "PLACE_PROVIDER", $"PLACE is {place}");
        else if (provider == "PR3" && NotPublicProvision.Contains(place!)) Add(R529, row, "PLACE_PROVIDER", $"PLACE is {place}");
        else if (provider == "PR4" && place == "P1") Add(R530, row, "PLACE_PROVIDER");
        else if (provider == "PR5" && place == "P1") Add(R531, row, "PLACE_PROVIDER");
    }

    void Location(SourceRow row)
    {
        var (place, home, placed, urn, legal) = (row["PLACE"], row["HOME_POST"], row["PL_POST"], row["URN"], row["LS"]);
        if (home is not null && home == placed && place is not null && place != "P1") Add(R392d, row, "PL_POST", $"PLACE is {place}");
        if (legal is "V3" or "V4" && (placed is not null || urn is not null)) Add(R214, row, placed is not null ? "PL_POST" : "URN", $"LS is {legal}");
        if (urn is null) return;
        if (!IsUrn(urn)) Add(R1008, row, "URN", "URN is neither SC and 6 digits, 7 digits, nor XXXXXXX");
        else if (place is not null && NoUrn.Contains(place) && urn != "XXXXXXX") Add(R222, row, "URN", $"PLACE is {place}");
    }

    /// <summary>SC and 6 digits, 7 digits, or XXXXXXX (reference/ssda903.md §8.4); the Ofsted register is not consulted.</summary>
    static bool IsUrn(string urn)
    {
        var u = urn.ToUpperInvariant();
        return u == "XXXXXXX"
            || (u.Length == 7 && u.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0)
            || (u.Length == 8 && u.StartsWith("SC", StringComparison.Ordinal) && u.AsSpan(2).IndexOfAnyExceptInRange('0', '9') < 0);
    }

    void AgeAtStart(SourceRow row, int age)
    {
        var place = row["PLACE"];
        if (row["RNE"] == "S" && age >= 18) Add(R352, row, "DECOM", $"aged {age} at DECOM");
        if (place is "H5" or "K3" && age < 16) Add(R371, row, "PLACE", $"PLACE {place} at age {age}");
        if (place == "R5" && age < 10) Add(R372, row, "PLACE", $"PLACE R5 at age {age}");
        if (place == "S1" && age < 4) Add(R373, row, "PLACE", $"PLACE S1 at age {age}");
        if (place == "P3" && age < 14) Add(R374, row, "PLACE", $"PLACE P3 at age {age}");
    }
}
