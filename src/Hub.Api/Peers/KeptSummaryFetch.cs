using System.Net;
using Hangfire;
using Hl7.Fhir.Model;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Fhir;
using Hub.Api.Search;
using Hub.Api.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Hub.Api.Peers;

/// <summary>
/// The Hangfire job that fetches a notified child's <c>$summary</c> from the hub that sent the notification, signed in
/// there and on behalf of the host ICB the notification was addressed to, and keeps it (see <see cref="KeptSummary"/>).
/// It retries with a doubling delay while the peer cannot answer, and its state is the received notification's status:
/// in-progress, completed (payload links the kept Bundle), or stopped with a reason (refused, or not fetched in time).
/// </summary>
public sealed class KeptSummaryFetch(HubDbFactory dbs, SearchIndexer indexer, PeerDirectory peers, PeerSignIn signIn, IHttpClientFactory http,
    IBackgroundJobClient jobs, TimeProvider clock, IOptions<KeptSummaryOptions> options, ILogger<KeptSummaryFetch> log)
{
    /// <summary>The hub itself, as the author of what it keeps.</summary>
    static readonly Caller Hub = Caller.HubJob("kept-summary-fetch");
    KeptSummaryOptions Options => options.Value;

    public void Schedule(string communicationId, int attempt, TimeSpan delay) =>
        jobs.Schedule<KeptSummaryFetch>(f => f.FetchAsync(communicationId, attempt, CancellationToken.None), delay);

    /// <summary>Received notifications still fetching after a restart get their job again.</summary>
    public async System.Threading.Tasks.Task ResumeAsync(CancellationToken ct)
    {
        await using var db = dbs.Create();
        var pending = await (from t in db.Tokens.AsNoTracking()
                             where t.Type == "Communication" && t.Param == "status" && t.Code == "in-progress"
                             join k in db.Tokens.AsNoTracking() on new { t.Type, t.Id } equals new { k.Type, k.Id }
                             where k.Param == "_tag" && k.System == KeptSummary.KindSystem && k.Code == KeptSummary.NotificationCode
                             select t.Id).ToListAsync(ct);
        foreach (var id in pending) jobs.Enqueue<KeptSummaryFetch>(f => f.FetchAsync(id, 0, CancellationToken.None));
    }

    [AutomaticRetry(Attempts = 0)] // it retries itself, on its own schedule
    public async System.Threading.Tasks.Task FetchAsync(string communicationId, int attempt, CancellationToken ct)
    {
        try
        {
            await AttemptAsync(communicationId, attempt, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning("Kept summary for {CommunicationId}: attempt {Attempt} failed in the hub with {ExceptionType}", communicationId, attempt + 1, e.GetType().Name);
            Schedule(communicationId, attempt + 1, Backoff(attempt));
        }
    }

    /// <summary>What one attempt came to.</summary>
    abstract record Fetched
    {
        public sealed record Summary(Bundle Document) : Fetched;
        public sealed record Refused(string Reason) : Fetched;
        public sealed record Failed(string Reason) : Fetched;
    }

    async System.Threading.Tasks.Task AttemptAsync(string communicationId, int attempt, CancellationToken ct)
    {
        await using var db = dbs.Create();
        var row = await db.Resources.AsNoTracking().FirstOrDefaultAsync(r => r.Type == "Communication" && r.Id == communicationId, ct);
        if (row is null || row.Deleted || row.PatientId is null) return;
        var communication = (Communication)FhirFormat.ParseJson(row.Json);
        if (communication.Status != EventStatus.InProgress) return;

        var source = communication.Meta?.Source;
        var peer = peers.Find(source);
        var remoteId = source is null ? null : KeptSummary.PatientIdOf(source);
        var icb = PatientFacts.OrganisationCode(communication.Recipient.FirstOrDefault());
        var fetched = peer is null || remoteId is null || icb is null
            ? new Fetched.Refused("the sending hub is no longer a configured peer")
            : await RequestAsync(peer, remoteId, icb, ct);

        switch (fetched)
        {
            case Fetched.Summary s:
                await KeepAsync(db, row, communication, s.Document, peer!, ct);
                log.LogInformation("Kept summary for {CommunicationId} from peer {Peer}", communicationId, peer!.Name);
                return;
            case Fetched.Refused r:
                log.LogWarning("Kept summary for {CommunicationId}: {Reason}; stopped", communicationId, r.Reason);
                await StopAsync(db, row, communication, r.Reason, ct);
                return;
            case Fetched.Failed f:
                var age = clock.GetUtcNow().UtcDateTime - DateTime.SpecifyKind(await CreatedAsync(db, communicationId, ct), DateTimeKind.Utc);
                log.LogWarning("Kept summary for {CommunicationId}: attempt {Attempt} failed: {Reason}", communicationId, attempt + 1, f.Reason);
                if (age.TotalSeconds >= Options.GiveUpAfterSeconds) await StopAsync(db, row, communication, "not fetched within the time allowed", ct);
                else Schedule(communicationId, attempt + 1, Backoff(attempt));
                return;
        }
    }

    TimeSpan Backoff(int attempt) => TimeSpan.FromSeconds(Math.Min(Options.RetrySeconds * Math.Pow(2, attempt), Options.MaxRetrySeconds));

    static Task<DateTime> CreatedAsync(HubDb db, string id, CancellationToken ct) =>
        db.Versions.AsNoTracking().Where(v => v.Type == "Communication" && v.Id == id && v.Version == 1).Select(v => v.LastUpdated).FirstOrDefaultAsync(ct);

    /// <summary>
    /// <c>GET {peer}/fhir/Patient/{id}/$summary</c> as the host ICB (direct care): the peer decides on those claims. A
    /// refusal (403, 404, 410) is the peer's answer for this ICB and is not asked again; anything else is tried again.
    /// </summary>
    async Task<Fetched> RequestAsync(Peer peer, string remoteId, string icb, CancellationToken ct)
    {
        var onBehalfOf = new Caller(icb, OrgTypes.Icb, null, PurposesOfUse.Default, null, [], null);
        try
        {
            using var client = http.CreateClient(PeerSignIn.HttpClientName);
            client.Timeout = TimeSpan.FromSeconds(Options.TimeoutSeconds);
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{peer.Config.FhirBase}/Patient/{Uri.EscapeDataString(remoteId)}/$summary");
            request.Headers.Authorization = new("Bearer", await signIn.AccessTokenAsync(peer, ct));
            request.Headers.Add(OnBehalfOf.Header, signIn.OnBehalfOf(peer, onBehalfOf));
            request.Headers.Accept.ParseAdd(FhirFormat.JsonMime);
            using var response = await client.SendAsync(request, ct);
            if (response.StatusCode == HttpStatusCode.Unauthorized) signIn.Forget(peer); // a new token next time
            if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.Gone)
                return new Fetched.Refused($"the sending hub answered HTTP {(int)response.StatusCode}");
            if (!response.IsSuccessStatusCode) return new Fetched.Failed($"HTTP {(int)response.StatusCode}");
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            return FhirFormat.Parse(body, WireFormat.Json) is Bundle { Type: Bundle.BundleType.Document } document && document.Entry.FirstOrDefault()?.Resource is Composition
                ? new Fetched.Summary(document)
                : new Fetched.Refused("the sending hub's answer is not a document Bundle");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new Fetched.Failed(e.GetType().Name);
        }
        catch (FhirProblem)
        {
            return new Fetched.Refused("the sending hub's answer is not FHIR JSON");
        }
    }

    /// <summary>Keeps the document, fills the stub's birth date from it, and marks the notification completed: one transaction.</summary>
    async System.Threading.Tasks.Task KeepAsync(HubDb db, ResourceRow row, Communication communication, Bundle document, Peer peer, CancellationToken ct)
    {
        var store = new ResourceStore(db, clock);
        var stubId = row.PatientId!;
        var keptId = KeptSummary.SummaryId(row.Id);
        var kept = (Bundle)document.DeepCopy();
        kept.Id = keptId;
        kept.Meta ??= new Meta();
        kept.Meta.Source = communication.Meta!.Source + "/$summary";
        kept.Meta.Tag = [.. kept.Meta.Tag.Where(t => t.System is not (KeptSummary.KindSystem or KeptSummary.PeerTagSystem)),
            new Coding(KeptSummary.PeerTagSystem, peer.Name), new Coding(KeptSummary.KindSystem, KeptSummary.SummaryCode)];

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var current = await db.Resources.AsNoTracking().FirstOrDefaultAsync(r => r.Type == "Bundle" && r.Id == keptId, ct);
        await store.StageWriteAsync(kept, current, current is null ? "POST" : "PUT", indexer.Extract(kept), stubId);
        // The birth date decides the cohort (G2) and the child's say (age): the stub learns it from the document.
        if (document.Entry.Select(e => e.Resource).OfType<Patient>().FirstOrDefault()?.BirthDate is { } birth
            && DateOnly.TryParse(birth, System.Globalization.CultureInfo.InvariantCulture, out var born)
            && await db.PatientFacts.FirstOrDefaultAsync(f => f.PatientId == stubId, ct) is { } facts)
            facts.BirthDate = born;

        communication.Status = EventStatus.Completed;
        communication.StatusReason = null;
        communication.Payload.RemoveAll(p => p.Content is ResourceReference { Reference: var r } && r == $"Bundle/{keptId}");
        communication.Payload.Add(new Communication.PayloadComponent { Content = new ResourceReference($"Bundle/{keptId}") { Display = $"Health summary kept from {peer.Name}" } });
        await store.StageWriteAsync(communication, row, "PUT", indexer.Extract(communication), stubId);
        db.Audit.Add(AuditEvents.ToRow(new AuditRecord(Hub, "create", AuditEvent.AuditEventOutcome.N0, stubId, [$"Bundle/{keptId}", $"Communication/{row.Id}"],
            $"health summary fetched from peer hub {peer.Name} for the host ICB and kept"), clock.GetUtcNow().UtcDateTime));
        await SaveAsync(db, tx, ct);
    }

    async System.Threading.Tasks.Task StopAsync(HubDb db, ResourceRow row, Communication communication, string reason, CancellationToken ct)
    {
        var store = new ResourceStore(db, clock);
        communication.Status = EventStatus.Stopped;
        communication.StatusReason = new CodeableConcept { Text = reason };
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await store.StageWriteAsync(communication, row, "PUT", indexer.Extract(communication), row.PatientId);
        db.Audit.Add(AuditEvents.ToRow(new AuditRecord(Hub, "update", AuditEvent.AuditEventOutcome.N0, row.PatientId, [$"Communication/{row.Id}"],
            $"health summary not kept: {reason}"), clock.GetUtcNow().UtcDateTime));
        await SaveAsync(db, tx, ct);
    }

    static async System.Threading.Tasks.Task SaveAsync(HubDb db, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Another run of this job moved the notification on first: its result stands.
        }
    }
}
