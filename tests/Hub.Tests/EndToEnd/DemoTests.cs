using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hub.Api.Demo;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Generation;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.EndToEnd;

/// <summary>A fresh hub with the demo loaded once, as <c>--demo</c> does it, and the returns the demo generated.</summary>
public abstract class DemoHubFixture(string provider) : IAsyncLifetime
{
    public RunningHub Hub { get; private set; } = null!;
    public DemoLoaded Loaded { get; private set; } = null!;
    public IReadOnlyDictionary<string, GeneratedReturn> Returns { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Hub = await RunningHub.StartAsync(provider);
        Loaded = await DemoLoader.LoadAsync(Hub.App, Hub.BaseUrl);
        var codes = Hub.App.Services.GetRequiredService<CodeLists>();
        Returns = DemoReturns.Las.ToDictionary(la => la.La, la => DemoReturns.Generate(la, Loaded.Year, codes));
    }

    public async Task DisposeAsync()
    {
        await Hub.DisposeAsync();
    }
}

public sealed class SqliteDemoHubFixture() : DemoHubFixture("Sqlite");
public sealed class PostgresDemoHubFixture() : DemoHubFixture("Postgres");

/// <summary>
/// The demo (contract §1, decisions "The demo and the generator"): each LA's generated return through the importer, the
/// CLA health teams' Bundles through /fhir. Expected figures come from the generated returns, never typed in.
/// </summary>
public abstract class DemoTests(DemoHubFixture fixture)
{
    const string Somerset = "933", Lancashire = "888";
    const string LaChildId = "https://fhir.carehub.org.uk/Id/la-child-id/";
    const string NhsNumberSystem = "https://fhir.nhs.uk/Id/nhs-number";
    const string ClaFlag = "https://fhir.carehub.org.uk/CodeSystem/cla-flag";
    RunningHub Hub => fixture.Hub;

    GeneratedReturn Return(string la) => fixture.Returns[la];

    static DateOnly Today => DateOnly.FromDateTime(DateTime.UtcNow);

    /// <summary>
    /// The CHILD ids of an LA's children still in the hub's cohort (consent.md §3.3 G2: looked after now or in the last 12
    /// months, or a care leaver young enough), plus its sealed records (contract §4), from the facts the importer keeps.
    /// A child whose care ended longer ago is out of scope: the LA's own token no longer reaches it.
    /// </summary>
    async Task<HashSet<string>> InCohortAsync(string la)
    {
        using var scope = Hub.App.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<Hub.Api.Storage.HubDb>();
        var facts = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(db.PatientFacts.Where(f => f.ManagingLa == la));
        var today = Today;
        return facts.Where(f => f.LookedAfter || f.Sealed || f.CareLeaverUntil >= today || f.LastPlacementEnded is { } ended && ended.AddMonths(12) >= today)
            .Select(f => f.LaChildId!).ToHashSet();
    }

    async Task<int> PatientCountAsync(string la)
    {
        var answer = await (await Hub.AsAsync(la, "la")).GetAsync("fhir/Patient?_summary=count");
        Assert.True(answer.Status == 200, answer.ToString());
        var bundle = answer.As<Bundle>();
        Assert.Empty(bundle.Entry);
        return bundle.Total ?? -1;
    }

    async Task<List<T>> SearchAsync<T>(FhirCall caller, string query) where T : Resource
    {
        var answer = await caller.GetAsync(query);
        Assert.True(answer.Status == 200, $"{query}: {answer}");
        return answer.As<Bundle>().Entry.Where(e => e.Search?.Mode != Bundle.SearchEntryMode.Include).Select(e => (T)e.Resource).ToList();
    }

    async Task<List<Patient>> ChildAsync(FhirCall caller, string la, string childId) =>
        await SearchAsync<Patient>(caller, $"fhir/Patient?identifier={LaChildId}{la}|{childId}");

    async Task<Patient> ScenarioChildAsync(string la, Scenario scenario) =>
        Assert.Single(await ChildAsync(await Hub.AsAsync(la, "la"), la, Return(la).Scenarios[scenario]));

    async Task<List<Flag>> ActiveFlagsAsync(FhirCall caller, string patientId, string code) =>
        [.. (await SearchAsync<Flag>(caller, $"fhir/Flag?patient={patientId}&code={ClaFlag}|{code}")).Where(f => f.Status == Flag.FlagStatus.Active)];

    [Theory]
    [InlineData(Somerset)]
    [InlineData(Lancashire)]
    public async Task each_LA_sees_exactly_the_children_of_its_generated_return(string la)
    {
        var generated = Return(la);
        var childIds = generated.Rows(Ssda903Tables.Header).Select(h => h["CHILD"]!).ToHashSet();
        var inCohort = await InCohortAsync(la);
        Assert.Subset(childIds, inCohort);
        // A count must not reveal children the LA may no longer see: it is given only when none is left out.
        Assert.Equal(inCohort.Count == childIds.Count ? childIds.Count : -1, await PatientCountAsync(la));

        var children = await SearchAsync<Patient>(await Hub.AsAsync(la, "la"), "fhir/Patient?_count=500");
        Assert.Equal(inCohort, children.Select(p => p.Identifier.Single(i => i.System == LaChildId + la).Value).ToHashSet());
        Assert.All(children, p => Assert.Equal($"Organization/{la}", p.ManagingOrganization.Reference));
        var nhs = generated.Rows(Ssda903Tables.ChildIdentifiers).Where(r => inCohort.Contains(r["CHILD"]!)).ToDictionary(r => r["CHILD"]!, r => r["NHS_NUMBER"]);
        Assert.Equal(nhs.Count, children.Count(p => p.Identifier.Any(i => i.System == NhsNumberSystem)));
        Assert.True(nhs.Count > inCohort.Count / 2, $"{nhs.Count} of {inCohort.Count} children have NHS numbers");

        var loaded = fixture.Loaded.Las.Single(l => l.La == la);
        Assert.Equal((inCohort.Count, nhs.Count), (loaded.Children, loaded.WithNhsNumber));
        Assert.True(loaded.Created + loaded.Unchanged >= childIds.Count, $"{loaded.Created} created, {loaded.Unchanged} unchanged");
    }

    [Fact]
    public async Task the_LAs_see_none_of_each_others_children()
    {
        var somerset = await SearchAsync<Patient>(await Hub.AsAsync(Somerset, "la"), "fhir/Patient?_count=500");
        var lancashire = await SearchAsync<Patient>(await Hub.AsAsync(Lancashire, "la"), "fhir/Patient?_count=500");
        Assert.NotEmpty(somerset);
        Assert.NotEmpty(lancashire);
        Assert.Empty(somerset.Select(p => p.Id).Intersect(lancashire.Select(p => p.Id)));
        Assert.Empty(await ChildAsync(await Hub.AsAsync(Lancashire, "la"), Somerset, Return(Somerset).Scenarios[Scenario.PlacedOutOfArea]));
    }

    [Theory]
    [InlineData(Somerset, "QSL", "QE1")]
    [InlineData(Lancashire, "QE1", "QSL")]
    public async Task the_child_placed_out_of_area_is_flagged_and_seen_by_the_host_ICB_as_well_as_the_responsible_one(string la, string responsible, string host)
    {
        var child = await ScenarioChildAsync(la, Scenario.PlacedOutOfArea);
        var flag = Assert.Single(await ActiveFlagsAsync(await Hub.AsAsync(la, "la"), child.Id, "placed-out-of-area"));
        Assert.Equal($"Patient/{child.Id}", flag.Subject.Reference);
        var childId = Return(la).Scenarios[Scenario.PlacedOutOfArea];

        Assert.Equal(child.Id, Assert.Single(await ChildAsync(await Hub.AsAsync(host, "icb"), la, childId)).Id);
        // The responsible ICB through its designated professional for the statutory assessment (row 2); row 3 refuses it direct care.
        Assert.Equal(child.Id, Assert.Single(await ChildAsync(await Hub.AsAsync(responsible, "icb", "designated-professional", "statutory-health-assessment"), la, childId)).Id);
        // The host ICB's relationship is the placement: a child of the same LA placed at home is not found.
        var leaver = await ScenarioChildAsync(la, Scenario.CareLeaverAged19);
        Assert.Equal(404, (await (await Hub.AsAsync(host, "icb")).GetAsync($"fhir/Patient/{leaver.Id}")).Status);
        Assert.True(fixture.Loaded.Las.Single(l => l.La == la).PlacedOutOfArea >= 1);
    }

    [Theory]
    [InlineData(Somerset, "QSL")]
    [InlineData(Lancashire, "QE1")]
    public async Task the_adopted_child_is_sealed_and_only_its_LA_finds_it(string la, string icb)
    {
        var child = await ScenarioChildAsync(la, Scenario.Adopted);
        Assert.Equal(404, (await (await Hub.AsAsync(icb, "icb")).GetAsync($"fhir/Patient/{child.Id}")).Status);
        Assert.Empty(await ChildAsync(await Hub.AsAsync(icb, "icb"), la, Return(la).Scenarios[Scenario.Adopted]));
        var team = icb == "QSL" ? "RH5" : "RXN";
        Assert.Equal(404, (await (await Hub.AsAsync(team, "provider", "cla-health-team")).GetAsync($"fhir/Patient/{child.Id}")).Status);
        Assert.Empty(await SearchAsync<Flag>(await Hub.AsAsync(la, "la"), $"fhir/Flag?patient={child.Id}"));
        Assert.Empty(await SearchAsync<Encounter>(await Hub.AsAsync(la, "la"), $"fhir/Encounter?patient={child.Id}"));
        Assert.True(fixture.Loaded.Las.Single(l => l.La == la).Sealed >= 1);
    }

    [Theory]
    [InlineData(Somerset)]
    [InlineData(Lancashire)]
    public async Task the_care_leaver_aged_19_has_the_care_leaver_flag(string la)
    {
        var child = await ScenarioChildAsync(la, Scenario.CareLeaverAged19);
        var born = DateOnly.Parse(child.BirthDate!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(19, Today.Year - born.Year - (born.AddYears(Today.Year - born.Year) > Today ? 1 : 0));
        var caller = await Hub.AsAsync(la, "la");
        Assert.Single(await ActiveFlagsAsync(caller, child.Id, "care-leaver"));
        Assert.Empty(await ActiveFlagsAsync(caller, child.Id, "looked-after"));
        // Contract §7: the same question asked by NHS number.
        var nhs = child.Identifier.Single(i => i.System == NhsNumberSystem).Value;
        var byNhs = await SearchAsync<Flag>(caller, $"fhir/Flag?patient.identifier={NhsNumberSystem}|{nhs}&code={ClaFlag}|care-leaver");
        Assert.Equal($"Patient/{child.Id}", Assert.Single(byNhs).Subject.Reference);
        Assert.Contains(19, fixture.Loaded.Las.Single(l => l.La == la).CareLeaverAges);
    }

    [Theory]
    [InlineData(Somerset)]
    [InlineData(Lancashire)]
    public async Task the_care_leavers_GP_practice_identifies_them_from_the_registration_the_LA_sent_and_no_other_practice_does(string la)
    {
        var child = await ScenarioChildAsync(la, Scenario.CareLeaverAged19);
        var nhs = child.Identifier.Single(i => i.System == NhsNumberSystem).Value;
        // The return's child_identifiers.csv named the practice (GP_PRACTICE): the registration held in the hub without PDS.
        var practice = Assert.Single(child.GeneralPractitioner).Reference!["Organization/".Length..];
        var other = new[] { "L85001", "L85002", "P81001" }.First(p => p != practice);
        var ask = new Parameters { Parameter = [new Parameters.ParameterComponent { Name = "nhsNumber", Value = new FhirString(nhs) }] };
        string Status(FhirAnswer a)
        {
            Assert.True(a.Status == 200, a.ToString());
            return ((Code)a.As<Parameters>().Parameter.Single().Part.Single(p => p.Name == "status").Value).Value;
        }
        Assert.Equal("care-leaver", Status(await (await Hub.AsAsync(practice, "gp")).PostAsync("fhir/Patient/$identify-care-leavers", ask)));
        Assert.Equal("not-known", Status(await (await Hub.AsAsync(other, "gp")).PostAsync("fhir/Patient/$identify-care-leavers", ask)));
    }

    [Theory]
    [InlineData(Somerset)]
    [InlineData(Lancashire)]
    public async Task provider_encounters_and_immunisations_are_linked_to_the_patient_with_their_NHS_number(string la)
    {
        var caller = await Hub.AsAsync(la, "la");
        var children = await SearchAsync<Patient>(caller, "fhir/Patient?_count=500");
        var byNhs = children.Where(p => p.Identifier.Any(i => i.System == NhsNumberSystem))
            .ToDictionary(p => p.Identifier.Single(i => i.System == NhsNumberSystem).Value, p => p.Id);
        var records = Return(la).ProviderRecords.GroupBy(r => r.NhsNumber).ToList();
        Assert.NotEmpty(records);
        foreach (var child in records)
        {
            var patient = byNhs[child.Key];
            var encounters = await SearchAsync<Encounter>(caller, $"fhir/Encounter?patient={patient}&_count=500");
            Assert.All(encounters, e => Assert.Equal($"Patient/{patient}", e.Subject.Reference));
            Assert.Equal(child.Where(r => r.Kind != ProviderRecordKind.Immunisation).Select(r => (r.Team, r.Identifier)).Order(),
                encounters.Select(e => (e.ServiceProvider.Reference["Organization/".Length..], e.Identifier.Single().Value)).Order());
            var immunisations = await SearchAsync<Immunization>(caller, $"fhir/Immunization?patient={patient}&_count=500");
            Assert.All(immunisations, i => Assert.Equal($"Patient/{patient}", i.Patient.Reference));
            Assert.Equal(child.Where(r => r.Kind == ProviderRecordKind.Immunisation).Select(r => r.Identifier).Order(),
                immunisations.Select(i => i.Identifier.Single().Value).Order());
        }
        // Children with no provider records have none in the hub.
        var without = byNhs.Keys.Except(records.Select(r => r.Key)).First();
        Assert.Empty(await SearchAsync<Encounter>(caller, $"fhir/Encounter?patient={byNhs[without]}"));
    }

    [Fact]
    public async Task the_banner_tells_what_was_loaded_and_shows_three_curl_commands_that_work()
    {
        var banner = DemoLoader.Banner(Hub.BaseUrl, fixture.Loaded);
        Assert.Equal(3, Regex.Matches(banner, @"\bcurl\s").Count);
        Assert.Contains(Hub.BaseUrl + "/fhir", banner);
        foreach (var la in fixture.Loaded.Las)
        {
            // What the LA sees: the children of its return still in the hub's cohort (G2).
            var inCohort = await InCohortAsync(la.La);
            var withNhs = Return(la.La).Rows(Ssda903Tables.ChildIdentifiers).Count(r => inCohort.Contains(r["CHILD"]!));
            Assert.Contains($"(LA {la.La}, ICB {la.Icb}): {inCohort.Count} children, {withNhs} with NHS numbers", banner);
        }
        Assert.Matches(@"[1-9]\d* placed out of area", banner);
        Assert.Matches(@"care leavers? \(aged [\d, ]*19\b", banner);
        Assert.Matches(@"[1-9]\d* adopted \(sealed\)", banner);
        Assert.Equal(fixture.Returns.Values.SelectMany(r => r.ProviderRecords).Select(r => r.Team).Distinct().Order(), fixture.Loaded.Teams.Select(t => t.Team));
        foreach (var t in fixture.Loaded.Teams) Assert.Contains($"CLA health team {t.Team}: {t.Assessments} health assessments", banner);

        // The first asks for a dev token with the body shown.
        var body = Regex.Match(banner, @"-d '(\{[^']*\})'").Groups[1].Value;
        var token = await Hub.Http.PostAsync("auth/dev-token", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.True(token.IsSuccessStatusCode, await token.Content.ReadAsStringAsync());
        Assert.Equal(Somerset, JsonDocument.Parse(body).RootElement.GetProperty("org").GetString());

        // The second searches that LA's patients.
        Assert.Matches(@"curl -s -H ""Authorization: Bearer \$TOKEN"" '[^']*/fhir/Patient\?_count=5'", banner);

        // The last reads a Patient that exists, as that LA: the child placed out of area.
        var id = Regex.Match(banner, @"/fhir/Patient/([A-Za-z0-9\-\.]{1,64})").Groups[1].Value;
        Assert.Equal(fixture.Loaded.ExamplePatientId, id);
        var read = await (await Hub.AsAsync(Somerset, "la")).GetAsync($"fhir/Patient/{id}");
        Assert.True(read.Status == 200, read.ToString());
        Assert.Contains(read.As<Patient>().Identifier, i => i.System == LaChildId + Somerset && i.Value == Return(Somerset).Scenarios[Scenario.PlacedOutOfArea]);
    }

    [Fact]
    public async Task loading_the_demo_a_second_time_changes_nothing()
    {
        var la = await Hub.AsAsync(Somerset, "la");
        var before = await SearchAsync<Patient>(la, "fhir/Patient?_count=500");
        var encountersBefore = (await la.GetAsync("fhir/Encounter?_summary=count")).As<Bundle>().Total;

        var again = await DemoLoader.LoadAsync(Hub.App, Hub.BaseUrl);

        Assert.Equal(fixture.Loaded.ExamplePatientId, again.ExamplePatientId);
        Assert.All(again.Las, l => Assert.Equal((0, 0), (l.Created, l.Updated)));
        Assert.All(again.Las, l => Assert.True(l.Unchanged > 0));
        Assert.All(again.Teams, t => Assert.Equal(0, t.Created));
        Assert.Equal(fixture.Loaded.Las.Select(l => (l.Children, l.WithNhsNumber, l.LookedAfter, l.PlacedOutOfArea, l.Sealed, string.Join(",", l.CareLeaverAges))),
            again.Las.Select(l => (l.Children, l.WithNhsNumber, l.LookedAfter, l.PlacedOutOfArea, l.Sealed, string.Join(",", l.CareLeaverAges))));
        Assert.Equal(fixture.Loaded.Teams.Select(t => (t.Team, t.Assessments, t.Immunisations)), again.Teams.Select(t => (t.Team, t.Assessments, t.Immunisations)));

        var after = await SearchAsync<Patient>(la, "fhir/Patient?_count=500");
        Assert.Equal(before.Select(p => (p.Id, p.Meta.VersionId)).Order(), after.Select(p => (p.Id, p.Meta.VersionId)).Order());
        Assert.Equal(encountersBefore, (await la.GetAsync("fhir/Encounter?_summary=count")).As<Bundle>().Total);
        Assert.Equal("1", (await la.GetAsync($"fhir/Patient/{again.ExamplePatientId}")).As<Patient>().Meta.VersionId);
    }

    [Fact]
    public async Task the_returns_are_imported_as_each_LA_and_the_provider_records_written_as_each_team()
    {
        var admin = await Hub.AsAsync("carehub-admin", "admin");
        foreach (var la in new[] { Somerset, Lancashire })
        {
            var imports = await SearchAsync<AuditEvent>(admin, $"fhir/AuditEvent?agent={la}&subtype=%24import-ssda903&_count=500");
            Assert.NotEmpty(imports);
            Assert.All(imports, e => Assert.Equal((la, "demo", AuditEvent.AuditEventOutcome.N0), (e.Agent[0].Who.Identifier.Value, e.Agent[0].AltId, e.Outcome)));
        }
        foreach (var team in fixture.Loaded.Teams)
        {
            var creates = await SearchAsync<AuditEvent>(admin, $"fhir/AuditEvent?agent={team.Team}&subtype=create&_count=500");
            Assert.All(creates, e => Assert.Equal((team.Team, "demo", AuditEvent.AuditEventOutcome.N0), (e.Agent[0].Who.Identifier.Value, e.Agent[0].AltId, e.Outcome)));
            var written = creates.SelectMany(e => e.Entity).Select(x => x.What?.Reference?.Split('/')[0]).ToList();
            Assert.Equal(team.Assessments, written.Count(t => t == "Encounter"));
            Assert.Equal(team.Immunisations, written.Count(t => t == "Immunization"));
        }
    }
}

public sealed class SqliteDemoTests(SqliteDemoHubFixture f) : DemoTests(f), IClassFixture<SqliteDemoHubFixture>;
public sealed class PostgresDemoTests(PostgresDemoHubFixture f) : DemoTests(f), IClassFixture<PostgresDemoHubFixture>;
