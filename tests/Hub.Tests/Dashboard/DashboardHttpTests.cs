using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hub.Api.Auth;
using Hub.Api.Dashboard;
using Hub.Api.Kpis;
using Hub.Api.ReferenceData;
using Hub.Mappers.Kpis;
using Hub.Tests.Infrastructure;
using Hub.Tests.Kpis;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Dashboard;

/// <summary>What the dashboard page says, read back from its HTML: the figure cells, by KPI, stratum (or month) and field.</summary>
public sealed record DashboardHtml(int Status, string Html, HttpResponseMessage Response)
{
    static readonly Regex FigureCell = new("<td class=\"n\" data-kpi=\"(?<k>[^\"]+)\"(?: data-month=\"(?<m>[^\"]+)\")?(?: data-stratum=\"(?<s>[^\"]+)\")? data-field=\"(?<f>[^\"]+)\">(?<t>[^<]*)</td>");

    /// <summary>Key: kpi/stratum/field for the yearly figures, kpi/month/stratum/field for the trend.</summary>
    public Dictionary<string, string> Cells => FigureCell.Matches(Html).ToDictionary(
        m => string.Join('/', new[] { m.Groups["k"].Value, m.Groups["m"].Value, m.Groups["s"].Value, m.Groups["f"].Value }.Where(v => v.Length > 0)),
        m => WebUtility.HtmlDecode(m.Groups["t"].Value));

    public string Title => WebUtility.HtmlDecode(Regex.Match(Html, "<title>(.*?)</title>").Groups[1].Value);
}

/// <summary>
/// The dashboard over HTTP (contract §8, issue 6 part 2), on a hub holding the generated Lancashire return and its
/// provider records: who gets in and how, the sign-in cookie, and that every figure on the page is the one the
/// `$evaluate-measure` MeasureReport gives, with small numbers never written.
/// </summary>
public abstract class DashboardHttpTests(KpiHub fixture, string provider)
{
    const string Period = "2025-04-01/2026-03-31";
    RunningHub Hub => fixture.Hub;

    HttpClient Browserless() => new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(Hub.BaseUrl + "/") };

    async Task<DashboardHtml> GetAsync(string path, string? bearer = null, string? cookie = null)
    {
        using var http = Browserless();
        var request = new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'));
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (cookie is not null) request.Headers.Add("Cookie", $"{AuthSetup.TokenCookie}={cookie}");
        var response = await http.SendAsync(request);
        return new DashboardHtml((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    async Task<MeasureReport> ReportAsync(string measure, string subject, string period = Period)
    {
        var parts = period.Split('/');
        var answer = await (await Hub.AsAsync(subject, subject == KpiHub.La ? "la" : "icb", purpose: "kpi"))
            .GetAsync($"fhir/Measure/{measure}/$evaluate-measure?periodStart={parts[0]}&periodEnd={parts[1]}&subject=Organization/{subject}");
        Assert.True(answer.Status == 200, answer.ToString());
        return answer.As<MeasureReport>();
    }

    // Written here as the page should write them, not through the page's own formatter.
    static string CountText(int? n) => n is { } v ? v.ToString("#,0", CultureInfo.InvariantCulture) : "fewer than 5 or withheld";

    static string PercentText(Quantity score, int? denominator) => score?.Value is { } v
        ? Math.Round(v * 100, 1, MidpointRounding.AwayFromZero).ToString("0.0", CultureInfo.InvariantCulture) + "%"
        : denominator == 0 ? "none counted" : "not shown";

    static int? Count(IEnumerable<(CodeableConcept Code, int? Count)> populations, string code) => populations.Single(p => p.Code.Coding[0].Code == code).Count;

    /// <summary>kpi/stratum/field → the text the MeasureReport says the page must show.</summary>
    static IEnumerable<(string Key, string Expected)> Expected(string measure, MeasureReport report)
    {
        var group = report.Group[0];
        var all = group.Population.Select(p => (p.Code, p.Count)).ToList();
        yield return ($"{measure}/all/numerator", CountText(Count(all, "numerator")));
        yield return ($"{measure}/all/denominator", CountText(Count(all, "denominator")));
        yield return ($"{measure}/all/percent", PercentText(group.MeasureScore, Count(all, "denominator")));
        foreach (var stratum in group.Stratifier.Single().Stratum)
        {
            var code = stratum.Value.Coding[0].Code;
            var counts = stratum.Population.Select(p => (p.Code, p.Count)).ToList();
            yield return ($"{measure}/{code}/numerator", CountText(Count(counts, "numerator")));
            yield return ($"{measure}/{code}/denominator", CountText(Count(counts, "denominator")));
            yield return ($"{measure}/{code}/percent", PercentText(stratum.MeasureScore, Count(counts, "denominator")));
        }
    }

    [Fact]
    public async Task without_a_token_the_dashboard_is_401_with_a_page_that_says_how_to_sign_in()
    {
        var page = await GetAsync($"dashboard?subject={KpiHub.Icb}&period={Period}");
        Assert.Equal(401, page.Status);
        Assert.Equal("text/html", page.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", page.Response.Headers.WwwAuthenticate.ToString());
        Assert.Contains("<html lang=\"en-GB\">", page.Html);
        Assert.Contains("Sign in", page.Title);
        // With dev tokens on: a link that signs in and comes back to the page asked for.
        Assert.Contains($"/dashboard/login?org={KpiHub.Icb}&amp;org_type=icb&amp;next={WebUtility.HtmlEncode(Uri.EscapeDataString($"/dashboard?subject={KpiHub.Icb}&period={Period}"))}", page.Html);
        Assert.DoesNotContain("data-kpi", page.Html);
    }

    [Fact]
    public async Task login_sets_an_http_only_strict_cookie_with_a_kpi_token_and_goes_to_next()
    {
        var next = $"/dashboard?subject={KpiHub.Icb}&period={Period}";
        var login = await GetAsync($"dashboard/login?org={KpiHub.Icb}&org_type=icb&next={Uri.EscapeDataString(next)}");
        Assert.Equal(302, login.Status);
        Assert.Equal(next, login.Response.Headers.Location?.OriginalString);
        var setCookie = Assert.Single(login.Response.Headers.GetValues("Set-Cookie"));
        var attributes = setCookie.Split(';').Select(a => a.Trim()).ToList();
        Assert.StartsWith($"{AuthSetup.TokenCookie}=", attributes[0]);
        Assert.Contains("httponly", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("path=/", attributes, StringComparer.OrdinalIgnoreCase);

        var token = attributes[0][(AuthSetup.TokenCookie.Length + 1)..];
        var payload = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        var claims = JsonDocument.Parse(Convert.FromBase64String(payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '='))).RootElement;
        Assert.Equal("kpi", claims.GetProperty("purpose_of_use").GetString());
        Assert.Equal(KpiHub.Icb, claims.GetProperty("org").GetString());
        Assert.Equal("icb", claims.GetProperty("org_type").GetString());

        var page = await GetAsync(next, cookie: token);
        Assert.True(page.Status == 200, page.Html[..Math.Min(400, page.Html.Length)]);
        Assert.Contains("data-kpi", page.Html);
    }

    [Theory]
    [InlineData("//evil.example/dashboard")]
    [InlineData("/\\evil.example")]
    [InlineData("https://evil.example/")]
    [InlineData("/\t/evil.example")]
    [InlineData("javascript:alert(1)")]
    [InlineData("dashboard")]
    [InlineData("")]
    public async Task login_never_sends_the_browser_to_another_site(string next)
    {
        var login = await GetAsync($"dashboard/login?org={KpiHub.Icb}&org_type=icb&next={Uri.EscapeDataString(next)}");
        Assert.Equal(302, login.Status);
        Assert.Equal("/dashboard", login.Response.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("org_type=icb")]                    // no org
    [InlineData("org=QE1&org_type=provider")]       // only ICBs, LAs and admins sign in here
    [InlineData("org=QE1&org_type=young-person")]
    [InlineData("org=QE1%3Cscript%3E&org_type=icb")]
    public async Task login_refuses_what_it_cannot_sign_in_as_and_sets_no_cookie(string query)
    {
        var login = await GetAsync($"dashboard/login?{query}&next=/dashboard");
        Assert.Equal(400, login.Status);
        Assert.False(login.Response.Headers.Contains("Set-Cookie"));
        Assert.DoesNotContain("<script>", login.Html);
    }

    [Fact]
    public async Task with_dev_tokens_off_login_is_404_and_the_sign_in_page_offers_no_link()
    {
        await using var hub = await RunningHub.StartAsync(provider, new Dictionary<string, string?> { ["Hub:Auth:DevTokens"] = "false" });
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(hub.BaseUrl + "/") };
        var login = await http.GetAsync("dashboard/login?org=QE1&org_type=icb&next=/dashboard");
        Assert.Equal(HttpStatusCode.NotFound, login.StatusCode);
        Assert.False(login.Headers.Contains("Set-Cookie"));
        var page = await http.GetAsync("dashboard");
        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("Sign in", html);
        Assert.DoesNotContain("/dashboard/login", html);
    }

    [Theory]
    [InlineData(KpiHub.Icb)]
    [InlineData(KpiHub.La)]
    public async Task every_figure_on_the_page_is_the_measure_reports(string subject)
    {
        var token = await Hub.TokenAsync(subject, subject == KpiHub.La ? "la" : "icb", purpose: "kpi");
        var page = await GetAsync($"dashboard?subject={subject}&period={Period}", bearer: token);
        Assert.True(page.Status == 200, page.Html[..Math.Min(400, page.Html.Length)]);
        var cells = page.Cells;
        var compared = 0;
        foreach (var measure in Measures.All)
        {
            var report = await ReportAsync(measure, subject);
            // The generated return is big enough that the headline figures are shown: the comparison is of real numbers.
            Assert.NotNull(report.Group[0].MeasureScore?.Value);
            foreach (var (key, expected) in Expected(measure, report))
            {
                Assert.True(cells.TryGetValue(key, out var shown), $"no cell {key}");
                Assert.Equal(expected, shown);
                compared++;
            }
            var gap = report.Group[0].Stratifier.Single().GetExtensionValue<FhirDecimal>(MeasureEvaluation.GapExtension)?.Value;
            var gapText = Regex.Match(page.Html, $"<p class=\"gap[^\"]*\" data-kpi=\"{measure}\" data-field=\"gap\">(.*?)</p>").Groups[1].Value;
            if (gap is { } g && g != 0)
                Assert.Contains($"{Math.Round(Math.Abs(g) * 100, 1, MidpointRounding.AwayFromZero).ToString("0.0", CultureInfo.InvariantCulture)} percentage points {(g > 0 ? "behind" : "ahead of")}", gapText);
            else if (gap is null) Assert.Contains("not shown", gapText);
        }
        Assert.Equal(5 * 9, compared);
        Assert.Contains("April 2025 to March 2026", page.Title);
        Assert.Contains($"({subject})", page.Title);
    }

    [Fact]
    public async Task the_sdq_average_and_concern_share_are_the_reports()
    {
        var token = await Hub.TokenAsync(KpiHub.Icb, "icb", purpose: "kpi");
        var cells = (await GetAsync($"dashboard?subject={KpiHub.Icb}&period={Period}", bearer: token)).Cells;
        var report = await ReportAsync(Measures.Sdq, KpiHub.Icb);
        var average = report.Group[1].MeasureScore?.Value;
        Assert.NotNull(average);
        Assert.Equal(average!.Value.ToString("0.0", CultureInfo.InvariantCulture), cells[$"{Measures.Sdq}/all/sdq-average"]);
        Assert.Equal(PercentText(report.Group[2].MeasureScore, null), cells[$"{Measures.Sdq}/all/sdq-concern"]);
    }

    [Fact]
    public async Task small_counts_are_written_as_fewer_than_5_or_withheld_and_never_as_the_number()
    {
        // The monthly trend is where small numbers are: worked out here without suppression, from the same children.
        var token = await Hub.TokenAsync(KpiHub.Icb, "icb", purpose: "kpi");
        var page = await GetAsync($"dashboard?subject={KpiHub.Icb}&period={Period}", bearer: token);
        var cells = page.Cells;
        IReadOnlyList<KpiChild> children;
        using (var scope = Hub.App.Services.CreateScope())
        {
            var directory = scope.ServiceProvider.GetRequiredService<OrganisationDirectory>();
            var data = scope.ServiceProvider.GetRequiredService<KpiData>();
            children = await data.LoadAsync(data.LasOf(directory.Find(KpiHub.Icb)!), CancellationToken.None);
        }
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var small = 0;
        foreach (var measure in new[] { Measures.InitialHealthAssessment, Measures.ReviewHealthAssessment })
        {
            var counted = measure == Measures.ReviewHealthAssessment
                ? children.Where(c => c.Assessments.Any(a => a.Kind is AssessmentKind.Initial or AssessmentKind.Review)).ToList()
                : children;
            for (var month = new DateOnly(2025, 4, 1); month <= new DateOnly(2026, 3, 1); month = month.AddMonths(1))
            {
                var raw = MeasureCalculator.Count(measure, counted, new MeasurementPeriod(month, month.AddMonths(1).AddDays(-1), today), BankHolidays.EnglandAndWales);
                var key = $"{measure}/{month:yyyy-MM}";
                foreach (var (count, text) in new[] { (raw[Stratum.All].Numerator, cells[$"{key}/all/numerator"]), (raw[Stratum.All].Denominator, cells[$"{key}/all/denominator"]) })
                    if (Suppression.IsSmall(count)) { Assert.Equal("fewer than 5 or withheld", text); small++; }
                    else if (text != "fewer than 5 or withheld") Assert.Equal(count.ToString(CultureInfo.InvariantCulture), text);
                foreach (var (stratum, code) in new[] { (Stratum.All, "all"), (Stratum.InArea, "in-area"), (Stratum.OutOfArea, "out-of-area") })
                    if (Suppression.IsSmall(raw[stratum].Numerator) || Suppression.IsSmall(raw[stratum].Denominator))
                        Assert.Equal("not shown", cells[$"{key}/{code}/percent"]);
            }
        }
        Assert.True(small > 0, "the generated data gave no small monthly count: this test would prove nothing");
        // Nowhere on the page is a count of 1 to 4 written as a number in a figure cell.
        Assert.DoesNotContain(cells.Values, v => Regex.IsMatch(v, "^[1-4]$"));
    }

    [Fact]
    public async Task the_monthly_trend_is_evaluate_measure_over_each_month()
    {
        using var scope = Hub.App.Services.CreateScope();
        var evaluation = scope.ServiceProvider.GetRequiredService<MeasureEvaluation>();
        var caller = new Caller(KpiHub.Icb, OrgTypes.Icb, null, "kpi", null, ["system/*.rs"], null);
        var months = await evaluation.EvaluateByMonthAsync(caller, Measures.InitialHealthAssessment, new MeasureQuery("2025-04-01", "2026-03-31", $"Organization/{KpiHub.Icb}"), CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => new DateOnly(2025, 4, 1).AddMonths(i)), months.Select(m => m.Month));
        foreach (var month in months.Where((_, i) => i % 4 == 1))
        {
            var report = await evaluation.EvaluateAsync(caller, Measures.InitialHealthAssessment,
                new MeasureQuery($"{month.Month:yyyy-MM-dd}", $"{month.Month.AddMonths(1).AddDays(-1):yyyy-MM-dd}", $"Organization/{KpiHub.Icb}"), CancellationToken.None);
            Assert.Equal(report.Group[0].Population.Single(p => p.Code.Coding[0].Code == "denominator").Count, month.Counts[Stratum.All].Denominator);
            Assert.Equal(report.Group[0].Population.Single(p => p.Code.Coding[0].Code == "numerator").Count, month.Counts[Stratum.All].Numerator);
        }
        var oc2 = await Assert.ThrowsAsync<Hub.Api.Fhir.FhirProblem>(() => evaluation.EvaluateByMonthAsync(caller, Measures.DentalCheck,
            new MeasureQuery("2025-04-01", "2026-03-31", null), CancellationToken.None));
        Assert.Equal(400, oc2.Status);
        var other = await Assert.ThrowsAsync<Hub.Api.Fhir.FhirProblem>(() => evaluation.EvaluateByMonthAsync(caller, Measures.InitialHealthAssessment,
            new MeasureQuery("2025-04-01", "2026-03-31", "Organization/QSL"), CancellationToken.None));
        Assert.Equal(404, other.Status);
    }

    [Theory]
    [InlineData(KpiHub.Icb, "icb", "kpi", "QSL", 404)]            // another ICB
    [InlineData(KpiHub.Icb, "icb", "kpi", KpiHub.La, 404)]        // an LA, even its own: an ICB asks as an ICB
    [InlineData(KpiHub.La, "la", "kpi", KpiHub.Icb, 404)]
    [InlineData("933", "la", "kpi", KpiHub.La, 404)]              // another LA
    [InlineData(KpiHub.Icb, "icb", "direct-care", KpiHub.Icb, 403)] // purpose kpi only
    [InlineData("L85001", "gp", "kpi", "", 403)]
    public async Task another_organisations_subject_is_refused_with_a_page(string org, string orgType, string purpose, string subject, int status)
    {
        var token = await Hub.TokenAsync(org, orgType, purpose: purpose);
        var page = await GetAsync($"dashboard?subject={subject}&period={Period}", cookie: token);
        Assert.Equal(status, page.Status);
        Assert.Equal("text/html", page.Response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<h1>", page.Html);
        Assert.DoesNotContain("data-kpi", page.Html);
    }

    [Theory]
    [InlineData("period=2025-04-01")]
    [InlineData("period=2026-03-31/2025-04-01")]
    [InlineData("period=yesterday/today")]
    public async Task a_bad_period_is_a_400_page(string query)
    {
        var token = await Hub.TokenAsync(KpiHub.Icb, "icb", purpose: "kpi");
        var page = await GetAsync($"dashboard?subject={KpiHub.Icb}&{query}", bearer: token);
        Assert.Equal(400, page.Status);
        Assert.Equal("text/html", page.Response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("data-kpi", page.Html);
    }

    [Fact]
    public async Task by_default_the_page_is_the_callers_own_for_the_last_complete_april_to_march_year()
    {
        var token = await Hub.TokenAsync(KpiHub.La, "la", purpose: "kpi");
        var page = await GetAsync("dashboard", cookie: token);
        Assert.Equal(200, page.Status);
        var year = DashboardEndpoints.LastCompleteYear(DateOnly.FromDateTime(DateTime.UtcNow));
        Assert.Contains($"Lancashire County Council ({KpiHub.La})", page.Title);
        Assert.Contains(year.Label, page.Title);
        Assert.Contains($"<option value=\"{year.Value}\" selected>", page.Html);
        var report = await ReportAsync(Measures.Immunisations, KpiHub.La, year.Value);
        foreach (var (key, expected) in Expected(Measures.Immunisations, report))
            Assert.Equal(expected, page.Cells[key]);
    }

    [Fact]
    public async Task the_cookie_is_a_token_for_the_dashboard_only_never_for_the_fhir_api()
    {
        var token = await Hub.TokenAsync(KpiHub.Icb, "icb", purpose: "kpi");
        Assert.Equal(200, (await GetAsync($"dashboard?period={Period}", cookie: token)).Status);
        var fhir = await GetAsync($"fhir/Measure/dental-check/$evaluate-measure?periodStart=2025-04-01&periodEnd=2026-03-31", cookie: token);
        Assert.Equal(401, fhir.Status);
        Assert.Equal(200, (await GetAsync($"fhir/Measure/dental-check/$evaluate-measure?periodStart=2025-04-01&periodEnd=2026-03-31", bearer: token)).Status);
    }

    [Fact]
    public async Task the_page_is_accessible_html_that_loads_nothing_and_runs_no_script()
    {
        var token = await Hub.TokenAsync(KpiHub.Icb, "icb", purpose: "kpi");
        var page = await GetAsync($"dashboard?subject={KpiHub.Icb}&period={Period}", bearer: token);
        Assert.StartsWith("<!doctype html><html lang=\"en-GB\">", page.Html);
        Assert.Equal(1, Regex.Count(page.Html, "<h1>"));
        Assert.Equal(5, Regex.Count(page.Html, "<h2 id=\"h-"));
        // Every chart is an image with a title and a description, and has a table of the same figures.
        var charts = Regex.Matches(page.Html, "<svg [^>]*role=\"img\" aria-labelledby=\"(?<t>[^ \"]+) (?<d>[^\"]+)\"[^>]*>");
        Assert.Equal(5 + 2, charts.Count);
        foreach (Match chart in charts)
        {
            Assert.Contains($"<title id=\"{chart.Groups["t"].Value}\">", page.Html);
            Assert.Contains($"<desc id=\"{chart.Groups["d"].Value}\">", page.Html);
        }
        Assert.Equal(5 + 1 + 2, Regex.Count(page.Html, "<caption>"));
        Assert.Contains("<label for=\"subject-input\">", page.Html);
        Assert.Contains("<label for=\"period-input\">", page.Html);
        Assert.Contains("@media print", page.Html);
        Assert.DoesNotContain("<script", page.Html);
        Assert.Contains("default-src 'none'", page.Response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("no-store", page.Response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task what_the_caller_types_is_encoded_never_markup()
    {
        var token = await Hub.TokenAsync("carehub-admin", "admin", purpose: "kpi");
        var page = await GetAsync($"dashboard?subject={Uri.EscapeDataString("<img src=x>")}&period={Period}", bearer: token);
        Assert.Equal(404, page.Status);
        Assert.DoesNotContain("<img", page.Html);
        var bad = await GetAsync($"dashboard?period={Uri.EscapeDataString("<i>")}", bearer: token);
        Assert.Equal(400, bad.Status);
        Assert.DoesNotContain("<i>", bad.Html);
    }
}

[Collection("kpi-sqlite")]
public sealed class SqliteDashboardHttpTests(SqliteKpiHub fixture) : DashboardHttpTests(fixture, "Sqlite"), IClassFixture<SqliteKpiHub>;

[Collection("kpi-postgres")]
public sealed class PostgresDashboardHttpTests(PostgresKpiHub fixture) : DashboardHttpTests(fixture, "Postgres"), IClassFixture<PostgresKpiHub>;

/// <summary>The dashboard's pure rules: the default period and what counts as a path on this hub.</summary>
public sealed class DashboardRuleTests
{
    [Theory]
    [InlineData("2026-11-26", "2025-04-01/2026-03-31")]
    [InlineData("2026-04-01", "2025-04-01/2026-03-31")]
    [InlineData("2026-03-31", "2024-04-01/2025-03-31")] // the year ending today is not over yet
    [InlineData("2026-01-15", "2024-04-01/2025-03-31")]
    public void the_default_period_is_the_last_april_to_march_year_that_has_ended(string today, string expected) =>
        Assert.Equal(expected, DashboardEndpoints.LastCompleteYear(DateOnly.Parse(today, CultureInfo.InvariantCulture)).Value);

    [Theory]
    [InlineData("/dashboard", true)]
    [InlineData("/dashboard?subject=QSL&period=2025-04-01/2026-03-31", true)]
    [InlineData("/jobs", true)]
    [InlineData("/", true)]
    [InlineData("//evil.example", false)]
    [InlineData("/\\evil.example", false)]
    [InlineData("/a\\b", false)]
    [InlineData("/\n/evil.example", false)]
    [InlineData("https://evil.example", false)]
    [InlineData("evil.example", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void only_a_path_on_this_hub_is_local(string? next, bool local) =>
        Assert.Equal(local, DashboardEndpoints.IsLocalPath(next));
}
