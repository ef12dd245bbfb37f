using Hl7.Fhir.Model;
using Hub.Api.Auth;
using Hub.Api.Demo;
using Hub.Api.Fhir;
using Hub.Api.ReferenceData;
using Hub.Api.Ssda903;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Generation;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Hub.Tests.Notifications;

/// <summary>
/// Contract section 6: an import that places a child in another ICB's area sends that ICB one Communication, by a
/// background job that retries while the ICB's endpoint fails and gives up after the time allowed. The ICB's endpoint
/// is not CareHub, so WireMock stands in for it.
/// </summary>
public abstract class PlacementNotificationTests(string provider)
{
    const string Somerset = "933", Lancashire = "QE1";

    async Task<RunningHub> HubAsync(WireMockServer icb, double giveUpAfterSeconds = 3600) => await RunningHub.StartAsync(provider, Settings(icb, giveUpAfterSeconds));

    static Dictionary<string, string?> Settings(WireMockServer icb, double giveUpAfterSeconds = 3600) => new()
    {
        ["Hub:ReferenceData:Path"] = TestReferenceData.WithEndpoint(Lancashire, icb.Url!),
        ["Hub:Notifications:RetrySeconds"] = "0.3",
        ["Hub:Notifications:MaxRetrySeconds"] = "2", // a loaded test run's failed attempts must not push the next one past the wait
        ["Hub:Notifications:GiveUpAfterSeconds"] = giveUpAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Hub:Notifications:PublicBaseUrl"] = "https://hub.example.nhs.uk",
    };

    /// <summary>A generated Somerset return of its three fixed scenarios: placed out of area (in Lancashire), a care leaver, adopted.</summary>
    static async Task<ImportResult> ImportAsync(RunningHub hub, int seed = 5)
    {
        var codes = CodeLists.Load(Path.Combine(AppContext.BaseDirectory, "fhir-profiles"));
        var areas = GenerationAreas.For(ReferenceDataOptions.BuiltIn, Somerset);
        var generated = ReturnGenerator.Generate(Somerset, 2026, 3, seed, codes, areas.Home, areas.Away, areas.HealthTeams);
        var folder = Directory.CreateTempSubdirectory("carehub-return-").FullName;
        generated.WriteCsv(folder);
        using var scope = hub.App.Services.CreateScope();
        var caller = new Caller(Somerset, OrgTypes.La, "social-worker", "direct-care", null, ["system/*.cruds"], "test");
        return await scope.ServiceProvider.GetRequiredService<Ssda903Importer>().ImportAsync(caller, Somerset, 2026, folder);
    }

    static async Task<List<Communication>> NotificationsAsync(RunningHub hub, string asOrg, string asType)
    {
        var answer = await (await hub.AsAsync(asOrg, asType)).GetAsync($"fhir/Communication?recipient=Organization/{Lancashire}");
        Assert.True(answer.Status == 200, answer.ToString());
        return answer.As<Bundle>().Entry.Select(e => e.Resource).OfType<Communication>().ToList();
    }

    static async Task<Communication> SettledAsync(RunningHub hub, Func<Communication, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var found = await NotificationsAsync(hub, Somerset, "la");
            if (found.Count > 0 && found.All(done)) return Assert.Single(found);
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"notifications did not settle: {string.Join(", ", found.Select(c => c.Status))}");
            await System.Threading.Tasks.Task.Delay(200);
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task a_child_placed_in_another_icb_is_notified_once_and_the_notification_shows_delivered()
    {
        using var icb = WireMockServer.Start();
        icb.Given(Request.Create().WithPath("/Communication").UsingPost()).RespondWith(Response.Create().WithStatusCode(201));
        await using var hub = await HubAsync(icb);

        var first = await ImportAsync(hub);
        Assert.True(first.Committed, first.Counts);
        var delivered = await SettledAsync(hub, c => c.Status == EventStatus.Completed);
        Assert.NotNull(delivered.Sent);

        var posts = icb.LogEntries.Where(e => e.RequestMessage.Path == "/Communication").ToList();
        var body = (Communication)FhirFormat.ParseJson(Assert.Single(posts).RequestMessage.Body!);
        Assert.Equal("placement-out-of-area", body.Category[0].Coding[0].Code);
        Assert.StartsWith($"{Somerset}/", body.Identifier[0].Value);
        Assert.EndsWith($"/{Lancashire}", body.Identifier[0].Value);
        Assert.StartsWith("https://hub.example.nhs.uk/fhir/Patient/", body.Subject.Reference);
        Assert.Contains(body.Payload, p => p.Content is FhirString s && s.Value.Contains("$summary", StringComparison.Ordinal));
        Assert.Equal($"https://hub.example.nhs.uk/fhir/Organization/{Lancashire}", body.Recipient[0].Reference);

        // The host ICB sees it too; an ICB it is not addressed to, and with no child there, does not.
        Assert.Single(await NotificationsAsync(hub, Lancashire, "icb"));
        Assert.Empty(await NotificationsAsync(hub, "QXX", "icb"));

        // The same return again: the placement was notified already.
        var again = await ImportAsync(hub);
        Assert.Equal(0, again.Created);
        await System.Threading.Tasks.Task.Delay(1500);
        Assert.Single(icb.LogEntries, e => e.RequestMessage.Path == "/Communication");
        Assert.Single(await NotificationsAsync(hub, Somerset, "la"));
    }

    [Fact]
    public async System.Threading.Tasks.Task a_hub_started_beside_another_runs_its_jobs_in_its_own_services()
    {
        using var icb = WireMockServer.Start();
        icb.Given(Request.Create().WithPath("/Communication").UsingPost()).RespondWith(Response.Create().WithStatusCode(201));
        // The second hub is initialised before the first one starts, as happens when test classes run side by side:
        // the first hub's jobs must still run against its own services and database, never the other's.
        var hubs = await RunningHub.StartInterleavedAsync(2, provider, Settings(icb));
        await using var hub = hubs[0];
        await using var other = hubs[1];

        Assert.True((await ImportAsync(hub)).Committed);
        await SettledAsync(hub, c => c.Status == EventStatus.Completed);
        Assert.Single(icb.LogEntries, e => e.RequestMessage.Path == "/Communication");
    }

    [Fact]
    public async System.Threading.Tasks.Task sweeps_running_at_once_post_a_notification_only_once()
    {
        using var icb = WireMockServer.Start();
        // A slow endpoint, so the sweeps overlap while the first post is still in flight.
        icb.Given(Request.Create().WithPath("/Communication").UsingPost()).RespondWith(Response.Create().WithStatusCode(201).WithDelay(700));
        await using var hub = await HubAsync(icb);

        Assert.True((await ImportAsync(hub)).Committed);
        // The import's own sweep is on its way through Hangfire; three more start here, each in its own scope as jobs do.
        await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
        {
            using var scope = hub.App.Services.CreateScope();
            await scope.ServiceProvider.GetRequiredService<Hub.Api.Notifications.PlacementNotifier>().SweepAsync(CancellationToken.None);
        }));
        await SettledAsync(hub, c => c.Status == EventStatus.Completed);
        await System.Threading.Tasks.Task.Delay(1000);
        Assert.Single(icb.LogEntries, e => e.RequestMessage.Path == "/Communication");
    }

    [Fact]
    public async System.Threading.Tasks.Task delivery_is_retried_while_the_endpoint_fails_then_completes()
    {
        using var icb = WireMockServer.Start();
        icb.Given(Request.Create().WithPath("/Communication").UsingPost()).InScenario("flaky").WillSetStateTo("failed once")
            .RespondWith(Response.Create().WithStatusCode(503));
        icb.Given(Request.Create().WithPath("/Communication").UsingPost()).InScenario("flaky").WhenStateIs("failed once").WillSetStateTo("failed twice")
            .RespondWith(Response.Create().WithStatusCode(500));
        icb.Given(Request.Create().WithPath("/Communication").UsingPost()).InScenario("flaky").WhenStateIs("failed twice")
            .RespondWith(Response.Create().WithStatusCode(201));
        await using var hub = await HubAsync(icb);

        Assert.True((await ImportAsync(hub)).Committed);
        await SettledAsync(hub, c => c.Status == EventStatus.Completed);
        Assert.Equal(3, icb.LogEntries.Count(e => e.RequestMessage.Path == "/Communication"));
    }

    [Fact]
    public async System.Threading.Tasks.Task a_notification_never_delivered_is_stopped_after_the_time_allowed()
    {
        using var icb = WireMockServer.Start();
        icb.Given(Request.Create().WithPath("/Communication").UsingPost()).RespondWith(Response.Create().WithStatusCode(503));
        await using var hub = await HubAsync(icb, giveUpAfterSeconds: 3);

        Assert.True((await ImportAsync(hub)).Committed);
        var stopped = await SettledAsync(hub, c => c.Status == EventStatus.Stopped);
        Assert.Null(stopped.Sent);
        // Tried at least once (on a loaded machine the first try may already come after the time allowed).
        Assert.Contains(icb.LogEntries, e => e.RequestMessage.Path == "/Communication");
    }
}

public sealed class SqlitePlacementNotificationTests() : PlacementNotificationTests("Sqlite");
public sealed class PostgresPlacementNotificationTests() : PlacementNotificationTests("Postgres");
