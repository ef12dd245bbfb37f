using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hub.Api.Auth;
using Hub.Api.Fhir;

namespace Hub.Api.Demo;

/// <summary>What the demo put in the hub, for the banner.</summary>
public sealed record DemoLoaded(int Children, string ExamplePatientId, string ExampleLa);

/// <summary>
/// Loads the demo through the hub's own public FHIR API, as an LA and a CLA health team would send it:
/// no back door into the tables, so the demo exercises validation, access rules and audit like real data.
/// </summary>
public static class DemoLoader
{
    public static async Task<DemoLoaded> LoadAsync(WebApplication app, string baseUrl, CancellationToken ct = default)
    {
        var tokens = app.Services.GetRequiredService<TokenIssuer>();
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(2) };
        string? examplePatient = null;
        foreach (var la in DemoChildren.All.Select(c => c.La).Distinct())
        {
            var token = tokens.Issue(la, OrgTypes.La, "social-worker", "direct-care", null, "system/*.cruds", "demo");
            var response = (Bundle)await PostAsync(http, token, DemoChildren.LaTransaction(la), ct);
            examplePatient ??= response.Entry.Select(PatientIdOf).FirstOrDefault(id => id is not null);
        }
        var amelia = DemoChildren.All[0];
        var team = tokens.Issue("RH5", OrgTypes.Provider, "cla-health-team", "direct-care", null, "system/*.cruds", "demo");
        await PostAsync(http, team, DemoChildren.HealthTeamTransaction("RH5", amelia), ct);
        return new DemoLoaded(DemoChildren.All.Count, examplePatient ?? "unknown", DemoChildren.All[0].La);
    }

    // A conditional create that found the child already there (a second --demo start) answers 200 with no Location.
    static string? PatientIdOf(Bundle.EntryComponent e) =>
        e.Response?.Location is { } l && l.StartsWith("Patient/", StringComparison.Ordinal) ? l.Split('/')[1]
        : e.Resource is Patient p ? p.Id
        : null;

    static async Task<Resource> PostAsync(HttpClient http, string token, Bundle bundle, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "fhir")
        {
            Content = new StringContent(FhirFormat.SerializeToString(bundle), Encoding.UTF8, FhirFormat.JsonMime),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Loading the demo failed with {(int)response.StatusCode}: {body}");
        return FhirFormat.ParseJson(body);
    }

    public static string Banner(string baseUrl, DemoLoaded d) =>
        $$"""

        CareHub demo is running on {{baseUrl}}  (FHIR base {{baseUrl}}/fhir, API docs {{baseUrl}}/swagger)
        Loaded: {{d.Children}} children looked after by Somerset (LA 933, ICB QSL) and Lancashire (LA 888, ICB QE1),
        one placed out of area, one care leaver aged 19 and one adopted. Dev tokens are on.

        Try:
          TOKEN=$(curl -s -X POST {{baseUrl}}/auth/dev-token -H 'Content-Type: application/json' -d '{"org":"{{d.ExampleLa}}","org_type":"la","purpose_of_use":"direct-care"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
          curl -s -H "Authorization: Bearer $TOKEN" '{{baseUrl}}/fhir/Patient?_count=5'
          curl -s -H "Authorization: Bearer $TOKEN" {{baseUrl}}/fhir/Patient/{{d.ExamplePatientId}}

        """;
}
