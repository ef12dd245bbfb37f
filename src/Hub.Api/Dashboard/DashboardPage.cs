using System.Globalization;
using System.Text;
using Hub.Mappers.Kpis;
using static Hub.Api.Dashboard.DashboardText;

namespace Hub.Api.Dashboard;

/// <summary>A choice in the period list: an April–March year, as the `period` parameter writes it.</summary>
public sealed record PeriodChoice(DateOnly Start, DateOnly End)
{
    public string Value => $"{Iso(Start)}/{Iso(End)}";
    public string Label => Start.Month == 4 && Start.Day == 1 && End == Start.AddYears(1).AddDays(-1)
        ? $"April {Start.Year} to March {End.Year}" : $"{Day(Start)} to {Day(End)}";
}

/// <summary>What one dashboard page shows: whose children, which period, the five KPIs, and the choices for the form.</summary>
public sealed record DashboardView(
    string? SubjectCode,
    string SubjectName,
    PeriodChoice Period,
    IReadOnlyList<KpiFigures> Kpis,
    IReadOnlyList<PeriodChoice> Periods,
    DateOnly Today);

/// <summary>
/// The dashboard's HTML, built as a string with every value HTML-encoded: one page per subject and period, no script,
/// readable by screen readers (headings, labelled form, SVG with title and description, tables of the same figures),
/// usable by keyboard (native controls, a skip link, a visible focus ring) and printable (print CSS drops the form).
/// </summary>
public static class DashboardPage
{
    const string Css = """
        :root { color: #0b0c0c; background: #fff; font-family: "Helvetica Neue", Arial, sans-serif; line-height: 1.4; }
        body { margin: 0 auto; max-width: 70rem; padding: 0 1rem 2rem; }
        a { color: #1d70b8; } a:visited { color: #4c2c92; }
        :focus-visible { outline: 3px solid #fd0; outline-offset: 0; box-shadow: 0 0 0 6px #0b0c0c; }
        .skip { position: absolute; left: -9999px; } .skip:focus { position: static; display: inline-block; padding: .5rem; background: #fd0; color: #0b0c0c; }
        header { border-bottom: 8px solid #1d70b8; margin-bottom: 1rem; }
        h1 { font-size: 1.8rem; margin: 1rem 0 .25rem; } h2 { font-size: 1.4rem; margin: 0 0 .5rem; } h3 { font-size: 1.1rem; margin: 1rem 0 .25rem; }
        .lede { margin: 0 0 1rem; font-size: 1.1rem; }
        form.choose { display: flex; flex-wrap: wrap; gap: .75rem 1.5rem; align-items: flex-end; padding: 1rem; background: #f3f2f1; margin-bottom: 1.5rem; }
        form.choose label { display: block; font-weight: bold; margin-bottom: .25rem; }
        input, select, button { font: inherit; padding: .35rem .5rem; border: 2px solid #0b0c0c; background: #fff; color: #0b0c0c; }
        button { background: #00703c; color: #fff; border-color: #002d18; cursor: pointer; font-weight: bold; }
        .kpi { border-top: 2px solid #b1b4b6; padding: 1rem 0; break-inside: avoid; }
        .headline { font-size: 1.1rem; margin: 0 0 .5rem; }
        .meets { color: #005a30; font-weight: bold; } .below { color: #942514; font-weight: bold; }
        .gap { display: inline-block; margin: 0 0 .75rem; padding: .4rem .6rem; border-left: 6px solid #0b0c0c; background: #f3f2f1; }
        .gap.behind { border-left-color: #942514; background: #fff7bf; }
        .pair { display: flex; flex-wrap: wrap; gap: 1rem 2rem; align-items: flex-start; }
        table { border-collapse: collapse; margin: .25rem 0 .5rem; }
        caption { text-align: left; font-weight: bold; padding-bottom: .25rem; }
        th, td { border-bottom: 1px solid #b1b4b6; padding: .3rem .6rem; text-align: left; }
        td.n { text-align: right; font-variant-numeric: tabular-nums; }
        .note { color: #505a5f; font-size: .95rem; }
        .chart { max-width: 100%; height: auto; }
        footer { border-top: 2px solid #b1b4b6; margin-top: 1.5rem; padding-top: .75rem; }
        @media print {
          .skip, form.choose { display: none; }
          :root { font-size: 11pt; } body { max-width: none; padding: 0; }
          header { border-bottom-width: 3px; }
          .kpi { page-break-inside: avoid; }
          .gap.behind { background: none; border-left-width: 4px; }
          a { color: #0b0c0c; text-decoration: none; }
        }
        """;

    static readonly (Stratum Stratum, string Code, string Label)[] Rows =
        [(Stratum.All, "all", "All children"), (Stratum.InArea, "in-area", "In area"), (Stratum.OutOfArea, "out-of-area", "Out of area")];

    public static string Render(DashboardView view)
    {
        var title = $"{view.SubjectName}: health KPIs for looked-after children, {view.Period.Label}";
        var s = Open($"{title} – CareHub");
        s.Append("<a class=\"skip\" href=\"#figures\">Skip to the figures</a>");
        s.Append("<header><h1>Health of looked-after children: statutory KPIs</h1>");
        s.Append(CultureInfo.InvariantCulture, $"<p class=\"lede\"><span id=\"subject\">{H(view.SubjectName)}</span>, <span id=\"period\">{H(view.Period.Label)}</span>. Each KPI against its 90% target; children placed in the responsible ICB's area against those placed out of area.</p></header>");
        Form(s, view);
        s.Append("<main id=\"figures\" tabindex=\"-1\">");
        foreach (var kpi in view.Kpis) Kpi(s, kpi);
        s.Append("</main>");
        s.Append(CultureInfo.InvariantCulture, $"<footer class=\"note\"><p>{H(Suppressed)}: counts of 1 to 4 are never shown, nor a count, percentage or gap from which one could be worked out; which of the two a hidden count is, is not said, so that the small one cannot be told apart. ");
        s.Append("In area: placed inside the responsible ICB on the day the KPI is judged. Monthly trends count the assessments falling due in each month from dated provider records; the yearly figures count each child once. ");
        s.Append(CultureInfo.InvariantCulture, $"The same figures as <code>$evaluate-measure</code>; counted on {H(Day(view.Today))}.</p></footer>");
        return Close(s);
    }

    static void Form(StringBuilder s, DashboardView view)
    {
        s.Append("<form class=\"choose\" method=\"get\" action=\"/dashboard\" aria-label=\"Choose organisation and period\">");
        s.Append("<div><label for=\"subject-input\">Organisation (ICB ODS code or LA number)</label>");
        s.Append(CultureInfo.InvariantCulture, $"<input id=\"subject-input\" name=\"subject\" value=\"{H(view.SubjectCode)}\" autocomplete=\"off\" spellcheck=\"false\" size=\"10\" maxlength=\"20\"></div>");
        s.Append("<div><label for=\"period-input\">Period</label><select id=\"period-input\" name=\"period\">");
        var choices = view.Periods.Any(p => p == view.Period) ? view.Periods : [view.Period, .. view.Periods];
        foreach (var p in choices)
            s.Append(CultureInfo.InvariantCulture, $"<option value=\"{H(p.Value)}\"{(p == view.Period ? " selected" : "")}>{H(p.Label)}</option>");
        s.Append("</select></div><div><button type=\"submit\">Show KPIs</button></div></form>");
    }

    static void Kpi(StringBuilder s, KpiFigures kpi)
    {
        s.Append(CultureInfo.InvariantCulture, $"<section class=\"kpi\" id=\"kpi-{H(kpi.Id)}\" aria-labelledby=\"h-{H(kpi.Id)}\"><h2 id=\"h-{H(kpi.Id)}\">{H(kpi.Title)}</h2>");
        if (kpi.Unavailable is { } reason)
        {
            s.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">Not available for this period: {H(reason)}</p></section>");
            return;
        }
        s.Append(CultureInfo.InvariantCulture, $"<p class=\"headline\">All children: <strong>{H(Percent(kpi.All.Score, kpi.All.Denominator))}</strong> ({H(Count(kpi.All.Numerator))} of {H(Count(kpi.All.Denominator))}){Verdict(kpi.All.Score)}</p>");
        s.Append(GapText(kpi));
        s.Append("<div class=\"pair\">");
        s.Append(KpiCharts.Bars(kpi));
        s.Append(CultureInfo.InvariantCulture, $"<table><caption>{H(kpi.Title)}: figures</caption><thead><tr><th scope=\"col\">Placement</th><th scope=\"col\">Met</th><th scope=\"col\">Counted</th><th scope=\"col\">Per cent</th><th scope=\"col\">Target 90%</th></tr></thead><tbody>");
        foreach (var (stratum, code, label) in Rows)
        {
            var f = kpi[stratum];
            s.Append(CultureInfo.InvariantCulture, $"<tr><th scope=\"row\">{H(label)}</th>");
            Cell(s, kpi.Id, code, "numerator", Count(f.Numerator));
            Cell(s, kpi.Id, code, "denominator", Count(f.Denominator));
            Cell(s, kpi.Id, code, "percent", Percent(f.Score, f.Denominator));
            s.Append(CultureInfo.InvariantCulture, $"<td>{(f.Score is { } sc ? (sc >= KpiFigures.Target ? "met" : "not met") : "")}</td></tr>");
        }
        s.Append("</tbody></table></div>");
        if (kpi.Sdq is { } sdq)
        {
            s.Append(CultureInfo.InvariantCulture, $"<table><caption>SDQ scores returned</caption><thead><tr><th scope=\"col\">Placement</th><th scope=\"col\">Average total score</th><th scope=\"col\">Scoring 17 or more (cause for concern)</th></tr></thead><tbody>");
            foreach (var (stratum, code, label) in Rows)
            {
                s.Append(CultureInfo.InvariantCulture, $"<tr><th scope=\"row\">{H(label)}</th>");
                Cell(s, kpi.Id, code, "sdq-average", Decimal(sdq[stratum].Average));
                Cell(s, kpi.Id, code, "sdq-concern", Percent(sdq[stratum].ConcernShare, null));
                s.Append("</tr>");
            }
            s.Append("</tbody></table>");
        }
        if (kpi.Trend is { } trend) Trend(s, kpi, trend);
        s.Append("</section>");
    }

    static string Verdict(decimal? score) => score is not { } v ? ""
        : v >= KpiFigures.Target ? ": <span class=\"meets\">meets the 90% target</span>." : ": <span class=\"below\">below the 90% target</span>.";

    static string GapText(KpiFigures kpi)
    {
        if (kpi.Gap is not { } gap)
            return $"<p class=\"gap\" data-kpi=\"{H(kpi.Id)}\" data-field=\"gap\">Gap between in area and out of area: {NotShown}.</p>";
        var text = gap switch
        {
            > 0 => $"Children placed out of area are <strong>{Points(gap)} behind</strong> those placed in area.",
            < 0 => $"Children placed out of area are <strong>{Points(gap)} ahead of</strong> those placed in area.",
            _ => "No gap: children placed in area and out of area do equally well.",
        };
        return $"<p class=\"gap{(gap > 0 ? " behind" : "")}\" data-kpi=\"{H(kpi.Id)}\" data-field=\"gap\">{text}</p>";
    }

    static void Trend(StringBuilder s, KpiFigures kpi, IReadOnlyList<TrendPoint> trend)
    {
        s.Append(CultureInfo.InvariantCulture, $"<h3 id=\"trend-h-{H(kpi.Id)}\">By month (assessments falling due)</h3>");
        s.Append(KpiCharts.Trend(kpi));
        s.Append(CultureInfo.InvariantCulture, $"<table><caption>{H(kpi.Title)} by month</caption><thead><tr><th scope=\"col\">Month</th><th scope=\"col\">Met</th><th scope=\"col\">Due</th><th scope=\"col\">All children</th><th scope=\"col\">In area</th><th scope=\"col\">Out of area</th></tr></thead><tbody>");
        foreach (var point in trend)
        {
            var month = Iso(point.Month)[..7];
            s.Append(CultureInfo.InvariantCulture, $"<tr><th scope=\"row\">{H(Month(point.Month))}</th>");
            s.Append(CultureInfo.InvariantCulture, $"<td class=\"n\" data-kpi=\"{H(kpi.Id)}\" data-month=\"{month}\" data-stratum=\"all\" data-field=\"numerator\">{H(Count(point.All.Numerator))}</td>");
            s.Append(CultureInfo.InvariantCulture, $"<td class=\"n\" data-kpi=\"{H(kpi.Id)}\" data-month=\"{month}\" data-stratum=\"all\" data-field=\"denominator\">{H(Count(point.All.Denominator))}</td>");
            foreach (var (stratum, code, _) in Rows)
            {
                var f = stratum switch { Stratum.InArea => point.InArea, Stratum.OutOfArea => point.OutOfArea, _ => point.All };
                s.Append(CultureInfo.InvariantCulture, $"<td class=\"n\" data-kpi=\"{H(kpi.Id)}\" data-month=\"{month}\" data-stratum=\"{code}\" data-field=\"percent\">{H(Percent(f.Score, f.Denominator))}</td>");
            }
            s.Append("</tr>");
        }
        s.Append("</tbody></table>");
    }

    static void Cell(StringBuilder s, string kpi, string stratum, string field, string text) =>
        s.Append(CultureInfo.InvariantCulture, $"<td class=\"n\" data-kpi=\"{H(kpi)}\" data-stratum=\"{stratum}\" data-field=\"{field}\">{H(text)}</td>");

    /// <summary>
    /// The page for a caller with no token: how to sign in. With dev tokens on (<paramref name="examples"/> not null),
    /// links that sign in as a few known ICBs and LAs and a form for any other, each coming back to <paramref name="returnTo"/>.
    /// </summary>
    public static string SignIn(IReadOnlyList<ReferenceData.Organisation>? examples, string returnTo)
    {
        var s = Open("Sign in to see the KPI dashboard – CareHub");
        s.Append("<main id=\"figures\"><h1>Sign in to see the KPI dashboard</h1>");
        s.Append("<p>The dashboard shows an ICB's or a local authority's own statutory health KPIs. It needs a CareHub access token with purpose of use <code>kpi</code>, sent as <code>Authorization: Bearer &lt;token&gt;</code> or held in the <code>carehub_token</code> cookie.</p>");
        if (examples is not null)
        {
            var next = Uri.EscapeDataString(returnTo);
            s.Append("<p>This hub issues development tokens. Sign in as:</p><ul>");
            foreach (var o in examples)
                s.Append(CultureInfo.InvariantCulture, $"<li><a href=\"/dashboard/login?org={H(Uri.EscapeDataString(o.Code))}&amp;org_type={H(o.Kind)}&amp;next={H(next)}\">{H(o.Name)} ({H(o.Code)})</a></li>");
            s.Append("</ul>");
            s.Append("<form class=\"choose\" method=\"get\" action=\"/dashboard/login\" aria-label=\"Sign in with a development token\">");
            s.Append("<div><label for=\"org-input\">Organisation code</label><input id=\"org-input\" name=\"org\" required size=\"10\" maxlength=\"20\" autocomplete=\"off\"></div>");
            s.Append("<div><label for=\"org-type-input\">Kind</label><select id=\"org-type-input\" name=\"org_type\"><option value=\"icb\">ICB</option><option value=\"la\">Local authority</option><option value=\"admin\">Hub administrator</option></select></div>");
            s.Append(CultureInfo.InvariantCulture, $"<input type=\"hidden\" name=\"next\" value=\"{H(returnTo)}\"><div><button type=\"submit\">Sign in</button></div></form>");
        }
        else
            s.Append("<p>Ask your CareHub administrator how your organisation signs in; a registered client gets its token from <code>POST /auth/token</code>.</p>");
        s.Append("</main>");
        return Close(s);
    }

    /// <summary>A refusal or a bad request, as a page: the status and what the hub said.</summary>
    public static string Problem(int status, string message)
    {
        var heading = status switch
        {
            403 => "You may not see these KPIs",
            404 => "No KPIs you may see for that organisation",
            _ => "The dashboard could not show that",
        };
        var s = Open($"{heading} – CareHub");
        s.Append(CultureInfo.InvariantCulture, $"<main id=\"figures\"><h1>{H(heading)}</h1><p>{H(message)}</p>");
        s.Append("<p>An ICB or a local authority sees its own KPIs, with a token whose purpose of use is <code>kpi</code>. <a href=\"/dashboard\">Open your own dashboard</a>.</p></main>");
        return Close(s);
    }

    static StringBuilder Open(string title)
    {
        var s = new StringBuilder(64 * 1024);
        s.Append(CultureInfo.InvariantCulture, $"<!doctype html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{H(title)}</title><style>{Css}</style></head><body>");
        return s;
    }

    static string Close(StringBuilder s) => s.Append("</body></html>").ToString();
}
