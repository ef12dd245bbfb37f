using System.Globalization;
using System.Text;
using Hub.Mappers.Identifiers;

namespace Hub.Mappers.Ssda903.Generation;

/// <summary>
/// A synthetic SSDA903 return held in memory: per table, rows of values as the CSV writes them (dates dd/mm/yyyy,
/// blank = null), in the column order of <see cref="Ssda903Tables"/>.
/// </summary>
public sealed class GeneratedReturn
{
    readonly Dictionary<TableSpec, List<string?[]>> tables;

    internal GeneratedReturn(string la, int year, Dictionary<TableSpec, List<string?[]>> tables,
        IReadOnlyDictionary<Scenario, string> scenarios, IReadOnlyList<ProviderRecord> providerRecords) =>
        (La, Year, this.tables, Scenarios, ProviderRecords) = (la, year, tables, scenarios, providerRecords);

    public string La { get; }
    public int Year { get; }

    /// <summary>The CHILD id of each fixed scenario the return starts with (fewer when the return is smaller than the list).</summary>
    public IReadOnlyDictionary<Scenario, string> Scenarios { get; }

    /// <summary>What the CLA health teams recorded about the children, in the order generated; empty without health teams.</summary>
    public IReadOnlyList<ProviderRecord> ProviderRecords { get; }

    /// <summary>The tables of the return's year, child_identifiers included.</summary>
    public IReadOnlyList<TableSpec> Tables => [.. Ssda903Tables.All.Where(tables.ContainsKey)];

    public int Count(TableSpec table) => tables.TryGetValue(table, out var rows) ? rows.Count : 0;

    /// <summary>The rows of a table, column → value (null when blank).</summary>
    public IEnumerable<IReadOnlyDictionary<string, string?>> Rows(TableSpec table) =>
        tables.TryGetValue(table, out var rows)
            ? rows.Select(r => (IReadOnlyDictionary<string, string?>)table.Columns.Select((c, i) => (c.Name, r[i])).ToDictionary(p => p.Name, p => p.Item2))
            : [];

    /// <summary>One `{table}.csv` per table (UTF-8, no BOM, LF), header line of the exact column names.</summary>
    public void WriteCsv(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var table in Tables)
        {
            using var writer = new StreamWriter(Path.Combine(folder, table.Name + ".csv"), false, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
            writer.WriteLine(string.Join(',', table.ColumnNames));
            foreach (var row in tables[table])
                writer.WriteLine(string.Join(',', row.Select(Field)));
        }
    }

    /// <summary>
    /// One transaction Bundle per health team, as `provider-records/{ODS}.json` under <paramref name="folder"/> (beside
    /// the CSV files, where the importer does not look); returns the files written.
    /// </summary>
    public IReadOnlyList<string> WriteProviderRecords(string folder)
    {
        var written = new List<string>();
        var target = Path.Combine(folder, "provider-records");
        foreach (var (team, bundle) in ProviderBundles.Build(ProviderRecords))
        {
            Directory.CreateDirectory(target);
            var path = Path.Combine(target, team + ".json");
            using (var file = File.Create(path)) ProviderBundles.Write(bundle, file);
            written.Add(path);
        }
        return written;
    }

    static string Field(string? value) =>
        value is null ? "" : value.AsSpan().IndexOfAny(",\"\n\r") < 0 ? value : $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}

/// <summary>
/// The cases every generated return starts with, in this order, so that any return (the demo's included) shows each
/// one whatever the seed.
/// </summary>
public enum Scenario
{
    /// <summary>Fostered at home, then moved during the year to a children's home in another ICB's area; still there.</summary>
    PlacedOutOfArea,
    /// <summary>Looked after from 14, left care on the 18th birthday, the first day of the collection year: 19 all through the year after it.</summary>
    CareLeaverAged19,
    /// <summary>Adopted during the year (REC E11/E12): the hub seals the record.</summary>
    Adopted,
}

/// <summary>
/// Generates a realistic and valid SSDA903 return (decisions.md "The demo and the generator"): deterministic for a
/// seed, codes valid in the collection year only, contiguous episodes, plausible distributions; some children placed
/// out of area, some care leavers, a few adoptions, NHS numbers for most children, and for some of them what their CLA
/// health teams recorded (health assessments, immunisations). The first children are the fixed <see cref="Scenario"/>s.
/// </summary>
public static class ReturnGenerator
{
    /// <param name="la">DfE 3-digit LA number.</param>
    /// <param name="year">Collection year by its ending (2025 = 2024/25).</param>
    /// <param name="children">Children in the return.</param>
    /// <param name="seed">Same seed, same return.</param>
    /// <param name="codes">The year-versioned code lists.</param>
    /// <param name="homePostcodeAreas">Postcode prefixes of the LA's own area (an area "TA" or a district "BA4").</param>
    /// <param name="outOfAreaPostcodeAreas">Postcode prefixes elsewhere, for children placed out of area.</param>
    /// <param name="healthTeams">CLA health teams that write provider records; the one covering the LA's own postcode
    /// areas is the responsible team. None: no provider records.</param>
    /// <param name="practices">GP practices by area: a child with an NHS number is registered with one where it lives
    /// (child_identifiers GP_PRACTICE). None: no registrations.</param>
    public static GeneratedReturn Generate(string la, int year, int children, int seed, CodeLists codes,
        IReadOnlyList<string> homePostcodeAreas, IReadOnlyList<string> outOfAreaPostcodeAreas, IReadOnlyList<HealthTeam>? healthTeams = null,
        IReadOnlyList<GpPracticeArea>? practices = null)
    {
        if (la.Length != 3 || !la.All(char.IsAsciiDigit)) throw new ArgumentException($"{la} is not a 3-digit LA number", nameof(la));
        if (year is < Ssda903Tables.FirstYear or > Ssda903Tables.LatestYear) throw new ArgumentOutOfRangeException(nameof(year), year, "not a collection year this hub accepts");
        if (children is < 1 or > 999_999) throw new ArgumentOutOfRangeException(nameof(children), children, "from 1 to 999,999 children");
        if (homePostcodeAreas.Count == 0) throw new ArgumentException("no postcode areas for the LA", nameof(homePostcodeAreas));
        return new Generation(la, year, seed, codes, homePostcodeAreas, outOfAreaPostcodeAreas.Count > 0 ? outOfAreaPostcodeAreas : homePostcodeAreas,
            healthTeams ?? [], practices ?? []).Run(children);
    }
}

sealed class Generation
{
    sealed record Episode(DateOnly Start, DateOnly? End, string Rne, string Ls, string Place, string? Provider, string? PlacePostcode, string? Urn)
    {
        public string? Rec { get; set; }
        public string? ReasonPlaceChange { get; set; }
    }

    enum Kind { LookedAfter, Ceased, CareLeaver, Adopted }

    const string Inward = "ABDEFGHJLNPQRSTUWXYZ";
    static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    readonly string la;
    readonly int year;
    readonly Random random;
    readonly CodeLists codes;
    readonly IReadOnlyList<string> home, away;
    readonly DateOnly start, end;
    readonly Dictionary<TableSpec, List<string?[]>> tables = [];
    readonly Dictionary<string, (string Code, double Weight)[]> weighted = [];
    readonly Dictionary<Scenario, string> scenarios = [];
    readonly HealthRecords? health;
    readonly IReadOnlyList<GpPracticeArea> practices;
    long lastStem = -1;

    public Generation(string la, int year, int seed, CodeLists codes, IReadOnlyList<string> home, IReadOnlyList<string> away, IReadOnlyList<HealthTeam> teams,
        IReadOnlyList<GpPracticeArea> practices)
    {
        (this.la, this.year, this.codes, this.home, this.away, this.practices) = (la, year, codes, home, away, practices);
        random = new Random(seed);
        // Provider records draw from their own stream, so adding or changing them never changes the return itself.
        health = HealthRecords.For(teams, home, new Random(unchecked(seed * 7919 + 104_729)), year);
        (start, end) = (new DateOnly(year - 1, 4, 1), new DateOnly(year, 3, 31));
        foreach (var table in Ssda903Tables.All.Where(t => t.InYear(year))) tables[table] = [];
    }

    public GeneratedReturn Run(int children)
    {
        var stride = 1_000_000 / children;
        var fixedCases = Enum.GetValues<Scenario>();
        for (var i = 0; i < children; i++)
        {
            Scenario? scenario = i < fixedCases.Length ? fixedCases[i] : null;
            var id = $"{la}{i + 1:D7}";
            if (scenario is { } s) scenarios[s] = id;
            Child(id, long.Parse(la, Invariant) * 1_000_000 + (long)i * stride, scenario);
        }
        return new GeneratedReturn(la, year, tables, scenarios, health?.Records ?? []);
    }

    void Add(TableSpec table, params string?[] values)
    {
        if (tables.TryGetValue(table, out var rows)) rows.Add(values);
    }

    void Child(string id, long stem, Scenario? scenario)
    {
        var roll = random.NextDouble();
        var kind = scenario switch
        {
            Scenario.Adopted => Kind.Adopted,
            Scenario.CareLeaverAged19 => Kind.CareLeaver,
            Scenario.PlacedOutOfArea => Kind.LookedAfter,
            _ => roll < 0.01 ? Kind.Adopted : roll < 0.06 ? Kind.CareLeaver : roll < 0.20 ? Kind.Ceased : Kind.LookedAfter,
        };
        var uasc = scenario is null && kind is Kind.LookedAfter or Kind.Ceased && random.NextDouble() < 0.06;
        var male = random.NextDouble() < (uasc ? 0.92 : 0.56);
        var homePostcode = Postcode(home);
        var outOfArea = scenario switch { Scenario.PlacedOutOfArea => true, null => random.NextDouble() < 0.13, _ => false };

        DateOnly dob, careStart;
        DateOnly? careEnd = null;
        List<Episode> episodes;
        string? finalRec;
        (DateOnly Decided, DateOnly Matched)? adoption = null;
        switch (kind)
        {
            case Kind.Adopted:
            {
                var adopted = Between(start.AddDays(1), end);
                var placed = adopted.AddDays(-random.Next(90, 300));
                var matched = placed.AddDays(-random.Next(14, 60));
                var decided = matched.AddDays(-random.Next(60, 240));
                careStart = decided.AddDays(-random.Next(60, 400));
                dob = careStart.AddDays(-random.Next(0, 700));
                careEnd = adopted;
                adoption = (decided, matched);
                episodes = AdoptionEpisodes(careStart, placed, adopted, homePostcode, outOfArea);
                finalRec = Pick("E11", 0.55, "E12", 0.45);
                break;
            }
            case Kind.CareLeaver when scenario == Scenario.CareLeaverAged19:
            {
                dob = start.AddYears(-18);
                careStart = dob.AddYears(14).AddDays(random.Next(30, 400));
                careEnd = start;
                finalRec = Valid(Ssda903Field.ReasonEpisodeCeased, ("E17", 35), ("E5", 35), ("E6", 20), ("E8", 10));
                episodes = Chain(careStart, careEnd, dob, homePostcode, outOfArea, uasc: false);
                break;
            }
            case Kind.LookedAfter when scenario == Scenario.PlacedOutOfArea:
            {
                dob = end.AddYears(-12).AddDays(-random.Next(0, 365));
                careStart = start.AddDays(-random.Next(200, 500));
                finalRec = null;
                episodes = MovedOutOfArea(careStart, homePostcode);
                break;
            }
            case Kind.CareLeaver:
            {
                var age = Pick(17, 0.15, 18, 0.25, 19, 0.22, 20, 0.2, 21, 0.18);
                dob = end.AddYears(-age).AddDays(-random.Next(0, 365));
                var left = age == 17 || random.NextDouble() < 0.25
                    ? Between(dob.AddYears(16), Min(dob.AddYears(18), end).AddDays(-1))
                    : dob.AddYears(18);
                if (age == 17) left = Min(left, dob.AddYears(17).AddDays(-1));
                careStart = Max(dob.AddYears(random.Next(8, 16)).AddDays(random.Next(0, 365)), dob.AddDays(1));
                if (careStart >= left.AddDays(-30)) careStart = left.AddDays(-random.Next(30, 400));
                careEnd = left;
                finalRec = left == dob.AddYears(18) ? Pick("E17", 0.35, "E5", 0.35, "E6", 0.2, "E8", 0.1) : Pick("E4A", 0.4, "E13", 0.2, "E8", 0.2, "E6", 0.2);
                episodes = Chain(careStart, careEnd, dob, homePostcode, outOfArea, uasc: false);
                break;
            }
            default:
            {
                var age = AgeAtEnd(uasc);
                dob = end.AddYears(-age).AddDays(-random.Next(0, 365));
                if (dob > end) dob = end;
                var inCare = (int)Math.Min(-Math.Log(1 - random.NextDouble()) * 900, end.DayNumber - dob.DayNumber);
                if (uasc) inCare = Math.Min(inCare, Math.Max(0, end.DayNumber - dob.AddYears(14).DayNumber));
                careStart = end.AddDays(-inCare);
                if (kind == Kind.Ceased)
                {
                    var ceased = Between(Max(start, careStart).AddDays(1), end);
                    if (ceased > careStart && ceased <= end && ceased < dob.AddYears(18)) careEnd = ceased;
                }
                if (careEnd is null && careStart == end) careStart = end.AddDays(-1) < dob ? end : end.AddDays(-1);
                finalRec = careEnd is null ? null : Valid(Ssda903Field.ReasonEpisodeCeased,
                    ("E4A", 35), ("E4B", 5), ("E13", 10), ("E41", 8), ("E45", 6), ("E46", 4), ("E47", 4), ("E48", 2), ("E43", 6), ("E44", 4), ("E8", 8), ("E3", 3), ("E9", 1), ("E14", 2));
                episodes = Chain(careStart, careEnd, dob, homePostcode, outOfArea, uasc);
                break;
            }
        }
        if (careEnd is not null && episodes.Count > 0) episodes[^1].Rec = finalRec;

        var sex = year >= 2025 ? (male ? "M" : "F") : (male ? "1" : "2");
        var ageAtEnd = Age(dob, end);
        string? mother = null, childDob = null;
        if (!male && Age(dob, start) >= 12)
        {
            mother = "0";
            if (random.NextDouble() < 0.02 && Age(dob, end) >= 14)
                (mother, childDob) = ("1", Text(Between(dob.AddYears(13), end)));
        }
        var dobText = Text(dob);
        Add(Ssda903Tables.Header, id, sex, dobText, Ethnicity(uasc), Upn(ageAtEnd), mother, childDob);

        var inYear = episodes.Where(e => e.End is null || e.End >= start).ToList();
        var cin = Cin(uasc);
        foreach (var e in inYear)
            Add(Ssda903Tables.Episodes, id, Text(e.Start), e.Rne, e.Ls, cin, e.Place, e.Provider,
                Text(e.End), e.End is null ? null : e.Rec, e.ReasonPlaceChange, e.Ls is "V3" or "V4" ? null : homePostcode, e.PlacePostcode, e.Urn);

        if (uasc) Add(Ssda903Tables.Uasc, id, sex, dobText, null);
        if (inYear.Count > 0)
        {
            var until = careEnd ?? end;
            Reviews(id, dobText, dob, careStart, until);
            Missing(id, dobText, dob, Max(start, careStart), until);
            if (Ssda903Tables.SocialWorkerEpisodes.InYear(year)) SocialWorkers(id, dobText, careStart, careEnd);
            if (careStart >= start) PreviousPermanence(id, dobText, dob);
            if (careEnd is null && careStart <= end.AddYears(-1)) Oc2(id, dobText, dob);
            if (Ssda903Tables.DeprivationOfLiberty.InYear(year) && Age(dob, end) >= 10 && random.NextDouble() < 0.01)
            {
                var from = Between(Max(start, careStart), until);
                Add(Ssda903Tables.DeprivationOfLiberty, id, dobText, Text(from), random.NextDouble() < 0.5 ? null : Text(Between(from, until)));
            }
        }
        if (kind == Kind.CareLeaver && Enumerable.Range(17, 5).Any(n => dob.AddYears(n) is var b && b >= start && b <= end && careEnd < b))
            Oc3(id, dobText);
        if (adoption is { } a)
        {
            Add(Ssda903Tables.PlacedForAdoption, id, dobText, Text(a.Decided), null, null);
            var couple = random.NextDouble() < 0.82;
            var sexes = couple ? Pick("MF", 0.85, "FF", 0.09, "MM", 0.06) : Pick("F1", 0.85, "M1", 0.15);
            var status = couple ? (sexes == "MF" ? Pick("L11", 0.75, "L3", 0.25) : Pick("L12", 0.5, "L2", 0.3, "L4", 0.2)) : "L0";
            Add(Ssda903Tables.Ad1, id, dobText, Text(a.Decided), Text(a.Matched), random.NextDouble() < 0.15 ? "1" : "0", couple ? "2" : "1", sexes, status);
        }
        if (scenario is not null || random.NextDouble() < (uasc ? 0.6 : 0.92))
        {
            var nhs = Nhs(stem);
            Add(Ssda903Tables.ChildIdentifiers, id, nhs, PracticeFor(id, episodes.LastOrDefault()?.PlacePostcode));
            // An adopted child's records are sealed, and the adoption gives the child a new NHS number: no provider writes to the old one.
            if (kind != Kind.Adopted)
                health?.Child(id, nhs, dob, [.. episodes.Select(e => new HealthRecords.Stay(e.Start, e.End, e.PlacePostcode))], always: scenario is not null);
        }
    }

    /// <summary>
    /// The practice a child is registered with: one in the area of its last placement (else the LA's own area), chosen by
    /// the child's id rather than the random stream, so registrations never change the rest of the return.
    /// </summary>
    string? PracticeFor(string child, string? postcode)
    {
        if (practices.Count == 0) return null;
        var near = practices.Where(p => Mapping.Placement.Prefixes(postcode).Any(prefix => p.PostcodeAreas.Contains(prefix, StringComparer.OrdinalIgnoreCase))).ToList();
        if (near.Count == 0) near = [.. practices.Where(p => home.Any(h => p.PostcodeAreas.Contains(h, StringComparer.OrdinalIgnoreCase)))];
        if (near.Count == 0) return null;
        var pick = (int)(long.Parse(child[^6..], Invariant) % near.Count);
        return near[pick].Ods;
    }

    /// <summary>
    /// <see cref="Scenario.PlacedOutOfArea"/>: a care order and foster care in the LA's own area, then, during the
    /// year, a move to a children's home in another ICB's area that is still open at the end of the year.
    /// </summary>
    List<Episode> MovedOutOfArea(DateOnly careStart, string homePostcode)
    {
        var moved = Between(start.AddDays(30), end.AddDays(-60));
        var (fosterProvider, fosterPostcode, _) = Where("U4", homePostcode, outOfArea: false);
        var (homeProvider, homeAwayPostcode, urn) = Where("K2", homePostcode, outOfArea: true);
        var fostered = new Episode(careStart, moved, "S", "C2", "U4", fosterProvider, fosterPostcode, null)
        {
            Rec = "X1",
            ReasonPlaceChange = Valid(Ssda903Field.ReasonPlaceChange, ("CARPL", 1)),
        };
        return [fostered, new Episode(moved, null, "P", "C2", "K2", homeProvider, homeAwayPostcode, urn)];
    }

    /// <summary>Care starts in foster care under an interim order or s20, moves to a placement order, ends in adoption.</summary>
    List<Episode> AdoptionEpisodes(DateOnly careStart, DateOnly placed, DateOnly adopted, string homePostcode, bool outOfArea)
    {
        var place = Pick("U6", 0.6, "U4", 0.3, "U3", 0.1);
        var (provider, postcode, urn) = Where(place, homePostcode, outOfArea);
        var fullOrder = careStart.AddDays(random.Next(20, Math.Max(21, Math.Min(150, placed.DayNumber - careStart.DayNumber))));
        var list = new List<Episode>();
        var first = new Episode(careStart, fullOrder < placed ? fullOrder : placed, "S", Pick("C1", 0.7, "V2", 0.3), place, provider, postcode, urn) { Rec = "X1" };
        list.Add(first);
        if (fullOrder < placed) list.Add(new Episode(fullOrder, placed, "L", "C2", place, provider, postcode, urn) { Rec = "X1" });
        list[^1].ReasonPlaceChange = "CARPL";
        var adoptive = Pick("A6", 0.75, "A5", 0.25);
        var (adoptiveProvider, adoptivePostcode, _) = Where(adoptive, homePostcode, outOfArea);
        list.Add(new Episode(placed, adopted, "B", "E1", adoptive, adoptiveProvider, adoptivePostcode, null));
        return list;
    }

    /// <summary>A period of care from <paramref name="from"/>: each episode ends (X1) where the next begins; open when <paramref name="until"/> is null.</summary>
    List<Episode> Chain(DateOnly from, DateOnly? until, DateOnly dob, string homePostcode, bool outOfArea, bool uasc)
    {
        var list = new List<Episode>();
        var ls = uasc ? "V2" : Pick("V2", 0.38, "C1", 0.45, "L2", 0.06, "L1", 0.05, "J2", 0.03, "C2", 0.03);
        var place = Placement(Age(dob, from), null);
        var (provider, postcode, urn) = Where(place, homePostcode, outOfArea);
        var (rne, begins) = ("S", from);
        while (true)
        {
            // Half the episodes end within three months (a move, a new legal status): about 2.2 episodes a child in the
            // year, the shape of the import benchmark's national return (90,000 children, 200,000 episodes).
            var length = random.NextDouble() < 0.5 ? random.Next(7, 90) : random.Next(90, 640);
            var ends = begins.AddDays(length);
            var last = until is { } stop ? ends >= stop.AddDays(-1) : ends > end;
            if (last)
            {
                list.Add(new Episode(begins, until, rne, ls, place, provider, postcode, urn));
                return list;
            }
            var episode = new Episode(begins, ends, rne, ls, place, provider, postcode, urn) { Rec = "X1" };
            list.Add(episode);
            var nextLs = ls switch
            {
                "C1" or "L1" or "L2" or "J2" => "C2",
                "V2" when random.NextDouble() < 0.2 => "C1",
                _ => ls,
            };
            var change = nextLs != ls ? Pick("L", 0.7, "B", 0.3) : "P";
            if (change is "P" or "B")
            {
                place = Placement(Age(dob, ends), place);
                (provider, postcode, urn) = Where(place, homePostcode, outOfArea);
                episode.ReasonPlaceChange = Valid(Ssda903Field.ReasonPlaceChange, ("CARPL", 30), ("CREQB", 10), ("CREQO", 10), ("CHILD", 8), ("LAREQ", 10),
                    ("PLACE", 12), ("STAND", 6), ("APPRR", 4), ("ALLEG", 2), ("CLOSE", 3), ("OTHER", 5));
            }
            (rne, ls, begins) = (change, nextLs, ends);
        }
    }

    string Placement(int age, string? current)
    {
        for (var attempt = 0; ; attempt++)
        {
            var place = age switch
            {
                >= 16 => Valid(Ssda903Field.PlacementType, ("U6", 30), ("U4", 10), ("U3", 5), ("K2", 14), ("H5", 16), ("K3", 16), ("P1", 4), ("R1", 3), ("P3", 1), ("R5", 1), ("Z1", 2), ("Z11", 1), ("Z12", 1)),
                >= 10 => Valid(Ssda903Field.PlacementType, ("U6", 38), ("U4", 18), ("U3", 7), ("U1", 2), ("K2", 16), ("R1", 4), ("P1", 5), ("S1", 3), ("K1", 1), ("R5", 1), ("R2", 1), ("Z1", 1), ("Z11", 1)),
                >= 4 => Valid(Ssda903Field.PlacementType, ("U6", 45), ("U4", 22), ("U3", 10), ("U1", 3), ("K2", 5), ("P1", 8), ("S1", 2), ("R1", 1)),
                _ => Valid(Ssda903Field.PlacementType, ("U6", 50), ("U4", 18), ("U3", 12), ("U1", 4), ("P1", 10), ("R3", 4)),
            };
            if (place != current || attempt > 5) return place;
        }
    }

    (string? Provider, string? Postcode, string? Urn) Where(string place, string homePostcode, bool outOfArea)
    {
        var postcode = homePostcode;
        while (place != "P1" && postcode == homePostcode) postcode = Postcode(outOfArea ? away : home);
        var provider = place switch
        {
            "P1" => "PR0",
            "R2" or "R5" => "PR3",
            "K2" or "K3" or "H5" or "R1" or "S1" or "P3" => outOfArea ? Pick("PR4", 0.85, "PR2", 0.15) : Pick("PR4", 0.7, "PR1", 0.3),
            "Z1" or "Z11" or "Z12" or "Z13" or "Z14" => null,
            _ when place.StartsWith('A') => Pick("PR1", 0.7, "PR5", 0.3),
            _ => outOfArea ? Pick("PR4", 0.6, "PR2", 0.4) : Pick("PR1", 0.6, "PR4", 0.35, "PR5", 0.05),
        };
        var urn = place is "K1" or "K2" or "S1" or "K3" ? $"SC{random.Next(0, 1_000_000):D6}" : null;
        return (provider, postcode, urn);
    }

    void Reviews(string id, string dobText, DateOnly dob, DateOnly careStart, DateOnly until)
    {
        var review = careStart.AddDays(random.Next(10, 21));
        for (var n = 0; review <= until; n++)
        {
            if (review >= start && review <= end)
                Add(Ssda903Tables.Reviews, id, dobText, Text(review),
                    Age(dob, review) < 4 ? "PN0" : Valid(Ssda903Field.ReviewCode, ("PN1", 55), ("PN2", 12), ("PN3", 8), ("PN4", 6), ("PN5", 5), ("PN6", 5), ("PN7", 3)));
            review = review.AddDays(n == 0 ? random.Next(80, 92) : random.Next(150, 183));
        }
    }

    void Missing(string id, string dobText, DateOnly dob, DateOnly from, DateOnly until)
    {
        if (Age(dob, end) < 10 || random.NextDouble() > 0.2 || from >= until) return;
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var gone = Between(from, until);
            var back = gone.AddDays(random.Next(0, 5));
            Add(Ssda903Tables.Missing, id, dobText, Pick("M", 0.8, "A", 0.2), Text(gone), back > end ? null : Text(back));
        }
    }

    void SocialWorkers(string id, string dobText, DateOnly careStart, DateOnly? careEnd)
    {
        var begins = careStart;
        var worker = random.Next(1000, 10000);
        var latest = (careEnd ?? end).AddDays(-1);
        if (careStart < start && latest > start && random.NextDouble() < 0.3)
        {
            var changed = Between(start, latest);
            Add(Ssda903Tables.SocialWorkerEpisodes, id, dobText, $"SW{la}{worker}", Text(begins), Text(changed),
                Valid(Ssda903Field.SwReason, ("LEFTRL", 40), ("MANAGE", 25), ("ORGRST", 10), ("ABSENC", 10), ("OTHERS", 15)));
            (begins, worker) = (changed, random.Next(1000, 10000));
        }
        Add(Ssda903Tables.SocialWorkerEpisodes, id, dobText, $"SW{la}{worker}", Text(begins), Text(careEnd), careEnd is null ? null : "CHCHAN");
    }

    void PreviousPermanence(string id, string dobText, DateOnly dob)
    {
        var previous = Pick("Z1", 0.85, "P2", 0.05, "P3", 0.04, "P1", 0.02, "P4", 0.04);
        if (previous is "Z1" or "P4") Add(Ssda903Tables.PreviousPermanence, id, dobText, previous, null, null);
        else Add(Ssda903Tables.PreviousPermanence, id, dobText, previous, la, Text(Between(dob.AddDays(30), start.AddDays(-30) < dob.AddDays(30) ? dob.AddDays(30) : start.AddDays(-30))));
    }

    void Oc2(string id, string dobText, DateOnly dob)
    {
        var (ageEnd, ageStart) = (Age(dob, end), Age(dob, start));
        string? score = null, reason = null;
        if (ageEnd >= 4 && ageStart < 17)
        {
            if (random.NextDouble() < 0.78) score = Math.Clamp((int)Math.Round(Normal(14, 6.5)), 0, 40).ToString(Invariant);
            else reason = Valid(Ssda903Field.SdqReason, ("SDQ1", 15), ("SDQ2", 15), ("SDQ3", 10), ("SDQ4", 45), ("SDQ5", 15));
        }
        var misuse = ageEnd >= 10 && random.NextDouble() < 0.05 ? "1" : "0";
        var received = misuse == "1" ? Flag(0.6) : null;
        Add(Ssda903Tables.Oc2, id, dobText, score, reason, ageEnd >= 10 ? Flag(0.04) : null, ageEnd < 5 ? Flag(0.9) : null,
            Flag(0.86), Flag(0.82), Flag(0.9), misuse, received, received == "0" ? Flag(0.7) : null);
    }

    void Oc3(string id, string dobText)
    {
        var inTouch = Valid(Ssda903Field.InTouch, ("YES", 86), ("NO", 5), ("REFU", 3), ("NREQ", 3), ("RHOM", 2), ("DIED", 1));
        if (inTouch is "DIED" or "RHOM") { Add(Ssda903Tables.Oc3, id, dobText, inTouch, "0", "0"); return; }
        var activity = Valid(Ssda903Field.Activity, ("F1", 7), ("P1", 1), ("F2", 25), ("P2", 4), ("F3", 14), ("P3", 5), ("F4", 5), ("P4", 1), ("F5", 9), ("P5", 4), ("G4", 9), ("G5", 20), ("G6", 4));
        var accommodation = Valid(Ssda903Field.Accommodation, ("U1", 30), ("Z1", 12), ("D1", 14), ("E1", 8), ("B1", 12), ("C1", 3), ("T1", 3), ("K1", 3), ("U2", 3), ("B2", 2), ("S2", 1), ("X2", 2), ("Y1", 3), ("V2", 1), ("R2", 1));
        Add(Ssda903Tables.Oc3, id, dobText, inTouch, activity, accommodation);
    }

    int AgeAtEnd(bool uasc)
    {
        if (uasc) return Pick(14, 0.1, 15, 0.25, 16, 0.35, 17, 0.3);
        var band = random.NextDouble();
        return band switch
        {
            < 0.05 => 0,
            < 0.19 => random.Next(1, 5),
            < 0.37 => random.Next(5, 10),
            < 0.76 => random.Next(10, 16),
            _ => random.Next(16, 18),
        };
    }

    string Ethnicity(bool uasc) => uasc
        ? Valid(Ssda903Field.Ethnicity, ("OOTH", 30), ("AOTH", 25), ("BAFR", 25), ("BOTH", 10), ("MOTH", 5), ("NOBT", 5))
        : Valid(Ssda903Field.Ethnicity, ("WBRI", 72), ("WIRI", 0.5), ("WOTH", 4), ("WIRT", 0.3), ("WROM", 0.4), ("MWBC", 3), ("MWBA", 1), ("MWAS", 1.2), ("MOTH", 2.5),
            ("AIND", 0.6), ("APKN", 1), ("ABAN", 0.5), ("AOTH", 1), ("BCRB", 1), ("BAFR", 2.5), ("BOTH", 0.8), ("CHNE", 0.1), ("OOTH", 1.5), ("REFU", 0.2), ("NOBT", 0.5));

    /// <summary>The category of need: why care began, so the same on every episode of the period of care.</summary>
    string Cin(bool uasc) =>
        uasc ? "N8" : Valid(Ssda903Field.CategoryOfNeed, ("N1", 65), ("N2", 3), ("N3", 3), ("N4", 14), ("N5", 7), ("N6", 1), ("N7", 0.2), ("N8", 6.8));

    string Upn(int ageAtEnd)
    {
        if (ageAtEnd < 5) return "UN1";
        const string letters = "ABCDEFGHJKLMNPQRTUVWXYZ";
        return $"{letters[random.Next(letters.Length)]}{la}{random.Next(1000, 10000)}{random.Next(0, 100):D2}{random.Next(0, 1000):D3}";
    }

    /// <summary>A valid NHS number unique across LAs: the stem starts with the LA number.</summary>
    string Nhs(long stem)
    {
        stem = Math.Max(stem, lastStem + 1);
        var number = NhsNumber.FromStem(stem);
        lastStem = long.Parse(number.AsSpan(0, 9), Invariant);
        return number;
    }

    string Postcode(IReadOnlyList<string> areas)
    {
        var prefix = areas[random.Next(areas.Count)];
        var district = prefix.Any(char.IsAsciiDigit) ? prefix : prefix + random.Next(1, 21).ToString(Invariant);
        return $"{district} {random.Next(0, 10)}{Inward[random.Next(Inward.Length)]}{Inward[random.Next(Inward.Length)]}";
    }

    /// <summary>A code drawn by weight among those valid in the year (codes unknown to the list or out of year are dropped).</summary>
    string Valid(string field, params (string Code, double Weight)[] choices)
    {
        var key = field + "|" + string.Join(',', choices.Select(c => c.Code));
        if (!weighted.TryGetValue(key, out var valid))
        {
            var inYear = codes.Codes(field, year).ToHashSet(StringComparer.Ordinal);
            valid = [.. choices.Where(c => inYear.Contains(c.Code))];
            if (valid.Length == 0) throw new InvalidOperationException($"none of {string.Join(", ", choices.Select(c => c.Code))} is a {field} code valid in {year}");
            weighted[key] = valid;
        }
        var total = 0.0;
        foreach (var c in valid) total += c.Weight;
        var r = random.NextDouble() * total;
        foreach (var c in valid)
            if ((r -= c.Weight) < 0) return c.Code;
        return valid[^1].Code;
    }

    T Pick<T>(params object[] pairs)
    {
        var r = random.NextDouble();
        for (var i = 0; i < pairs.Length; i += 2)
            if ((r -= (double)pairs[i + 1]) < 0) return (T)pairs[i];
        return (T)pairs[^2];
    }

    string Pick(string a, double pa, string b, double pb) => Pick<string>(a, pa, b, pb);
    string Pick(string a, double pa, string b, double pb, string c, double pc) => Pick<string>(a, pa, b, pb, c, pc);
    string Pick(string a, double pa, string b, double pb, string c, double pc, string d, double pd) => Pick<string>(a, pa, b, pb, c, pc, d, pd);
    string Pick(string a, double pa, string b, double pb, string c, double pc, string d, double pd, string e, double pe) => Pick<string>(a, pa, b, pb, c, pc, d, pd, e, pe);
    string Pick(string a, double pa, string b, double pb, string c, double pc, string d, double pd, string e, double pe, string f, double pf) => Pick<string>(a, pa, b, pb, c, pc, d, pd, e, pe, f, pf);
    int Pick(int a, double pa, int b, double pb, int c, double pc, int d, double pd) => Pick<int>(a, pa, b, pb, c, pc, d, pd);
    int Pick(int a, double pa, int b, double pb, int c, double pc, int d, double pd, int e, double pe) => Pick<int>(a, pa, b, pb, c, pc, d, pd, e, pe);

    string Flag(double yes) => random.NextDouble() < yes ? "1" : "0";

    double Normal(double mean, double sd) => mean + sd * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    DateOnly Between(DateOnly from, DateOnly to) => to <= from ? from : from.AddDays(random.Next(0, to.DayNumber - from.DayNumber + 1));

    static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;
    static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;

    static int Age(DateOnly birth, DateOnly on)
    {
        var age = on.Year - birth.Year;
        return birth.AddYears(age) > on ? age - 1 : age;
    }

    static string? Text(DateOnly? date) => date?.ToString("dd/MM/yyyy", Invariant);
    static string Text(DateOnly date) => date.ToString("dd/MM/yyyy", Invariant);
}
