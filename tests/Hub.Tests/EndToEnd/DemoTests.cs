using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hub.Api.Demo;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.EndToEnd;

/// <summary>A fresh hub with the demo loaded once, as <c>--demo</c> does it.</summary>
public abstract class DemoHubFixture(string provider) : IAsyncLifetime
{
    public RunningHub Hub { get; private set; } = null!;
    public DemoLoaded Loaded { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Hub = await RunningHub.StartAsync(provider);
        Loaded = await DemoLoader.LoadAsync(Hub.App, Hub.BaseUrl);
    }

    public async Task DisposeAsync()
    {
        await Hub.DisposeAsync();
    }
}

public sealed class SqliteDemoHubFixture() : DemoHubFixture("Sqlite");
public sealed class PostgresDemoHubFixture() : DemoHubFixture("Postgres");

/// <summary>The demo (contract §1, decisions "The demo"): loaded through the public API, each LA sees its own children.</summary>
public abstract class DemoTests(DemoHubFixture fixture)
{
    const string Somerset = "933", Lancashire = "888";
    const string LaChildId = "https://fhir.carehub.org.uk/Id/la-child-id/";
    RunningHub Hub => fixture.Hub;

    async Task<int> PatientCountAsync(string la)
    {
        var answer = await (await Hub.AsAsync(la, "la")).GetAsync("fhir/Patient?_summary=count");
        Assert.True(answer.Status == 200, answer.ToString());
        var bundle = answer.As<Bundle>();
        Assert.Empty(bundle.Entry);
        return bundle.Total ?? -1;
    }

    async Task<Patient> SomersetChildAsync(FhirCall la, string childId)
    {
        var found = (await la.GetAsync($"fhir/Patient?identifier={LaChildId}{Somerset}|{childId}")).As<Bundle>();
        return (Patient)Assert.Single(found.Entry).Resource;
    }

    async Task<List<T>> SearchAsync<T>(FhirCall caller, string query) where T : Resource
    {
        var answer = await caller.GetAsync(query);
        Assert.True(answer.Status == 200, $"{query}: {answer}");
        return answer.As<Bundle>().Entry.Where(e => e.Search?.Mode != Bundle.SearchEntryMode.Include).Select(e => (T)e.Resource).ToList();
    }

    [Fact]
    public async Task each_LA_sees_exactly_its_own_demo_children()
    {
        Assert.Equal(10, fixture.Loaded.Children);
        Assert.Equal(6, await PatientCountAsync(Somerset));
        Assert.Equal(4, await PatientCountAsync(Lancashire));

        var somerset = await SearchAsync<Patient>(await Hub.AsAsync(Somerset, "la"), "fhir/Patient?_count=50");
        Assert.Equal(6, somerset.Count);
        Assert.All(somerset, p => Assert.Equal($"Organization/{Somerset}", p.ManagingOrganization.Reference));
        var lancashire = await SearchAsync<Patient>(await Hub.AsAsync(Lancashire, "la"), "fhir/Patient?_count=50");
        Assert.Equal(4, lancashire.Count);
        Assert.All(lancashire, p => Assert.StartsWith(LaChildId + Lancashire, p.Identifier[0].System));
        Assert.Empty(somerset.Select(p => p.Id).Intersect(lancashire.Select(p => p.Id)));
    }

    [Fact]
    public async Task the_health_teams_encounter_and_immunisation_for_the_first_somerset_child_are_there()
    {
        var la = await Hub.AsAsync(Somerset, "la");
        var amelia = await SomersetChildAsync(la, "S1001");

        var encounter = Assert.Single(await SearchAsync<Encounter>(la, $"fhir/Encounter?patient={amelia.Id}"));
        Assert.Equal($"Patient/{amelia.Id}", encounter.Subject.Reference);
        Assert.Contains(encounter.Type.SelectMany(t => t.Coding), c => c.Code == "initial-health-assessment");
        var immunisation = Assert.Single(await SearchAsync<Immunization>(la, $"fhir/Immunization?patient={amelia.Id}"));
        Assert.Equal($"Patient/{amelia.Id}", immunisation.Patient.Reference);

        // The second Somerset child has no provider records.
        var oliver = await SomersetChildAsync(la, "S1002");
        Assert.Empty(await SearchAsync<Encounter>(la, $"fhir/Encounter?patient={oliver.Id}"));
    }

    [Fact]
    public async Task the_banner_shows_three_curl_commands_that_work()
    {
        var banner = DemoLoader.Banner(Hub.BaseUrl, fixture.Loaded);
        Assert.Equal(3, Regex.Matches(banner, @"\bcurl\s").Count);
        Assert.Contains(Hub.BaseUrl + "/fhir", banner);

        // The first asks for a dev token with the body shown.
        var body = Regex.Match(banner, @"-d '(\{[^']*\})'").Groups[1].Value;
        var token = await Hub.Http.PostAsync("auth/dev-token", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.True(token.IsSuccessStatusCode, await token.Content.ReadAsStringAsync());
        Assert.Equal(Somerset, JsonDocument.Parse(body).RootElement.GetProperty("org").GetString());

        // The last reads a Patient that exists, as that LA.
        var id = Regex.Match(banner, @"/fhir/Patient/([A-Za-z0-9\-\.]{1,64})").Groups[1].Value;
        Assert.Equal(fixture.Loaded.ExamplePatientId, id);
        var read = await (await Hub.AsAsync(Somerset, "la")).GetAsync($"fhir/Patient/{id}");
        Assert.True(read.Status == 200, read.ToString());
        Assert.StartsWith(LaChildId + Somerset, read.As<Patient>().Identifier[0].System);
    }

    [Fact]
    public async Task loading_the_demo_a_second_time_changes_nothing()
    {
        var la = await Hub.AsAsync(Somerset, "la");
        var amelia = await SomersetChildAsync(la, "S1001");

        var again = await DemoLoader.LoadAsync(Hub.App, Hub.BaseUrl);

        Assert.Equal(fixture.Loaded, again);
        Assert.Equal(6, await PatientCountAsync(Somerset));
        Assert.Equal(4, await PatientCountAsync(Lancashire));
        var example = (await la.GetAsync($"fhir/Patient/{again.ExamplePatientId}")).As<Patient>();
        Assert.Equal("1", example.Meta.VersionId);
        Assert.Equal("1", (await SomersetChildAsync(la, "S1001")).Meta.VersionId);
        Assert.Equal(amelia.Id, (await SomersetChildAsync(la, "S1001")).Id);
        Assert.Single(await SearchAsync<Encounter>(la, $"fhir/Encounter?patient={amelia.Id}"));
        Assert.Single(await SearchAsync<Immunization>(la, $"fhir/Immunization?patient={amelia.Id}"));
        Assert.Single(await SearchAsync<EpisodeOfCare>(la, $"fhir/EpisodeOfCare?patient={amelia.Id}"));
    }

    [Fact]
    public async Task the_demo_went_through_the_public_api_and_is_audited_as_the_LA()
    {
        var la = await Hub.AsAsync(Somerset, "la");
        var children = await SearchAsync<Patient>(la, "fhir/Patient?_count=50");
        var admin = await Hub.AsAsync("carehub-admin", "admin");

        var events = await SearchAsync<AuditEvent>(admin, $"fhir/AuditEvent?agent={Somerset}&_count=500");
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Equal(Somerset, e.Agent[0].Who.Identifier.Value));
        var creates = events.Where(e => e.Subtype.Any(s => s.Code == "create") && e.Action == AuditEvent.AuditEventAction.C).ToList();
        // By the demo's own client, successfully: every Somerset child and its 7 episodes.
        Assert.All(creates, e => Assert.Equal("demo", e.Agent[0].AltId));
        Assert.All(creates, e => Assert.Equal(AuditEvent.AuditEventOutcome.N0, e.Outcome));
        var createdPatients = creates.SelectMany(e => e.Entity).Select(x => x.What?.Reference).Where(r => r?.StartsWith("Patient/") == true).ToHashSet();
        Assert.All(children, c => Assert.Contains($"Patient/{c.Id}", createdPatients));
        Assert.True(creates.Count(e => e.Entity.Any(x => x.What?.Reference?.StartsWith("EpisodeOfCare/") == true)) >= 7,
            $"{creates.Count} create events: " + string.Join(", ", creates.SelectMany(e => e.Entity).Select(x => x.What?.Reference)));
    }
}

public sealed class SqliteDemoTests(SqliteDemoHubFixture f) : DemoTests(f), IClassFixture<SqliteDemoHubFixture>;
public sealed class PostgresDemoTests(PostgresDemoHubFixture f) : DemoTests(f), IClassFixture<PostgresDemoHubFixture>;
