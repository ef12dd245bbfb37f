using System.Text;
using Hangfire;
using Hl7.Fhir.Model;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Fhir;
using Hub.Api.ReferenceData;
using Hub.Api.Search;
using Hub.Api.Storage;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Notifications;

/// <summary>`Hub:Notifications`: where the hub says it can be reached, and how hard it tries to deliver.</summary>
public sealed class NotificationOptions
{
    /// <summary>The hub's public base URL, for the "request the summary" line of a notification.</summary>
    public string PublicBaseUrl { get; set; } = "http://127.0.0.1:5080";
    /// <summary>The first retry waits this long; each later one twice as long, up to <see cref="MaxRetrySeconds"/>.</summary>
    public double RetrySeconds { get; set; } = 30;
    public double MaxRetrySeconds { get; set; } = 3600;
    /// <summary>Contract section 6: a notification not delivered within 24 hours is stopped.</summary>
    public double GiveUpAfterSeconds { get; set; } = 24 * 3600;
    public double TimeoutSeconds { get; set; } = 30;
}

/// <summary>
/// Delivers placement notifications to the host ICB's endpoint (contract section 6): POST `{endpoint}/Communication`,
/// retried with a doubling delay while it fails; delivered, the Communication is marked `completed`, given up `stopped`.
/// <para>
/// One Hangfire job, the sweep, delivers whatever is due, from the notification_deliveries rows the import writes in its
/// own transaction. It runs when an import commits, when the hub starts, every minute, and at the next retry due within
/// the minute. Nothing depends on one particular job running: a job lost by the job store, or a crash between commit
/// and enqueue, only delays delivery to the next sweep. Each attempt first claims its row (a conditional update on the
/// attempt count), so two sweeps, or two hubs on one database, never post the same notification at once; a crash
/// mid-attempt leaves the claim to lapse and the attempt to be made again, which the receiver can tell by the
/// Communication's identifier.
/// </para>
/// </summary>
public sealed class PlacementNotifier(HubDbFactory dbs, SearchIndexer indexer, OrganisationDirectory organisations, IHttpClientFactory http,
    Peers.PeerSignIn peerSignIn, IBackgroundJobClient jobs, NotificationSweeps sweeps, TimeProvider clock, Microsoft.Extensions.Options.IOptions<NotificationOptions> options,
    ILogger<PlacementNotifier> log)
{
    public const string SweepJobId = "placement-notifications";
    static readonly Caller Hub = Caller.HubJob(SweepJobId);
    /// <summary>Deliveries attempted at once by one sweep: enough to keep a slow endpoint from holding up the rest.</summary>
    const int Parallel = 8;
    NotificationOptions Options => options.Value;
    public string PublicBaseUrl => Options.PublicBaseUrl.TrimEnd('/');
    DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>The delivery row an import writes beside each new notification, due at once.</summary>
    public static NotificationDeliveryRow Pending(string communicationId, DateTime now) =>
        new() { CommunicationId = communicationId, Created = now, DueAt = now };

    /// <summary>Asks for a sweep now (after an import commits, and when the hub starts).</summary>
    public void Kick() => jobs.Enqueue<PlacementNotifier>(n => n.SweepAsync(CancellationToken.None));

    /// <summary>The minutely sweep: catches whatever a lost job or a crash left behind.</summary>
    public static void Register(IRecurringJobManager recurring) =>
        recurring.AddOrUpdate<PlacementNotifier>(SweepJobId, n => n.SweepAsync(CancellationToken.None), Cron.Minutely());

    [AutomaticRetry(Attempts = 0)] // the next sweep is the retry
    public async Task SweepAsync(CancellationToken ct)
    {
        // Rounds until nothing is due soon; bounded, so a flood of quick failures cannot keep one worker forever.
        for (var round = 0; round < 100; round++)
        {
            var now = Now;
            List<NotificationDeliveryRow> due;
            DateTime? next;
            await using (var db = dbs.Create())
            {
                due = await db.NotificationDeliveries.AsNoTracking().Where(d => d.DueAt <= now).OrderBy(d => d.DueAt).Take(200).ToListAsync(ct);
                next = due.Count > 0 ? null
                    : await db.NotificationDeliveries.AsNoTracking().OrderBy(d => d.DueAt).Select(d => (DateTime?)d.DueAt).FirstOrDefaultAsync(ct);
            }
            if (due.Count > 0)
            {
                await System.Threading.Tasks.Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = Parallel, CancellationToken = ct },
                    async (delivery, token) => await AttemptGuardedAsync(delivery, token));
                continue;
            }
            if (next is null) return;
            var wait = DateTime.SpecifyKind(next.Value, DateTimeKind.Utc) - now;
            // A retry due in a moment is waited for here: a job scheduled that close may start a little early and find nothing.
            if (wait <= NearEnough) { await System.Threading.Tasks.Task.Delay(wait, clock, ct); continue; }
            // One due before the next minutely sweep gets a sweep of its own at that time.
            if (wait <= TimeSpan.FromMinutes(1) && sweeps.Claim(now, now + wait))
                jobs.Schedule<PlacementNotifier>(n => n.SweepAsync(CancellationToken.None), wait);
            return;
        }
    }

    static readonly TimeSpan NearEnough = TimeSpan.FromSeconds(2);

    async Task AttemptGuardedAsync(NotificationDeliveryRow delivery, CancellationToken ct)
    {
        try
        {
            await AttemptAsync(delivery, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A failure of the hub's own (a busy database, say) is one more failed attempt, never the end of the notification:
            // the claim lapses and a later sweep tries again.
            log.LogWarning("Placement notification {CommunicationId}: attempt {Attempt} failed in the hub with {ExceptionType}",
                delivery.CommunicationId, delivery.Attempts + 1, e.GetType().Name);
        }
    }

    async Task AttemptAsync(NotificationDeliveryRow delivery, CancellationToken ct)
    {
        await using var db = dbs.Create();
        var attempt = delivery.Attempts + 1;
        var claimUntil = Now.AddSeconds(Options.TimeoutSeconds + 60);
        var claimed = await db.NotificationDeliveries
            .Where(d => d.CommunicationId == delivery.CommunicationId && d.Attempts == delivery.Attempts)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.Attempts, attempt).SetProperty(d => d.DueAt, claimUntil), ct);
        if (claimed == 0) return; // another sweep has it, or has finished it

        var row = await db.Resources.AsNoTracking().FirstOrDefaultAsync(r => r.Type == "Communication" && r.Id == delivery.CommunicationId, ct);
        var communication = row is null || row.Deleted ? null : (Communication)FhirFormat.ParseJson(row.Json);
        if (row is null || communication is null || communication.Status != EventStatus.InProgress)
        {
            // Cancelled or finished by someone else: nothing left to deliver.
            await db.NotificationDeliveries.Where(d => d.CommunicationId == delivery.CommunicationId).ExecuteDeleteAsync(ct);
            return;
        }

        var icb = PatientFacts.OrganisationCode(communication.Recipient.FirstOrDefault());
        var endpoint = organisations.Find(icb)?.Endpoint;
        string? failure = string.IsNullOrWhiteSpace(endpoint)
            ? $"ICB {icb} has no notification endpoint in the reference data"
            : await PostAsync(endpoint, communication, ct);

        if (failure is null)
        {
            communication.Status = EventStatus.Completed;
            communication.Sent = clock.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssK", System.Globalization.CultureInfo.InvariantCulture);
            await FinishAsync(db, row, communication, "delivered", ct);
            return;
        }
        // Attempts in the log, not the resource: a delivery problem is the hub's concern, not part of the child's record.
        // An ICB with no endpoint is how the reference data says it takes no notifications: worth noting, not a warning.
        if (string.IsNullOrWhiteSpace(endpoint)) log.LogInformation("Placement notification {CommunicationId} to ICB {Icb} stopped: {Failure}", row.Id, icb, failure);
        else log.LogWarning("Placement notification {CommunicationId} to ICB {Icb}: attempt {Attempt} failed: {Failure}", row.Id, icb, attempt, failure);
        var age = Now - DateTime.SpecifyKind(delivery.Created, DateTimeKind.Utc);
        if (string.IsNullOrWhiteSpace(endpoint) || age.TotalSeconds >= Options.GiveUpAfterSeconds)
        {
            communication.Status = EventStatus.Stopped;
            communication.StatusReason = new CodeableConcept { Text = string.IsNullOrWhiteSpace(endpoint) ? "no endpoint for the host ICB" : "not delivered within the time allowed" };
            await FinishAsync(db, row, communication, "stopped", ct);
            return;
        }
        var dueAt = Now + Backoff(attempt - 1);
        await db.NotificationDeliveries.Where(d => d.CommunicationId == delivery.CommunicationId && d.Attempts == attempt)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.DueAt, dueAt).SetProperty(d => d.LastFailure, failure), ct);
    }

    TimeSpan Backoff(int attempt) => TimeSpan.FromSeconds(Math.Min(Options.RetrySeconds * Math.Pow(2, attempt), Options.MaxRetrySeconds));

    /// <summary>The notification as the host ICB receives it: our relative references made absolute, so they lead back here.</summary>
    async Task<string?> PostAsync(string endpoint, Communication communication, CancellationToken ct)
    {
        var sent = (Communication)communication.DeepCopy();
        sent.Id = null;
        sent.Meta = new Meta { Profile = communication.Meta?.Profile ?? [] };
        var fhir = Options.PublicBaseUrl.TrimEnd('/') + "/fhir/";
        foreach (var reference in new[] { sent.Subject, sent.Sender }.Concat(sent.About).Concat(sent.Recipient))
            if (reference?.Reference is { } r && !r.Contains("://", StringComparison.Ordinal)) reference.Reference = fhir + r;
        try
        {
            using var client = http.CreateClient(nameof(PlacementNotifier));
            client.Timeout = TimeSpan.FromSeconds(Options.TimeoutSeconds);
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.TrimEnd('/') + "/Communication")
            {
                Content = new StringContent(FhirFormat.SerializeToString(sent), Encoding.UTF8, FhirFormat.JsonMime),
            };
            // Another CareHub takes notifications only from a peer signed in there (decisions.md); other endpoints get no credentials.
            request.Headers.Authorization = await peerSignIn.AuthorizationForAsync(endpoint, ct);
            using var response = await client.SendAsync(request, ct);
            if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized) peerSignIn.ForgetFor(endpoint); // sign in afresh next time
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return e.GetType().Name;
        }
    }

    /// <summary>The Communication's final status and the end of its delivery, in one transaction.</summary>
    async Task FinishAsync(HubDb db, ResourceRow row, Communication communication, string what, CancellationToken ct)
    {
        var store = new ResourceStore(db, clock);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await store.StageWriteAsync(communication, row, "PUT", indexer.Extract(communication), row.PatientId);
        db.Audit.Add(AuditEvents.ToRow(new AuditRecord(Hub, "update", AuditEvent.AuditEventOutcome.N0, row.PatientId, [$"Communication/{row.Id}"],
            Decision: $"placement notification {what}"), Now));
        try
        {
            await db.SaveChangesAsync(ct);
            await db.NotificationDeliveries.Where(d => d.CommunicationId == row.Id).ExecuteDeleteAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Someone else moved the Communication on (a cancellation, say): theirs stands, and the next sweep clears the row.
        }
    }
}

/// <summary>
/// The one sweep this process has asked Hangfire for ahead of the minutely one, so each sweep does not add a follow-up
/// of its own while a retry is pending.
/// </summary>
public sealed class NotificationSweeps
{
    readonly Lock gate = new();
    DateTime? scheduledFor;

    /// <summary>True when a sweep at <paramref name="at"/> should be scheduled: none is already due by then.</summary>
    public bool Claim(DateTime now, DateTime at)
    {
        lock (gate)
        {
            if (scheduledFor is { } s && s > now && s <= at) return false;
            scheduledFor = at;
            return true;
        }
    }
}
