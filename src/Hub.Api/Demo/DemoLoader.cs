using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hub.Api.Auth;
using Hub.Api.Fhir;
using Hub.Api.Ssda903;
using Hub.Mappers.Identifiers;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Generation;
using Hub.Mappers.Ssda903.Mapping;

namespace Hub.Api.Demo;

/// <summary>What one LA's demo return became in the hub, as that LA sees it through /fhir.</summary>
public sealed record DemoLaLoaded(string La, string Name, string Icb, int Created, int Updated, int Unchanged,
    int Children, int WithNhsNumber, int LookedAfter, int PlacedOutOfArea, IReadOnlyList<int> CareLeaverAges, int Sealed);

/// <summary>What one CLA health team's Bundles wrote: Encounters and Immunizations sent, and how many of them were new.</summary>
public sealed record DemoTeamLoaded(string Team, int Assessments, int Immunisations, int Created);

/// <summary>What the demo put in the hub, for the banner.</summary>
public sealed record DemoLoaded(int Year, IReadOnlyList<DemoLaLoaded> Las, IReadOnlyList<DemoTeamLoaded> Teams, string ExamplePatientId, string ExampleLa);

/// <summary>
/// Loads the demo the way real data arrives: each LA's generated SSDA903 return through the hub's importer, then the
/// CLA health teams' transaction Bundles through the public FHIR API with a provider token. Loading it again changes
/// nothing: re-importing a return is unchanged, and every provider entry is a conditional create on its identifier.
/// </summary>
public static class DemoLoader
{
    const string ClaHealthTeam = "cla-health-team";

    public static async Task<DemoLoaded> LoadAsync(WebApplication app, string baseUrl, CancellationToken ct = default)
    {
        var tokens = app.Services.GetRequiredService<TokenIssuer>();
        var codes = app.Services.GetRequiredService<CodeLists>();
        var today = DateOnly.FromDateTime(app.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime);
        var year = DemoReturns.YearOn(today);
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(2) };

        var returns = DemoReturns.Las.Select(la => (La: la, Return: DemoReturns.Generate(la, year, codes))).ToList();
        var imports = new Dictionary<string, ImportResult>();
        foreach (var (la, generated) in returns) imports[la.La] = await ImportAsync(app, la, generated, ct);

        // After both imports: a team may write about a child of either LA, one placed in its ICB's area.
        var teams = new List<DemoTeamLoaded>();
        foreach (var (team, bundle) in returns.SelectMany(r => ProviderBundles.Build(r.Return.ProviderRecords)))
        {
            var token = tokens.Issue(team, OrgTypes.Provider, ClaHealthTeam, "direct-care", null, "system/*.cruds", "demo");
            var response = (Bundle)await PostAsync(http, token, bundle, ct);
            teams.Add(new DemoTeamLoaded(team, bundle.Entry.Count(e => e.Resource is Encounter), bundle.Entry.Count(e => e.Resource is Immunization),
                response.Entry.Count(e => e.Response?.Status?.StartsWith("201", StringComparison.Ordinal) == true)));
        }
        teams = [.. teams.GroupBy(t => t.Team).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new DemoTeamLoaded(g.Key, g.Sum(t => t.Assessments), g.Sum(t => t.Immunisations), g.Sum(t => t.Created)))];

        var las = new List<DemoLaLoaded>();
        foreach (var (la, _) in returns) las.Add(await SeenByAsync(http, tokens, la, imports[la.La], today, ct));

        // The banner's example: the child placed out of area, whose record shows both ICBs' health teams.
        var (exampleLa, example) = returns[0];
        var la0 = tokens.Issue(exampleLa.La, OrgTypes.La, "social-worker", "direct-care", null, "system/*.cruds", "demo");
        var found = (Bundle)await GetAsync(http, la0, $"fhir/Patient?identifier={Cla.ChildIdSystem(exampleLa.La)}|{example.Scenarios[Scenario.PlacedOutOfArea]}", ct);
        var examplePatient = found.Entry.Select(e => e.Resource).OfType<Patient>().Single().Id!;
        return new DemoLoaded(year, las, teams, examplePatient, exampleLa.La);
    }

    static async Task<ImportResult> ImportAsync(WebApplication app, DemoLa la, GeneratedReturn generated, CancellationToken ct)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"carehub-demo-{la.La}-{Guid.NewGuid():N}");
        generated.WriteCsv(folder);
        try
        {
            using var scope = app.Services.CreateScope();
            var importer = scope.ServiceProvider.GetRequiredService<Ssda903Importer>();
            var caller = new Caller(la.La, OrgTypes.La, "social-worker", "direct-care", null, ["system/*.cruds"], "demo");
            var result = await importer.ImportAsync(caller, la.La, generated.Year, folder, ct: ct);
            if (!result.Committed || result.Quarantined > 0)
                throw new InvalidOperationException($"The demo return of LA {la.La} did not import whole ({result.Counts}): " +
                    string.Join("; ", result.Issues.Where(i => i.Severity == IssueSeverity.Error).Take(5).Select(i => $"{i.Location} {i.Text}")));
            return result;
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    /// <summary>The banner's figures, asked of the hub as the LA (and its ICB), so they say what the hub really holds.</summary>
    static async Task<DemoLaLoaded> SeenByAsync(HttpClient http, TokenIssuer tokens, DemoLa la, ImportResult import, DateOnly today, CancellationToken ct)
    {
        var asLa = tokens.Issue(la.La, OrgTypes.La, "social-worker", "direct-care", null, "system/*.cruds", "demo");
        // The responsible ICB sees its LAs' children through its designated professional for the statutory assessment (consent.md row 2).
        var asIcb = tokens.Issue(la.Icb, OrgTypes.Icb, "designated-professional", "statutory-health-assessment", null, "system/*.cruds", "demo");
        var children = Matches<Patient>(await GetAsync(http, asLa, "fhir/Patient?_count=500", ct));
        // A sealed (adopted) record exists only for its LA: the responsible ICB no longer finds it.
        var icbSees = Matches<Patient>(await GetAsync(http, asIcb, "fhir/Patient?_count=500", ct))
            .Where(p => p.ManagingOrganization?.Reference == $"Organization/{la.La}").Select(p => p.Id).ToHashSet();

        async Task<List<Flag>> ActiveAsync(string flag) =>
            [.. Matches<Flag>(await GetAsync(http, asLa, $"fhir/Flag?code={Cla.FlagSystem}|{flag}&_count=500", ct)).Where(f => f.Status == Flag.FlagStatus.Active)];
        var careLeavers = await ActiveAsync(Cla.Flags.CareLeaver);
        var born = children.ToDictionary(p => $"Patient/{p.Id}", p => DateOnly.Parse(p.BirthDate!, System.Globalization.CultureInfo.InvariantCulture));
        return new DemoLaLoaded(la.La, la.Name, la.Icb, import.Created, import.Updated, import.Unchanged,
            children.Count, children.Count(p => p.Identifier.Any(i => i.System == NhsNumber.System)),
            (await ActiveAsync(Cla.Flags.LookedAfter)).Count, (await ActiveAsync(Cla.Flags.PlacedOutOfArea)).Count,
            [.. careLeavers.Select(f => Age(born[f.Subject.Reference!], today)).Order()],
            children.Count(p => !icbSees.Contains(p.Id)));
    }

    static List<T> Matches<T>(Resource bundle) where T : Resource =>
        [.. ((Bundle)bundle).Entry.Where(e => e.Search?.Mode != Bundle.SearchEntryMode.Include).Select(e => e.Resource).OfType<T>()];

    static int Age(DateOnly birth, DateOnly on)
    {
        var age = on.Year - birth.Year;
        return birth.AddYears(age) > on ? age - 1 : age;
    }

    static Task<Resource> PostAsync(HttpClient http, string token, Bundle bundle, CancellationToken ct) =>
        SendAsync(http, token, new HttpRequestMessage(HttpMethod.Post, "fhir")
        {
            Content = new StringContent(FhirFormat.SerializeToString(bundle), Encoding.UTF8, FhirFormat.JsonMime),
        }, ct);

    static Task<Resource> GetAsync(HttpClient http, string token, string path, CancellationToken ct) =>
        SendAsync(http, token, new HttpRequestMessage(HttpMethod.Get, path), ct);

    static async Task<Resource> SendAsync(HttpClient http, string token, HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            // The path and where the problems are, never the query or the diagnostics: both can carry NHS numbers.
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException(
                $"Loading the demo failed: {request.Method} {request.RequestUri?.AbsolutePath} answered {(int)response.StatusCode} at {Where(body)}");
            return FhirFormat.ParseJson(body);
        }
    }

    static string Where(string body)
    {
        try
        {
            return FhirFormat.ParseJson(body) is OperationOutcome o
                ? string.Join(", ", o.Issue.Select(i => $"{i.Code} {string.Join(" ", i.Expression)}"))
                : "(no OperationOutcome)";
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or FhirProblem) { return "(unreadable answer)"; }
    }

    public static string Banner(string baseUrl, DemoLoaded d)
    {
        var lines = new StringBuilder();
        foreach (var la in d.Las)
            lines.AppendLine($"  {la.Name} (LA {la.La}, ICB {la.Icb}): {la.Children} children, {la.WithNhsNumber} with NHS numbers; {la.LookedAfter} looked after, " +
                $"{la.PlacedOutOfArea} placed out of area; {CareLeavers(la.CareLeaverAges)}; {la.Sealed} adopted (sealed)");
        foreach (var t in d.Teams)
            lines.AppendLine($"  CLA health team {t.Team}: {t.Assessments} health assessments (IHA/RHA Encounters), {t.Immunisations} Immunizations");
        return $$"""

        CareHub demo is running on {{baseUrl}}  (FHIR base {{baseUrl}}/fhir, API docs {{baseUrl}}/swagger)
        Loaded: generated {{d.Year - 1}}/{{d.Year % 100:00}} SSDA903 returns of two LAs, through the SSDA903 importer, and their children's
        provider records, sent to /fhir as transaction Bundles by the CLA health teams. Dev tokens are on.
        {{lines.ToString().TrimEnd()}}

        Try:
          TOKEN=$(curl -s -X POST {{baseUrl}}/auth/dev-token -H 'Content-Type: application/json' -d '{"org":"{{d.ExampleLa}}","org_type":"la","purpose_of_use":"direct-care"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
          curl -s -H "Authorization: Bearer $TOKEN" '{{baseUrl}}/fhir/Patient?_count=5'
          curl -s -H "Authorization: Bearer $TOKEN" {{baseUrl}}/fhir/Patient/{{d.ExamplePatientId}}

        """;
    }

    static string CareLeavers(IReadOnlyList<int> ages) => ages.Count switch
    {
        0 => "no care leavers",
        1 => $"1 care leaver (aged {ages[0]})",
        _ => $"{ages.Count} care leavers (aged {string.Join(", ", ages.Distinct())})",
    };
}
