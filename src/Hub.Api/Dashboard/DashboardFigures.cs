using Hl7.Fhir.Model;
using Hub.Api.Kpis;
using Hub.Mappers.Kpis;

namespace Hub.Api.Dashboard;

/// <summary>One stratum's figures as published: null where suppressed (or, for the score, where there is nothing to divide).</summary>
public sealed record StratumFigures(int? Denominator, int? Numerator, decimal? Score);

/// <summary>The SDQ's extra figures for one stratum: the mean total score and the share scoring 17 or more.</summary>
public sealed record SdqFigures(decimal? Average, decimal? ConcernShare);

/// <summary>One month of a trend line.</summary>
public sealed record TrendPoint(DateOnly Month, StratumFigures All, StratumFigures InArea, StratumFigures OutOfArea);

/// <summary>
/// One KPI as the dashboard shows it, read from the very MeasureReport `$evaluate-measure` answers (so the page can never
/// show a figure the report would not), with its monthly trend where it has one.
/// </summary>
public sealed record KpiFigures(
    string Id,
    string Title,
    StratumFigures All,
    StratumFigures InArea,
    StratumFigures OutOfArea,
    decimal? Gap,
    IReadOnlyDictionary<Stratum, SdqFigures>? Sdq,
    IReadOnlyList<TrendPoint>? Trend,
    string? Unavailable = null)
{
    /// <summary>The statutory target every KPI is judged against.</summary>
    public const decimal Target = 0.9m;

    const string CountSystem = "http://terminology.hl7.org/CodeSystem/measure-population";

    public StratumFigures this[Stratum s] => s switch { Stratum.InArea => InArea, Stratum.OutOfArea => OutOfArea, _ => All };

    /// <summary>A KPI the hub could not count for this period (e.g. IHA beyond the bank holidays shipped): the reason shown instead.</summary>
    public static KpiFigures NotAvailable(string id, string title, string reason)
    {
        var none = new StratumFigures(null, null, null);
        return new KpiFigures(id, title, none, none, none, null, null, null, reason);
    }

    public static KpiFigures From(string id, string title, MeasureReport report, IReadOnlyList<MonthlyCounts>? trend)
    {
        var group = report.Group[0];
        var strata = group.Stratifier.SingleOrDefault()?.Stratum ?? [];
        StratumFigures Placed(Stratum stratum)
        {
            var s = strata.SingleOrDefault(x => x.Value?.Coding.FirstOrDefault()?.Code == Code(stratum));
            if (s is null) return new StratumFigures(null, null, null);
            var counts = s.Population.Select(p => (p.Code, p.Count)).ToList();
            return new StratumFigures(Count(counts, "denominator"), Count(counts, "numerator"), s.MeasureScore?.Value);
        }
        var total = group.Population.Select(p => (p.Code, p.Count)).ToList();
        var all = new StratumFigures(Count(total, "denominator"), Count(total, "numerator"), group.MeasureScore?.Value);
        var gap = group.Stratifier.SingleOrDefault()?.GetExtensionValue<FhirDecimal>(MeasureEvaluation.GapExtension)?.Value;

        IReadOnlyDictionary<Stratum, SdqFigures>? sdq = null;
        if (id == Measures.Sdq && report.Group.Count >= 3)
        {
            decimal? Score(MeasureReport.GroupComponent g, Stratum s) => s == Stratum.All
                ? g.MeasureScore?.Value
                : g.Stratifier.SingleOrDefault()?.Stratum.SingleOrDefault(x => x.Value?.Coding.FirstOrDefault()?.Code == Code(s))?.MeasureScore?.Value;
            sdq = Enum.GetValues<Stratum>().ToDictionary(s => s, s => new SdqFigures(Score(report.Group[1], s), Score(report.Group[2], s)));
        }
        return new KpiFigures(id, title, all, Placed(Stratum.InArea), Placed(Stratum.OutOfArea), gap, sdq,
            trend?.Select(m => new TrendPoint(m.Month, Figures(m.Counts[Stratum.All]), Figures(m.Counts[Stratum.InArea]), Figures(m.Counts[Stratum.OutOfArea]))).ToList());
    }

    static string Code(Stratum s) => s == Stratum.InArea ? "in-area" : "out-of-area";

    static StratumFigures Figures(PublishedTally t) => new(t.Denominator, t.Numerator, t.Score);

    static int? Count(List<(CodeableConcept? Code, int? Count)> populations, string code) =>
        populations.FirstOrDefault(p => p.Code?.Coding.Any(c => c.System == CountSystem && c.Code == code) == true).Count;
}
