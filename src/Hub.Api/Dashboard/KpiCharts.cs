using System.Globalization;
using System.Text;
using Hub.Mappers.Kpis;
using static Hub.Api.Dashboard.DashboardText;

namespace Hub.Api.Dashboard;

/// <summary>
/// The dashboard's charts as inline SVG: no script, so they print and need nothing from outside. Each is an image with
/// a title and a description for screen readers, and the page gives the same figures as a table beside it. Colours
/// have at least 4.5:1 contrast on white, and the strata differ in line style too, not by colour alone.
/// </summary>
public static class KpiCharts
{
    public const string AllColour = "#0b0c0c", InAreaColour = "#1d70b8", OutOfAreaColour = "#912b88", TargetColour = "#b42a14";

    static readonly (Stratum Stratum, string Label, string Colour, string Dash)[] Strata =
    [
        (Stratum.All, "All children", AllColour, ""),
        (Stratum.InArea, "In area", InAreaColour, "8 4"),
        (Stratum.OutOfArea, "Out of area", OutOfAreaColour, "2 4"),
    ];

    static string N(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>Horizontal bars, one per stratum, against the 90% target line; the value written at the end of each bar.</summary>
    public static string Bars(KpiFigures kpi)
    {
        const double left = 110, width = 250, row = 34, top = 22;
        var id = $"bars-{kpi.Id}";
        var height = top + row * Strata.Length + 24;
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart bars\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" viewBox=\"0 0 440 {N(height)}\" width=\"440\" height=\"{N(height)}\" xmlns=\"http://www.w3.org/2000/svg\">");
        s.Append(CultureInfo.InvariantCulture, $"<title id=\"{id}-t\">{H(kpi.Title)}: in area and out of area against the 90% target</title>");
        var desc = string.Join("; ", Strata.Select(x => $"{x.Label} {Percent(kpi[x.Stratum].Score, kpi[x.Stratum].Denominator)}"));
        s.Append(CultureInfo.InvariantCulture, $"<desc id=\"{id}-d\">{H(desc)}. Target 90%.</desc>");
        for (var i = 0; i < Strata.Length; i++)
        {
            var (stratum, label, colour, _) = Strata[i];
            var y = top + i * row;
            var figures = kpi[stratum];
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{N(y + 16)}\" font-size=\"13\" fill=\"#0b0c0c\">{H(label)}</text>");
            s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(left)}\" y=\"{N(y)}\" width=\"{N(width)}\" height=\"22\" fill=\"#f3f2f1\"/>");
            if (figures.Score is { } score)
                s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(left)}\" y=\"{N(y)}\" width=\"{N(width * (double)Math.Clamp(score, 0m, 1m))}\" height=\"22\" fill=\"{colour}\"/>");
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(left + width + 6)}\" y=\"{N(y + 16)}\" font-size=\"13\" fill=\"#0b0c0c\">{H(Percent(figures.Score, figures.Denominator))}</text>");
        }
        var target = left + width * (double)KpiFigures.Target;
        s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(target)}\" x2=\"{N(target)}\" y1=\"{N(top - 6)}\" y2=\"{N(top + row * Strata.Length - 8)}\" stroke=\"{TargetColour}\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(target)}\" y=\"12\" font-size=\"12\" text-anchor=\"middle\" fill=\"{TargetColour}\">target 90%</text>");
        var axis = top + row * Strata.Length;
        foreach (var tick in new[] { 0, 50, 100 })
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(left + width * tick / 100.0)}\" y=\"{N(axis + 8)}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#505a5f\">{tick}%</text>");
        s.Append("</svg>");
        return s.ToString();
    }

    /// <summary>
    /// The monthly trend: one line per stratum over the months, broken where a month's figure is not shown, with the
    /// 90% target across.
    /// </summary>
    public static string Trend(KpiFigures kpi)
    {
        var points = kpi.Trend ?? [];
        const double left = 44, right = 620, top = 16, bottom = 186;
        var id = $"trend-{kpi.Id}";
        double X(int i) => points.Count <= 1 ? (left + right) / 2 : left + (right - left) * i / (points.Count - 1);
        double Y(decimal score) => bottom - (bottom - top) * (double)Math.Clamp(score, 0m, 1m);

        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart trend\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" viewBox=\"0 0 640 250\" width=\"640\" height=\"250\" xmlns=\"http://www.w3.org/2000/svg\">");
        var span = points.Count == 0 ? "no months" : $"{Month(points[0].Month)} to {Month(points[^1].Month)}";
        s.Append(CultureInfo.InvariantCulture, $"<title id=\"{id}-t\">{H(kpi.Title)} by month, {H(span)}</title>");
        var shown = points.Where(p => p.All.Score is not null).ToList();
        var desc = shown.Count == 0
            ? "No month has a figure that can be shown."
            : $"All children: from {Percent(shown[0].All.Score, null)} in {Month(shown[0].Month)} to {Percent(shown[^1].All.Score, null)} in {Month(shown[^1].Month)}. The table below gives every month.";
        s.Append(CultureInfo.InvariantCulture, $"<desc id=\"{id}-d\">{H(desc)} Target 90%.</desc>");
        foreach (var tick in new[] { 0, 50, 90, 100 })
        {
            var y = Y(tick / 100m);
            var colour = tick == 90 ? TargetColour : "#b1b4b6";
            var dash = tick == 90 ? " stroke-dasharray=\"5 3\"" : "";
            s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(left)}\" x2=\"{N(right)}\" y1=\"{N(y)}\" y2=\"{N(y)}\" stroke=\"{colour}\" stroke-width=\"{(tick == 90 ? 2 : 1)}\"{dash}/>");
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(left - 6)}\" y=\"{N(y + 4)}\" font-size=\"11\" text-anchor=\"end\" fill=\"{(tick == 90 ? TargetColour : "#505a5f")}\">{tick}%</text>");
        }
        for (var i = 0; i < points.Count; i++)
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(X(i))}\" y=\"{N(bottom + 16)}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#505a5f\">{H(ShortMonth(points[i].Month))}</text>");
        foreach (var (stratum, _, colour, dash) in Strata)
        {
            StratumFigures Of(TrendPoint p) => stratum switch { Stratum.InArea => p.InArea, Stratum.OutOfArea => p.OutOfArea, _ => p.All };
            // A month not shown breaks the line rather than joining its neighbours across it.
            var run = new List<string>();
            void Flush()
            {
                if (run.Count > 1)
                    s.Append(CultureInfo.InvariantCulture, $"<polyline points=\"{string.Join(' ', run)}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.5\"{(dash.Length > 0 ? $" stroke-dasharray=\"{dash}\"" : "")}/>");
                run.Clear();
            }
            for (var i = 0; i < points.Count; i++)
            {
                if (Of(points[i]).Score is not { } score) { Flush(); continue; }
                run.Add($"{N(X(i))},{N(Y(score))}");
                s.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{N(X(i))}\" cy=\"{N(Y(score))}\" r=\"3.5\" fill=\"{colour}\"/>");
            }
            Flush();
        }
        var legendX = left;
        foreach (var (_, label, colour, dash) in Strata)
        {
            s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(legendX)}\" x2=\"{N(legendX + 28)}\" y1=\"236\" y2=\"236\" stroke=\"{colour}\" stroke-width=\"2.5\"{(dash.Length > 0 ? $" stroke-dasharray=\"{dash}\"" : "")}/>");
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(legendX + 34)}\" y=\"240\" font-size=\"12\" fill=\"#0b0c0c\">{H(label)}</text>");
            legendX += 150;
        }
        s.Append("</svg>");
        return s.ToString();
    }
}
