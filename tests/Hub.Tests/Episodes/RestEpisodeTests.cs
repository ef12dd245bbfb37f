using Hl7.Fhir.Model;
using Hub.Api.Auth;
using Hub.Api.ReferenceData;
using Hub.Api.Ssda903;
using Hub.Mappers.Ssda903.Mapping;
using Hub.Tests.Http;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Hub.Tests.Episodes;

/// <summary>
/// Contract section 6 for updates: an LA that records a placement through `/fhir` between returns changes the child's
/// host ICB, Flags and notifications exactly as an import of that placement would. WireMock stands in for the host
/// ICB's endpoint.
/// </summary>
public abstract class RestEpisodeTests(string provider)
{
    const string Somerset = "933", Lancashire = "QE1";
    static string DaysAgo(int days) => DateTime.UtcNow.AddDays(-days).ToString("yyyy-MM-dd");

    async Task<(RunningHub Hub, WireMockServer Icb)> StartAsync()
    {
        var icb = WireMockServer.Start();
        icb.Given(Request.Create().WithPath("/Communication").UsingPost()).RespondWith(Response.Create().WithStatusCode(201));
        var hub = await RunningHub.StartAsync(provider, new Dictionary<string, string?>
        {
            ["Hub:ReferenceData:Path"] = TestReferenceData.WithEndpoint(Lancashire, icb.Url!),
            ["Hub:Notifications:RetrySeconds"] = "0.3",
            ["Hub:Notifications:MaxRetrySeconds"] = "2",
            ["Hub:Notifications:PublicBaseUrl"] = "https://hub.example.nhs.uk",
        });
        return (hub, icb);
    }

    const string EpisodesHeader = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\r\n";

    /// <summary>A hand-written 2025/26 Somerset return of one child, through the importer as the CLI runs it.</summary>
    static async Task<ImportResult> ImportAsync(RunningHub hub, string child, string episodes)
    {
        var folder = Directory.CreateTempSubdirectory("carehub-return-").FullName;
        File.WriteAllText(Path.Combine(folder, "header.csv"), $"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\r\n{child},F,04/05/2012,WBRI,UN3,,\r\n");
        File.WriteAllText(Path.Combine(folder, "episodes.csv"), EpisodesHeader + episodes);
        using var scope = hub.App.Services.CreateScope();
        var caller = new Caller(Somerset, OrgTypes.La, "social-worker", "direct-care", null, ["system/*.cruds"], "test");
        return await scope.ServiceProvider.GetRequiredService<Ssda903Importer>().ImportAsync(caller, Somerset, 2026, folder);
    }

    /// <summary>An episode as a case-management system records it: the placement's postcode district, no ICB (the hub finds it).</summary>
    static EpisodeOfCare Placement(string patientId, string child, string start, string district, string? id = null) => new()
    {
        Id = id,
        Identifier = [new Identifier(Cla.EpisodeIdSystem(Somerset), ChildMapper.EpisodeKey(child, start))],
        Status = EpisodeOfCare.EpisodeOfCareStatus.Active,
        Patient = new ResourceReference($"Patient/{patientId}"),
        ManagingOrganization = new ResourceReference($"Organization/{Somerset}"),
        Period = new Period { Start = start },
        Extension =
        [
            new Extension(Cla.Extension("cla-legal-status"), new Coding(Cla.Ssda903("legal-status"), "C2")),
            new Extension(Cla.Extension("cla-placement-postcode-district"), new FhirString(district)),
        ],
    };

    static async Task<List<Communication>> NotificationsAsync(FhirCall caller)
    {
        var answer = await caller.GetAsync($"fhir/Communication?recipient=Organization/{Lancashire}");
        Assert.True(answer.Status == 200, answer.ToString());
        return answer.As<Bundle>().Entry.Select(e => e.Resource).OfType<Communication>().ToList();
    }

    static async Task<List<Communication>> DeliveredAsync(FhirCall la, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var found = await NotificationsAsync(la);
            if (found.Count == count && found.All(c => c.Status == EventStatus.Completed)) return found;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"notifications did not settle: {string.Join(", ", found.Select(c => c.Status))}");
            await System.Threading.Tasks.Task.Delay(200);
        }
    }

    static async Task<Flag.FlagStatus?> FlagAsync(FhirCall la, string patientId, string code) =>
        (await la.GetAsync($"fhir/Flag?patient={patientId}")).As<Bundle>().Entry.Select(e => (Flag)e.Resource)
            .FirstOrDefault(f => f.Code.Coding.Any(c => c.Code == code))?.Status;

    static int Posts(WireMockServer icb) => icb.LogEntries.Count(e => e.RequestMessage.Path == "/Communication");

    [Fact]
    public async System.Threading.Tasks.Task an_la_placing_its_child_in_another_icb_through_rest_opens_the_child_to_that_icb_and_notifies_it_once()
    {
        var (hub, icb) = await StartAsync();
        await using var _ = hub;
        using var __ = icb;
        var child = "R" + Random.Shared.Next(100000, 999999);
        var imported = await ImportAsync(hub, child, $"{child},01/06/2025,S,C2,N1,U6,PR1,,,,TA1 2AB,TA1 4XX,SC123456\r\n");
        Assert.True(imported is { Committed: true, Quarantined: 0 }, imported.Counts);

        var la = await hub.AsAsync(Somerset, "la");
        var host = await hub.AsAsync(Lancashire, "icb");
        var patient = (await la.GetAsync($"fhir/Patient?identifier={Cla.ChildIdSystem(Somerset)}|{child}")).As<Bundle>().Entry.Single().Resource;
        Assert.Equal(404, (await host.GetAsync($"fhir/Patient/{patient.Id}")).Status);
        Assert.Equal(Flag.FlagStatus.Inactive, await FlagAsync(la, patient.Id, Cla.Flags.PlacedOutOfArea) ?? Flag.FlagStatus.Inactive);

        // The LA moves the child to Lancashire: the Somerset episode ends, a new one begins, in one transaction.
        var somerset = (EpisodeOfCare)(await la.GetAsync($"fhir/EpisodeOfCare?patient={patient.Id}")).As<Bundle>().Entry.Single().Resource;
        somerset.Status = EpisodeOfCare.EpisodeOfCareStatus.Finished;
        somerset.Period.End = "2026-01-10";
        var lancashire = Placement(patient.Id, child, "2026-01-10", "LA1", id: Guid.NewGuid().ToString());
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new Bundle.EntryComponent { Resource = somerset, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"EpisodeOfCare/{somerset.Id}" } },
                new Bundle.EntryComponent { Resource = lancashire, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"EpisodeOfCare/{lancashire.Id}" } },
            ],
        };
        var moved = await la.PostAsync("fhir", bundle);
        Assert.True(moved.Status == 200, moved.ToString());

        Assert.Equal(200, (await host.GetAsync($"fhir/Patient/{patient.Id}")).Status);
        var summary = await host.GetAsync($"fhir/Patient/{patient.Id}/$summary");
        Assert.True(summary.Status == 200, summary.ToString());
        Assert.Equal(Flag.FlagStatus.Active, await FlagAsync(la, patient.Id, Cla.Flags.PlacedOutOfArea));
        var notified = Assert.Single(await DeliveredAsync(la, 1));
        Assert.Equal($"{Somerset}/{child}/2026-01-10/{Lancashire}", notified.Identifier[0].Value);
        Assert.Equal($"EpisodeOfCare/{lancashire.Id}", notified.About[0].Reference);
        Assert.Single(await NotificationsAsync(host));

        // The same episode again: the placement was notified already.
        var again = await la.PutAsync($"fhir/EpisodeOfCare/{lancashire.Id}", Placement(patient.Id, child, "2026-01-10", "LA1", id: lancashire.Id));
        Assert.True(again.Status == 200, again.ToString());
        await System.Threading.Tasks.Task.Delay(1500);
        Assert.Equal(1, Posts(icb));

        // The next return says the same: the import agrees, and notifies nobody again.
        var next = await ImportAsync(hub, child,
            $"{child},01/06/2025,S,C2,N1,U6,PR1,10/01/2026,X1,CARPL,TA1 2AB,TA1 4XX,SC123456\r\n" +
            $"{child},10/01/2026,P,C2,N1,U6,PR1,,,,TA1 2AB,LA1 4XX,SC123456\r\n");
        Assert.True(next is { Committed: true, Quarantined: 0 }, next.Counts + " " + string.Join("; ", next.Issues.Select(i => i.Text)));
        Assert.Equal(2, (await la.GetAsync($"fhir/EpisodeOfCare?patient={patient.Id}")).As<Bundle>().Entry.Count);
        await System.Threading.Tasks.Task.Delay(1500);
        Assert.Equal(1, Posts(icb));
        Assert.Single(await NotificationsAsync(la));
        Assert.Equal(Flag.FlagStatus.Active, await FlagAsync(la, patient.Id, Cla.Flags.PlacedOutOfArea));
        Assert.Equal(200, (await host.GetAsync($"fhir/Patient/{patient.Id}")).Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task ending_a_placement_through_rest_leaves_the_host_icb_its_90_days_and_deleting_one_takes_it_away()
    {
        var (hub, icb) = await StartAsync();
        await using var _ = hub;
        using var __ = icb;
        var la = await hub.AsAsync(Somerset, "la");
        var host = await hub.AsAsync(Lancashire, "icb");
        var created = await la.PostAsync("fhir/Patient", Children.Patient(Somerset));
        Assert.True(created.Status == 201, created.ToString());
        var patient = created.As<Patient>();
        var child = Children.ChildIdOf(patient);

        // A placement is the LA's to record: a provider or GP that could write one would move the child's host ICB.
        foreach (var (org, type) in new[] { ("RH5", "provider"), ("L85001", "gp") })
        {
            var refused = await (await hub.AsAsync(org, type)).PostAsync("fhir/EpisodeOfCare", Placement(patient.Id, child, DaysAgo(200), "LA1"));
            Assert.True(refused.Status == 403, $"{type}: {refused}");
        }
        Assert.Equal(404, (await host.GetAsync($"fhir/Patient/{patient.Id}")).Status);

        var posted = await la.PostAsync("fhir/EpisodeOfCare", Placement(patient.Id, child, DaysAgo(200), "LA1"));
        Assert.True(posted.Status == 201, posted.ToString());
        var episode = posted.As<EpisodeOfCare>();
        Assert.Equal(200, (await host.GetAsync($"fhir/Patient/{patient.Id}")).Status);
        await DeliveredAsync(la, 1);

        // Ended ten days ago: no longer placed out of area, but the host ICB keeps the child for 90 days.
        episode.Status = EpisodeOfCare.EpisodeOfCareStatus.Finished;
        episode.Period.End = DaysAgo(10);
        Assert.Equal(200, (await la.PutAsync($"fhir/EpisodeOfCare/{episode.Id}", episode)).Status);
        Assert.Equal(Flag.FlagStatus.Inactive, await FlagAsync(la, patient.Id, Cla.Flags.PlacedOutOfArea));
        Assert.Equal(Flag.FlagStatus.Inactive, await FlagAsync(la, patient.Id, Cla.Flags.LookedAfter));
        Assert.Equal(200, (await host.GetAsync($"fhir/Patient/{patient.Id}")).Status);

        // Ended a hundred days ago: the grace is over.
        episode.Period.End = DaysAgo(100);
        Assert.Equal(200, (await la.PutAsync($"fhir/EpisodeOfCare/{episode.Id}", episode)).Status);
        Assert.Equal(404, (await host.GetAsync($"fhir/Patient/{patient.Id}")).Status);

        // A new placement there is a new notification; deleting it (recorded in error) takes the access away again.
        var back = await la.PostAsync("fhir/EpisodeOfCare", Placement(patient.Id, child, DaysAgo(5), "LA1"));
        Assert.True(back.Status == 201, back.ToString());
        Assert.Equal(200, (await host.GetAsync($"fhir/Patient/{patient.Id}")).Status);
        await DeliveredAsync(la, 2);
        Assert.Equal(204, (await la.DeleteAsync($"fhir/EpisodeOfCare/{back.As<EpisodeOfCare>().Id}")).Status);
        Assert.Equal(404, (await host.GetAsync($"fhir/Patient/{patient.Id}")).Status);
        Assert.Equal(Flag.FlagStatus.Inactive, await FlagAsync(la, patient.Id, Cla.Flags.PlacedOutOfArea));
        Assert.Equal(2, Posts(icb));
    }
}

public sealed class SqliteRestEpisodeTests() : RestEpisodeTests("Sqlite");
public sealed class PostgresRestEpisodeTests() : RestEpisodeTests("Postgres");
