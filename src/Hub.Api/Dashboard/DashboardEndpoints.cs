using Hub.Api.Auth;
using Hub.Api.Fhir;
using Hub.Api.Kpis;
using Hub.Api.ReferenceData;
using Hub.Mappers.Kpis;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Hub.Api.Dashboard;

/// <summary>
/// `/dashboard` and `/dashboard/login` (contract §8): the five KPIs as a page for a browser. The caller's token comes
/// from the Authorization header or the `carehub_token` cookie (read for /dashboard and /jobs only, Auth/AuthSetup),
/// and every figure comes from <see cref="MeasureEvaluation"/>, so the page has exactly the authority, the numbers and
/// the suppression of `$evaluate-measure`.
/// </summary>
public static class DashboardEndpoints
{
    public const string Path = "/dashboard", LoginPath = "/dashboard/login";

    /// <summary>Who /dashboard/login may sign in as: those who may see KPIs, and admins for the /jobs page (decisions.md).</summary>
    static readonly string[] LoginTypes = [OrgTypes.Icb, OrgTypes.La, OrgTypes.Admin];

    public static void MapDashboard(this WebApplication app)
    {
        // Anonymous at the routing level: the page answers a missing token itself, with a sign-in page rather than an OperationOutcome.
        app.MapGet(Path, ShowAsync).AllowAnonymous().ExcludeFromDescription();
        app.MapGet(LoginPath, Login).AllowAnonymous().ExcludeFromDescription();
    }

    static async Task<IResult> ShowAsync(HttpContext http, [FromServices] MeasureEvaluation evaluation, [FromServices] MeasureLibrary library,
        [FromServices] OrganisationDirectory directory, [FromServices] IOptions<AuthOptions> auth, [FromServices] TimeProvider clock)
    {
        var caller = http.GetCaller();
        if (caller is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            var examples = auth.Value.DevTokens ? SignInExamples(directory) : null;
            return Page(DashboardPage.SignIn(examples, http.Request.Path + http.Request.QueryString), StatusCodes.Status401Unauthorized);
        }

        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var subjectText = http.Request.Query["subject"].FirstOrDefault()?.Trim() ?? "";
        if (subjectText.StartsWith("Organization/", StringComparison.Ordinal)) subjectText = subjectText["Organization/".Length..];
        // No subject: the caller's own organisation; an admin's own is the whole hub.
        string? code = subjectText.Length > 0 ? subjectText : caller.IsAdmin ? null : caller.Org;
        var periodText = http.Request.Query["period"].FirstOrDefault();
        PeriodChoice period;
        if (string.IsNullOrWhiteSpace(periodText)) period = LastCompleteYear(today);
        else if (ParsePeriod(periodText) is { } chosen) period = chosen;
        else return Page(DashboardPage.Problem(400, $"period must be written start/end as dates, e.g. 2025-04-01/2026-03-31, not '{periodText}'"), 400);

        var query = new MeasureQuery(DashboardText.Iso(period.Start), DashboardText.Iso(period.End), code is null ? null : $"Organization/{code}");
        var kpis = new List<KpiFigures>();
        foreach (var id in Measures.All)
        {
            var title = library.Find(id)?.Title ?? id;
            try
            {
                var report = await evaluation.EvaluateAsync(caller, id, query, http.RequestAborted);
                var trend = id is Measures.InitialHealthAssessment or Measures.ReviewHealthAssessment
                    ? await evaluation.EvaluateByMonthAsync(caller, id, query, http.RequestAborted) : null;
                kpis.Add(KpiFigures.From(id, title, report, trend));
            }
            // A period one KPI cannot count (IHA beyond the bank holidays shipped) leaves the others standing; a refusal does not.
            catch (FhirProblem p) when (p.Status == 400)
            {
                kpis.Add(KpiFigures.NotAvailable(id, title, p.Message));
            }
            catch (FhirProblem p)
            {
                return Page(DashboardPage.Problem(p.Status, p.Message), p.Status);
            }
        }
        if (kpis.All(k => k.Unavailable is not null))
            return Page(DashboardPage.Problem(400, kpis[0].Unavailable!), 400);

        var name = code is null ? "All children in the hub" : directory.Find(code)?.Name is { } n ? $"{n} ({code})" : code;
        return Page(DashboardPage.Render(new DashboardView(code, name, period, kpis, Years(today), today)), 200);
    }

    /// <summary>
    /// Signs a browser in with a dev token (purpose `kpi`) held in an HttpOnly, SameSite=Strict cookie, then sends it on
    /// to <c>next</c> if that is a path on this hub: never to another site, so the link cannot be used to bounce a user away.
    /// </summary>
    static IResult Login(HttpContext http, [FromServices] TokenIssuer issuer, [FromServices] IOptions<AuthOptions> auth, [FromServices] ILoggerFactory logs)
    {
        if (!auth.Value.DevTokens) return Results.NotFound();
        var q = http.Request.Query;
        var org = q["org"].FirstOrDefault()?.Trim();
        var orgType = q["org_type"].FirstOrDefault()?.Trim();
        if (string.IsNullOrEmpty(org) || org.Length > 20 || !org.All(char.IsAsciiLetterOrDigit))
            return Page(DashboardPage.Problem(400, "org must be an ODS code or LA number (letters and digits)"), 400);
        if (orgType is null || !LoginTypes.Contains(orgType))
            return Page(DashboardPage.Problem(400, $"org_type must be one of {string.Join(", ", LoginTypes)}"), 400);

        var token = issuer.Issue(org, orgType, null, MeasureEvaluation.Purpose, null, DevTokens.Scope, clientId: null);
        http.Response.Cookies.Append(AuthSetup.TokenCookie, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            Path = "/",
            MaxAge = issuer.DefaultLifetime,
            IsEssential = true,
        });
        http.Response.Headers.CacheControl = "no-store";
        logs.CreateLogger(typeof(DashboardEndpoints).FullName!).LogInformation("Dashboard sign-in with a dev token for org type {OrgType}", orgType);
        var next = q["next"].FirstOrDefault();
        return Results.Redirect(IsLocalPath(next) ? next! : Path);
    }

    /// <summary>
    /// A path on this hub: one leading slash, not two (`//host` is another site), no backslash (browsers read `/\host`
    /// as `//host`), no control characters (browsers drop tabs and newlines, which would join `/` and `/host`).
    /// </summary>
    public static bool IsLocalPath(string? next) =>
        next is { Length: > 0 } && next[0] == '/' && (next.Length == 1 || next[1] is not ('/' or '\\'))
        && !next.Contains('\\') && !next.Any(char.IsControl) && Uri.IsWellFormedUriString(next, UriKind.Relative);

    /// <summary>The last April–March year that has ended before today: what a designated nurse reports on.</summary>
    public static PeriodChoice LastCompleteYear(DateOnly today)
    {
        var endYear = today > new DateOnly(today.Year, 3, 31) ? today.Year : today.Year - 1;
        return new PeriodChoice(new DateOnly(endYear - 1, 4, 1), new DateOnly(endYear, 3, 31));
    }

    static PeriodChoice? ParsePeriod(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2) return null;
        static DateOnly? Day(string t) => DateOnly.TryParseExact(t.Trim(), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.None, out var d) ? d : null;
        return Day(parts[0]) is { } start && Day(parts[1]) is { } end ? new PeriodChoice(start, end) : null;
    }

    /// <summary>The form's years: the one in progress and the five before it.</summary>
    static List<PeriodChoice> Years(DateOnly today)
    {
        var last = LastCompleteYear(today);
        return [.. Enumerable.Range(-1, 6).Select(back => new PeriodChoice(last.Start.AddYears(-back), last.End.AddYears(-back)))];
    }

    static List<Organisation> SignInExamples(OrganisationDirectory directory) =>
        [.. directory.All.Where(o => o.Kind is "icb" or "la").GroupBy(o => o.Kind).OrderBy(g => g.Key == "icb" ? 0 : 1)
            .SelectMany(g => g.OrderBy(o => o.Code, StringComparer.Ordinal).Take(2))];

    static IResult Page(string html, int status) => new HtmlPage(html, status);

    /// <summary>An HTML answer that loads nothing from anywhere and runs no script, and is never cached (it carries KPIs).</summary>
    sealed class HtmlPage(string html, int status) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = status;
            http.Response.ContentType = "text/html; charset=utf-8";
            var headers = http.Response.Headers;
            headers.CacheControl = "no-store";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
            await http.Response.WriteAsync(html, http.RequestAborted);
        }
    }
}
