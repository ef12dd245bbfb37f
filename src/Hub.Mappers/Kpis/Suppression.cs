namespace Hub.Mappers.Kpis;

/// <summary>A count as published: null when suppressed.</summary>
public sealed record PublishedTally(int? InitialPopulation, int? Denominator, int? Numerator, int? Concern)
{
    /// <summary>Numerator over denominator; absent when either is suppressed or there is no denominator.</summary>
    public decimal? Score => Numerator is { } n && Denominator is { } d && d > 0 ? Math.Round((decimal)n / d, 4) : null;
}

/// <summary>What a report may show: each stratum's counts with small numbers suppressed, and the SDQ figures.</summary>
public sealed record PublishedCounts(string Measure, IReadOnlyDictionary<Stratum, PublishedTally> ByStratum, IReadOnlyDictionary<Stratum, decimal?> SdqAverage)
{
    public PublishedTally this[Stratum s] => ByStratum[s];

    /// <summary>In-area score minus out-of-area score (positive: children placed in area do better); absent if either is.</summary>
    public decimal? Gap => this[Stratum.InArea].Score is { } i && this[Stratum.OutOfArea].Score is { } o ? i - o : null;

    /// <summary>Share of the children with an SDQ score whose score is of concern (17+).</summary>
    public decimal? ConcernShare(Stratum s) => this[s].Concern is { } c && this[s].Numerator is { } n && n > 0 ? Math.Round((decimal)c / n, 4) : null;
}

/// <summary>
/// Small-number suppression (consent.md §3.5 row 16, decisions.md): a count of 1 to 4 is never shown, nor anything
/// it could be worked out from. Three rules, applied until nothing changes:
/// a count of 1–4 is suppressed, and so is a nested count 1–4 short of the count it sits in (its complement is small); a count nested in a suppressed one (denominator in initial population, numerator in
/// denominator, SDQ concern in numerator) is suppressed with it; and since all = in-area + out-of-area, when exactly one
/// of the three is suppressed another goes too (the other stratum, so the total stays; the larger stratum if the total
/// went). Zero is shown. Scores, averages and the gap are shown only when the counts they come from are.
/// </summary>
public static class Suppression
{
    public const int Smallest = 1, Largest = 4;

    enum Kind { InitialPopulation, Denominator, Numerator, Concern }

    static readonly Kind[] Kinds = Enum.GetValues<Kind>();
    static readonly Stratum[] Strata = [Stratum.All, Stratum.InArea, Stratum.OutOfArea];

    public static bool IsSmall(int count) => count is >= Smallest and <= Largest;

    public static PublishedCounts Apply(MeasureCounts counts)
    {
        int Value(Stratum s, Kind k) => k switch
        {
            Kind.InitialPopulation => counts[s].InitialPopulation,
            Kind.Denominator => counts[s].Denominator,
            Kind.Numerator => counts[s].Numerator,
            _ => counts[s].Concern,
        };
        var hidden = new HashSet<(Stratum, Kind)>();
        foreach (var s in Strata)
            foreach (var k in Kinds)
                if (IsSmall(Value(s, k))) hidden.Add((s, k));
        // The complement is a count too: 97 of 100 children checked says 3 were not, so a nested count within 1–4 of the
        // count it sits in is suppressed as if it were small itself.
        foreach (var s in Strata)
            for (var i = 1; i < Kinds.Length; i++)
                if (IsSmall(Value(s, Kinds[i - 1]) - Value(s, Kinds[i]))) hidden.Add((s, Kinds[i]));

        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var s in Strata)
                for (var i = 1; i < Kinds.Length; i++)
                    if (hidden.Contains((s, Kinds[i - 1])) && hidden.Add((s, Kinds[i]))) changed = true;
            foreach (var k in Kinds)
            {
                var suppressed = Strata.Where(s => hidden.Contains((s, k))).ToList();
                if (suppressed.Count != 1) continue;
                var other = suppressed[0] switch
                {
                    Stratum.InArea => Stratum.OutOfArea,
                    Stratum.OutOfArea => Stratum.InArea,
                    _ => Value(Stratum.InArea, k) >= Value(Stratum.OutOfArea, k) ? Stratum.InArea : Stratum.OutOfArea,
                };
                hidden.Add((other, k));
                changed = true;
            }
        }

        int? Shown(Stratum s, Kind k) => hidden.Contains((s, k)) ? null : Value(s, k);
        var published = Strata.ToDictionary(s => s, s => new PublishedTally(
            Shown(s, Kind.InitialPopulation), Shown(s, Kind.Denominator), Shown(s, Kind.Numerator), Shown(s, Kind.Concern)));
        var average = Strata.ToDictionary(s => s, s =>
            published[s].Numerator is { } n && n > 0 ? Math.Round((decimal)counts[s].ScoreSum / n, 1) : (decimal?)null);
        return new PublishedCounts(counts.Measure, published, average);
    }
}
