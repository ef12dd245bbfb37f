using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hub.Api.Auth;
using Hub.Api.Fhir;
using Hub.Api.Peers;
using Hub.Api.ReferenceData;
using Hub.Api.Ssda903;
using Hub.Api.Storage;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Generation;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Hub.Tests.Peers;

/// <summary>
/// Issue 4 §4: two real CareHubs on loopback, each with its own database. Hub A (Somerset's LA) places a child in
/// Lancashire (ICB QE1), whose notifications go to hub B; A signs in at B to deliver, B signs in at A and fetches the
/// child's summary on behalf of QE1, and keeps it for QE1's clinicians. Each hub is the other's registered client
/// (org_type hub) and configured peer.
/// </summary>
public abstract class TwoHubsTests(string provider)
{
    const string Somerset = "933", Lancashire = "QE1", SomersetIcb = "QSL", LancashireTeam = "RXN";
    const string HubA = "carehub-a", HubB = "carehub-b";

    sealed record Pair(RunningHub A, RunningHub B) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await B.DisposeAsync();
            await A.DisposeAsync();
        }
    }

    static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>An RSA key as the PEM a hub signs with, and its public JWK as the other hub registers it.</summary>
    static (string PemPath, string Jwk) NewKey(string folder, string name)
    {
        using var rsa = RSA.Create(2048);
        var path = Path.Combine(folder, name + ".pem");
        File.WriteAllText(path, rsa.ExportPkcs8PrivateKeyPem());
        var p = rsa.ExportParameters(false);
        return (path, JsonSerializer.Serialize(new { kty = "RSA", n = Base64UrlEncoder.Encode(p.Modulus), e = Base64UrlEncoder.Encode(p.Exponent) }));
    }

    /// <summary>Settings of a hub that knows the other as client and as peer.</summary>
    static Dictionary<string, string?> Settings(string self, int port, string key, string other, int otherPort, string otherJwk) => new()
    {
        ["urls"] = $"http://127.0.0.1:{port}",
        ["Hub:Auth:SigningKey"] = key,
        ["Hub:Auth:Clients:0:ClientId"] = other,
        ["Hub:Auth:Clients:0:Org"] = other,
        ["Hub:Auth:Clients:0:OrgType"] = "hub",
        ["Hub:Auth:Clients:0:Scopes"] = "system/*.rs system/Communication.c",
        ["Hub:Auth:Clients:0:Jwk"] = otherJwk,
        ["Hub:Peers:0:Name"] = other,
        ["Hub:Peers:0:BaseUrl"] = $"http://127.0.0.1:{otherPort}",
        ["Hub:Peers:0:ClientId"] = self,
        ["Hub:Notifications:PublicBaseUrl"] = $"http://127.0.0.1:{port}",
        ["Hub:Notifications:RetrySeconds"] = "0.3",
        ["Hub:Notifications:MaxRetrySeconds"] = "2",
        ["Hub:KeptSummaries:RetrySeconds"] = "0.3",
        ["Hub:KeptSummaries:MaxRetrySeconds"] = "2",
        ["Logging:LogLevel:Hub.Api.Peers"] = "Information",
        ["Logging:LogLevel:Hub.Api.Notifications"] = "Information",
    };

    async Task<Pair> StartAsync()
    {
        var keys = Directory.CreateTempSubdirectory("carehub-keys-").FullName;
        var (keyA, jwkA) = NewKey(keys, "a");
        var (keyB, jwkB) = NewKey(keys, "b");
        int portA = FreePort(), portB = FreePort();
        var b = await RunningHub.StartAsync(provider, Settings(HubB, portB, keyB, HubA, portA, jwkA));
        var settingsA = Settings(HubA, portA, keyA, HubB, portB, jwkB);
        settingsA["Hub:ReferenceData:Path"] = TestReferenceData.WithEndpoint(Lancashire, $"http://127.0.0.1:{portB}/fhir");
        var a = await RunningHub.StartAsync(provider, settingsA);
        return new Pair(a, b);
    }

    /// <summary>A generated Somerset return of its three fixed scenarios; the first is placed in Lancashire.</summary>
    static async Task<ImportResult> ImportAsync(RunningHub hub)
    {
        var codes = CodeLists.Load(Path.Combine(AppContext.BaseDirectory, "fhir-profiles"));
        var areas = GenerationAreas.For(ReferenceDataOptions.BuiltIn, Somerset);
        var generated = ReturnGenerator.Generate(Somerset, 2026, 3, 5, codes, areas.Home, areas.Away, areas.HealthTeams);
        var folder = Directory.CreateTempSubdirectory("carehub-return-").FullName;
        generated.WriteCsv(folder);
        using var scope = hub.App.Services.CreateScope();
        var caller = new Caller(Somerset, OrgTypes.La, "social-worker", "direct-care", null, ["system/*.cruds"], "test");
        return await scope.ServiceProvider.GetRequiredService<Ssda903Importer>().ImportAsync(caller, Somerset, 2026, folder);
    }

    static async Task<List<Communication>> NotificationsAsync(RunningHub hub, string asOrg, string asType, string? role = null)
    {
        var answer = await (await hub.AsAsync(asOrg, asType, role)).GetAsync($"fhir/Communication?recipient=Organization/{Lancashire}");
        Assert.True(answer.Status == 200, answer.ToString());
        return answer.As<Bundle>().Entry.Select(e => e.Resource).OfType<Communication>().ToList();
    }

    static async Task<Communication> SettledAsync(RunningHub hub, string asOrg, string asType, Func<Communication, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var found = await NotificationsAsync(hub, asOrg, asType);
            if (found.Count > 0 && found.All(done)) return Assert.Single(found);
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"notifications did not settle: {string.Join(", ", found.Select(c => $"{c.Status} {c.StatusReason?.Text}"))}");
            await System.Threading.Tasks.Task.Delay(200);
        }
    }

    /// <summary>A FhirCall to <paramref name="to"/> as the hub <paramref name="from"/>, signed in through its PeerSignIn.</summary>
    static async Task<(FhirCall Call, PeerSignIn SignIn, Peer Peer)> AsPeerAsync(RunningHub from, RunningHub to, string toName)
    {
        var signIn = from.App.Services.GetRequiredService<PeerSignIn>();
        var peer = from.App.Services.GetRequiredService<PeerDirectory>().Named(toName)!;
        return (new FhirCall(to.Http, await signIn.AccessTokenAsync(peer, CancellationToken.None)), signIn, peer);
    }

    /// <summary>The notification as hub A sends it: its references made absolute to A.</summary>
    static async Task<Communication> AsSentAsync(RunningHub a)
    {
        var stored = Assert.Single(await NotificationsAsync(a, Somerset, "la"));
        var sent = (Communication)stored.DeepCopy();
        sent.Id = null;
        sent.Meta = new Meta { Profile = stored.Meta.Profile };
        sent.Status = EventStatus.InProgress;
        sent.Sent = null;
        foreach (var r in new[] { sent.Subject, sent.Sender }.Concat(sent.About).Concat(sent.Recipient))
            r.Reference = $"{a.FhirBase}/{r.Reference}";
        return sent;
    }

    [Fact]
    public async System.Threading.Tasks.Task a_notified_hub_fetches_and_keeps_the_summary_for_the_host_icb_and_no_one_else()
    {
        await using var hubs = await StartAsync();
        var (a, b) = (hubs.A, hubs.B);
        Assert.True((await ImportAsync(a)).Committed);

        // A delivered (signed in at B); B fetched the summary from A and keeps it.
        await SettledAsync(a, Somerset, "la", c => c.Status == EventStatus.Completed);
        var received = await SettledAsync(b, Lancashire, "icb", c => c.Status is EventStatus.Completed or EventStatus.Stopped);
        Assert.True(received.Status == EventStatus.Completed, received.StatusReason?.Text);
        var childOnA = Assert.Single(await NotificationsAsync(a, Somerset, "la")).Subject.Reference;
        Assert.Equal($"{a.FhirBase}/{childOnA}", received.Meta.Source);
        var keptRef = received.Payload.Select(p => p.Content).OfType<ResourceReference>().Single().Reference;
        Assert.StartsWith("Bundle/", keptRef);

        // The host ICB reads the kept summary on B, and so does a provider it commissions.
        var asIcb = await (await b.AsAsync(Lancashire, "icb")).GetAsync($"fhir/{keptRef}");
        Assert.True(asIcb.Status == 200, asIcb.ToString());
        var kept = asIcb.As<Bundle>();
        Assert.Equal(Bundle.BundleType.Document, kept.Type);
        Assert.IsType<Composition>(kept.Entry[0].Resource);
        var child = kept.Entry.Select(e => e.Resource).OfType<Patient>().Single();
        Assert.Equal(received.Subject.Identifier?.Value, child.Identifier.FirstOrDefault(i => i.System == PatientFacts.NhsNumberSystem)?.Value);
        Assert.Equal(200, (await (await b.AsAsync(LancashireTeam, "provider")).GetAsync($"fhir/{keptRef}")).Status);

        // Asking B for the child's $summary (by NHS number, as a clinician there would) gives the document A wrote,
        // not one built from B's stub; someone B does not release it to gets what a child B does not hold gets.
        var nhs = received.Subject.Identifier!.Value;
        var byNhs = await (await b.AsAsync(Lancashire, "icb")).GetAsync($"fhir/Patient/$summary?identifier={PatientFacts.NhsNumberSystem}|{nhs}");
        Assert.True(byNhs.Status == 200, byNhs.ToString());
        Assert.Equal(kept.Entry[0].Resource.Id, byNhs.As<Bundle>().Entry[0].Resource.Id);
        Assert.Equal(404, (await (await b.AsAsync("QXX", "icb")).GetAsync($"fhir/Patient/$summary?identifier={PatientFacts.NhsNumberSystem}|{nhs}")).Status);

        // Anyone else: not found, exactly as for a summary B does not have; the child's other ICBs and its LA ask hub A.
        // (The responsible ICB's designated professional may see the child, on A, but not as the host ICB sees it.)
        foreach (var (org, type, role, purpose) in new[] { ("QXX", "icb", null, "direct-care"), (SomersetIcb, "icb", "designated-professional", "statutory-health-assessment"),
                     (Somerset, "la", "social-worker", "direct-care"), ("X99999", "gp", null, "direct-care") })
        {
            var other = await (await b.AsAsync(org, type, role, purpose)).GetAsync($"fhir/{keptRef}");
            Assert.True(other.Status == 404, $"{type} {org}: {other}");
        }
        Assert.Equal(404, (await (await b.AsAsync("QXX", "icb")).GetAsync($"fhir/{received.Subject.Reference}")).Status);
        Assert.Empty(await NotificationsAsync(b, "QXX", "icb"));

        // A audited the summary it gave: decided on QE1 (the carried caller), with hub B beside it.
        var audits = await (await a.AsAsync("admin", "admin")).GetAsync("fhir/AuditEvent?subtype=%24summary&_count=50");
        Assert.True(audits.Status == 200, audits.ToString());
        var served = audits.As<Bundle>().Entry.Select(e => e.Resource).OfType<AuditEvent>()
            .Where(e => e.Outcome == AuditEvent.AuditEventOutcome.N0).ToList();
        var viaHub = Assert.Single(served, e => e.Agent.Any(g => g.AltId == HubB));
        Assert.Equal(Lancashire, viaHub.Agent.Single(g => g.Requestor == true).Who.Identifier.Value);
        Assert.Equal("hub", viaHub.Agent.Single(g => g.Requestor != true).Type.Coding[0].Code);

        // The same notification again (a retried delivery): nothing changes on B.
        var (asA, _, _) = await AsPeerAsync(a, b, HubB);
        var again = await asA.PostAsync("fhir/Communication", await AsSentAsync(a));
        Assert.True(again.Status == 200, again.ToString());
        var still = Assert.Single(await NotificationsAsync(b, Lancashire, "icb"));
        Assert.Equal(received.Meta.VersionId, still.Meta.VersionId);
    }

    [Fact]
    public async System.Threading.Tasks.Task a_hub_without_a_valid_on_behalf_of_caller_sees_no_patient_data()
    {
        await using var hubs = await StartAsync();
        var (a, b) = (hubs.A, hubs.B);
        Assert.True((await ImportAsync(a)).Committed);
        var childOnA = Assert.Single(await NotificationsAsync(a, Somerset, "la")).Subject.Reference;
        var (asB, signIn, peerA) = await AsPeerAsync(b, a, HubA);
        var summary = $"fhir/{childOnA}/$summary";

        // The hub on its own is no one to the child: not found, as for a child A does not hold.
        Assert.Equal(404, (await asB.GetAsync(summary)).Status);
        Assert.Equal(404, (await asB.GetAsync($"fhir/{childOnA}")).Status);

        // The host ICB carried by B: decided on its claims.
        var onBehalf = signIn.OnBehalfOf(peerA, new Caller(Lancashire, OrgTypes.Icb, null, "direct-care", null, [], null));
        var granted = await asB.GetAsync(summary, new Dictionary<string, string> { [OnBehalfOf.Header] = onBehalf });
        Assert.True(granted.Status == 200, granted.ToString());
        // An ICB with no relationship, carried just as properly: not found.
        var unrelated = signIn.OnBehalfOf(peerA, new Caller("QXX", OrgTypes.Icb, null, "direct-care", null, [], null));
        Assert.Equal(404, (await asB.GetAsync(summary, new Dictionary<string, string> { [OnBehalfOf.Header] = unrelated })).Status);

        // Claims signed with a key A has not registered for B, or no JWT at all: refused, and audited.
        var strangerKey = new RsaSecurityKey(RSA.Create(2048));
        var forged = PeerSignIn.OnBehalfOfToken(peerA with { Credentials = new SigningCredentials(strangerKey, SecurityAlgorithms.RsaSha384) },
            new Caller(Lancashire, OrgTypes.Icb, null, "direct-care", null, [], null), DateTimeOffset.UtcNow);
        var refused = await asB.GetAsync(summary, new Dictionary<string, string> { [OnBehalfOf.Header] = forged });
        Assert.True(refused.Status == 403, refused.ToString());
        Assert.Contains("signature", refused.Diagnostics);
        Assert.Equal(403, (await asB.GetAsync(summary, new Dictionary<string, string> { [OnBehalfOf.Header] = "not-a-jwt" })).Status);
        // Claims for another hub (aud), or for a caller that is itself a hub: refused.
        var elsewhere = PeerSignIn.OnBehalfOfToken(peerA with { Config = new PeerHub { Name = HubA, BaseUrl = "http://127.0.0.1:1", ClientId = HubB } },
            new Caller(Lancashire, OrgTypes.Icb, null, "direct-care", null, [], null), DateTimeOffset.UtcNow);
        Assert.Equal(403, (await asB.GetAsync(summary, new Dictionary<string, string> { [OnBehalfOf.Header] = elsewhere })).Status);

        var audits = await (await a.AsAsync("admin", "admin")).GetAsync("fhir/AuditEvent?outcome=4&_count=100");
        Assert.Contains(audits.As<Bundle>().Entry.Select(e => e.Resource).OfType<AuditEvent>(),
            e => e.OutcomeDesc?.Contains(OnBehalfOf.Header + " refused", StringComparison.Ordinal) == true && e.Agent[0].AltId == HubB);
    }

    [Fact]
    public async System.Threading.Tasks.Task a_notification_naming_a_hub_that_is_not_a_peer_is_refused_and_nothing_is_fetched()
    {
        using var stranger = WireMockServer.Start();
        stranger.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200));
        await using var hubs = await StartAsync();
        var (a, b) = (hubs.A, hubs.B);
        Assert.True((await ImportAsync(a)).Committed);
        await SettledAsync(b, Lancashire, "icb", c => c.Status is EventStatus.Completed or EventStatus.Stopped);

        var (asA, _, _) = await AsPeerAsync(a, b, HubB);
        var forged = await AsSentAsync(a);
        forged.Identifier[0].Value += "-elsewhere";
        forged.Subject.Reference = $"{stranger.Url}/fhir/{forged.Subject.Reference!.Split("/fhir/")[1]}";
        var answer = await asA.PostAsync("fhir/Communication", forged);
        Assert.True(answer.Status == 422, answer.ToString());
        await System.Threading.Tasks.Task.Delay(1000);
        Assert.Empty(stranger.LogEntries);
        Assert.Single(await NotificationsAsync(b, Lancashire, "icb"));

        // A hub token from no configured peer may not send notifications at all.
        var rogue = await (await b.AsAsync("rogue-hub", "hub")).PostAsync("fhir/Communication", await AsSentAsync(a));
        Assert.Equal(403, rogue.Status);
        // And a hub may send nothing but placement notifications.
        var other = await AsSentAsync(a);
        other.Category = [new CodeableConcept("http://example.org", "chat")];
        Assert.Equal(422, (await asA.PostAsync("fhir/Communication", other)).Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task a_summary_the_sending_hub_cannot_give_is_retried_then_stopped_and_the_notification_says_so()
    {
        var keys = Directory.CreateTempSubdirectory("carehub-keys-").FullName;
        var (keyA, jwkA) = NewKey(keys, "a");
        var (keyB, _) = NewKey(keys, "b");
        int portA = FreePort(), portB = FreePort(); // nothing will listen on A's port
        var settings = Settings(HubB, portB, keyB, HubA, portA, jwkA);
        settings["Hub:KeptSummaries:GiveUpAfterSeconds"] = "3";
        await using var b = await RunningHub.StartAsync(provider, settings);

        // Signed in at B as hub A would be, with A's key.
        var a = new Peer(new PeerHub { Name = HubB, BaseUrl = b.BaseUrl, ClientId = HubA }, PeerKeys.Load(keyA));
        using var tokenResponse = await b.Http.PostAsync("auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["scope"] = "system/Communication.c",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = PeerSignIn.ClientAssertion(a, DateTimeOffset.UtcNow),
        }));
        var tokenBody = await tokenResponse.Content.ReadAsStringAsync();
        Assert.True(tokenResponse.IsSuccessStatusCode, tokenBody);
        var asA = new FhirCall(b.Http, JsonDocument.Parse(tokenBody).RootElement.GetProperty("access_token").GetString());

        var aFhir = $"http://127.0.0.1:{portA}/fhir";
        var notice = new Hub.Api.Notifications.PlacementNotice(Somerset, "Somerset Council", "C1", "child-1", null, "episode-1",
            new DateOnly(2026, 9, 1), Lancashire, "NHS Lancashire and South Cumbria Integrated Care Board");
        var sent = notice.ToCommunication(aFhir[..^5]);
        foreach (var r in new[] { sent.Subject, sent.Sender }.Concat(sent.About).Concat(sent.Recipient)) r.Reference = $"{aFhir}/{r.Reference}";
        var posted = await asA.PostAsync("fhir/Communication", sent);
        Assert.True(posted.Status == 201, posted.ToString());
        Assert.Equal(EventStatus.InProgress, Assert.Single(await NotificationsAsync(b, Lancashire, "icb")).Status);

        var stopped = await SettledAsync(b, Lancashire, "icb", c => c.Status != EventStatus.InProgress);
        Assert.Equal(EventStatus.Stopped, stopped.Status);
        Assert.Equal("not fetched within the time allowed", stopped.StatusReason?.Text);
        Assert.DoesNotContain(stopped.Payload, p => p.Content is ResourceReference);
    }
}

public sealed class PostgresTwoHubsTests() : TwoHubsTests("Postgres");
public sealed class SqliteTwoHubsTests() : TwoHubsTests("Sqlite");

/// <summary>Which URLs belong to a peer, and which are a child's link at one (pure).</summary>
public sealed class PeerUrlTests
{
    [Theory]
    [InlineData("https://hub-b.example/fhir/Patient/1", "https://hub-b.example", true)]
    [InlineData("https://hub-b.example/fhir", "https://hub-b.example/", true)]
    [InlineData("https://hub-b.example/carehub/fhir/Patient/1", "https://hub-b.example/carehub", true)]
    [InlineData("https://hub-b.example/carehubx/fhir", "https://hub-b.example/carehub", false)]
    [InlineData("https://hub-b.example.evil.org/fhir/Patient/1", "https://hub-b.example", false)]
    [InlineData("http://hub-b.example/fhir/Patient/1", "https://hub-b.example", false)]
    [InlineData("https://hub-b.example:8443/fhir/Patient/1", "https://hub-b.example", false)]
    [InlineData("https://user@hub-b.example/fhir/Patient/1", "https://hub-b.example", false)]
    [InlineData("Patient/1", "https://hub-b.example", false)]
    public void a_url_belongs_to_a_peer_only_under_its_base(string url, string baseUrl, bool under) =>
        Assert.Equal(under, PeerDirectory.IsUnder(url, baseUrl));

    [Theory]
    [InlineData("https://hub-a.example/fhir/Patient/abc-1", "abc-1")]
    [InlineData("https://hub-a.example/fhir/Patient/abc-1/_history/3", "abc-1")]
    [InlineData("https://hub-a.example/fhir/Patient/abc-1/$summary", null)]
    [InlineData("https://hub-a.example/fhir/Observation/abc-1", null)]
    [InlineData("https://hub-a.example/fhir/Patient/", null)]
    public void a_notification_subject_names_one_patient(string url, string? id) => Assert.Equal(id, KeptSummary.PatientIdOf(url));
}
