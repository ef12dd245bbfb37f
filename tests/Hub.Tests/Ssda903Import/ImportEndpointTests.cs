using System.Net.Http.Headers;
using Hl7.Fhir.Model;
using Hub.Tests.Http;
using Hub.Tests.Infrastructure;
using Hub.Tests.Ssda903;

namespace Hub.Tests.Ssda903Import;

/// <summary>`POST /fhir/$import-ssda903` (contract section 4) with the two synthetic years of ../shared/data/ssda903.</summary>
public abstract class ImportEndpointTests(HubFixture fixture)
{
    RunningHub Hub => fixture.Hub;

    static MultipartFormDataContent Return(string year)
    {
        var form = new MultipartFormDataContent();
        foreach (var file in Directory.GetFiles(Path.Combine(Ssda903TestFiles.Synthetic, year), "*.csv"))
        {
            var part = new ByteArrayContent(File.ReadAllBytes(file));
            part.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            form.Add(part, "file", Path.GetFileName(file));
        }
        return form;
    }

    async Task<(int Status, OperationOutcome Outcome, HttpResponseMessage Response)> ImportAsync(string token, string la, string year, string? dataYear = null, bool async = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"fhir/$import-ssda903?la={la}&year={year}") { Content = Return(dataYear ?? year) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (async) request.Headers.Add("Prefer", "respond-async");
        var response = await Hub.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, (OperationOutcome)global::Hub.Api.Fhir.FhirFormat.ParseJson(body), response);
    }

    static Dictionary<string, int> Counts(OperationOutcome o) =>
        o.Issue[0].Diagnostics.Split(' ').Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => int.Parse(kv[1]));

    [Fact]
    public async Task both_synthetic_years_import_in_sequence_with_quarantine_merge_and_no_change_on_reimport()
    {
        var token = await Hub.TokenAsync("933", "la");
        var first = await ImportAsync(token, "933", "2018");
        Assert.Equal(200, first.Status);
        var c1 = Counts(first.Outcome);
        Assert.True(c1["imported"] > 600, first.Outcome.Issue[0].Diagnostics);
        Assert.True(c1["quarantined"] > 0);
        Assert.Equal(c1["children"], c1["imported"] + c1["quarantined"]);
        // Every quarantining error names its child, file, row and column, and the DfE rule.
        var errors = first.Outcome.Issue.Where(i => i.Severity == OperationOutcome.IssueSeverity.Error).ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, e =>
        {
            Assert.StartsWith("CHILD ", e.Diagnostics);
            Assert.Matches(@"^[a-z_0-9]+\.csv:\d+(:[A-Z_]+)?$", e.Location.Single());
        });
        Assert.Contains(errors, e => e.Diagnostics.Contains("rule 501") || e.Diagnostics.Contains("rule 149"));

        var again = await ImportAsync(token, "933", "2018");
        var c2 = Counts(again.Outcome);
        Assert.Equal(0, c2["created"]);
        Assert.Equal(0, c2["updated"]);
        Assert.True(c2["unchanged"] > 0);

        var next = await ImportAsync(token, "933", "2019");
        Assert.Equal(200, next.Status);
        var c3 = Counts(next.Outcome);
        Assert.True(c3["updated"] > 0, "open episodes of 2018 are closed or continued by 2019");
        // The synthetic data brings back CHILD ids of children adopted in 2018: their sealed records are not touched.
        Assert.Contains(next.Outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error && i.Diagnostics.Contains("rule 199"));

        var la = new FhirCall(Hub.Http, token);
        // Not a _summary=count: children whose care ended years ago are outside the hub's cohort now (consent.md G2), so
        // a count would reveal them and is not given; the search shows the flags the LA may still see.
        var lookedAfter = (await la.GetAsync("fhir/Flag?code=https://fhir.carehub.org.uk/CodeSystem/cla-flag|looked-after&_count=10")).As<Bundle>();
        Assert.NotEmpty(lookedAfter.Entry);
    }

    [Fact]
    public async Task an_adopted_childs_record_is_sealed_from_everyone_but_its_LA()
    {
        var token = await Hub.TokenAsync("933", "la");
        Assert.Equal(200, (await ImportAsync(token, "933", "2018")).Status);
        var la = new FhirCall(Hub.Http, token);
        var adopted = (await la.GetAsync("fhir/EpisodeOfCare?_count=500")).As<Bundle>().Entry.Select(e => (EpisodeOfCare)e.Resource)
            .First(e => e.Extension.Any(x => x.Url.EndsWith("cla-reason-episode-ceased") && ((Coding)x.Value).Code is "E11" or "E12"));
        var patient = adopted.Patient.Reference;
        Assert.Equal(200, (await la.GetAsync($"fhir/{patient}")).Status);
        var icb = await Hub.AsAsync("QSL", "icb");
        Assert.Equal(404, (await icb.GetAsync($"fhir/{patient}")).Status);
        var flags = (await la.GetAsync($"fhir/Flag?patient={patient}")).As<Bundle>();
        Assert.DoesNotContain(flags.Entry, e => ((Flag)e.Resource).Status == Flag.FlagStatus.Active);
    }

    [Fact]
    public async Task only_the_LA_itself_or_an_admin_may_import_and_a_year_out_of_range_is_rejected_whole()
    {
        var other = await Hub.TokenAsync("888", "la");
        Assert.Equal(403, (await ImportAsync(other, "933", "2018")).Status);
        var own = await Hub.TokenAsync("933", "la");
        var before = (await new FhirCall(Hub.Http, own).GetAsync("fhir/EpisodeOfCare?_summary=count")).As<Bundle>().Total;
        var wrongYear = await ImportAsync(own, "933", "2016", dataYear: "2018");
        Assert.Equal(422, wrongYear.Status);
        Assert.Equal(before, (await new FhirCall(Hub.Http, own).GetAsync("fhir/EpisodeOfCare?_summary=count")).As<Bundle>().Total);
    }

    [Fact]
    public async Task respond_async_gives_a_status_url_that_reports_progress_then_the_result()
    {
        var token = await Hub.TokenAsync("933", "la");
        var accepted = await ImportAsync(token, "933", "2018", async: true);
        Assert.Equal(202, accepted.Status);
        var status = accepted.Response.Content.Headers.ContentLocation?.ToString() ?? accepted.Response.Headers.GetValues("Content-Location").Single();
        var call = new FhirCall(Hub.Http, token);
        FhirAnswer answer;
        var deadline = DateTime.UtcNow.AddMinutes(5);
        do
        {
            await Task.Delay(500);
            answer = await call.GetAsync(status[(Hub.BaseUrl.Length + 1)..]);
        } while (answer.Status == 202 && DateTime.UtcNow < deadline);
        Assert.Equal(200, answer.Status);
        Assert.StartsWith("children=", answer.Outcome.Issue[0].Diagnostics);
        var stranger = new FhirCall(Hub.Http, await Hub.TokenAsync("888", "la"));
        Assert.Equal(404, (await stranger.GetAsync(status[(Hub.BaseUrl.Length + 1)..])).Status);
    }
}

public sealed class SqliteImportEndpointTests(SqliteHubFixture f) : ImportEndpointTests(f), IClassFixture<SqliteHubFixture>;
public sealed class PostgresImportEndpointTests(PostgresHubFixture f) : ImportEndpointTests(f), IClassFixture<PostgresHubFixture>;
