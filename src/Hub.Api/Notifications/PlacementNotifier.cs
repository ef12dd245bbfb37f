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
/// Delivers placement notifications to the host ICB's endpoint (contract section 6) as Hangfire jobs: POST
/// `{endpoint}/Communication`; on failure it schedules itself again with a doubling delay; delivered it marks the
/// Communication `completed`, given up `stopped`. Each Communication is delivered at most once: a job that finds
/// it no longer in progress does nothing, and the receiver can tell repeats by the Communication's identifier.
/// </summary>
public sealed class PlacementNotifier(HubDbFactory dbs, SearchIndexer indexer, OrganisationDirectory organisations, IHttpClientFactory http,
    IBackgroundJobClient jobs, TimeProvider clock, Microsoft.Extensions.Options.IOptions<NotificationOptions> options, ILogger<PlacementNotifier> log)
{
    static readonly Caller Hub = new("carehub", OrgTypes.Hub, null, "direct-care", null, [], "placement-notifier");
    NotificationOptions Options => options.Value;
    public string PublicBaseUrl => Options.PublicBaseUrl.TrimEnd('/');

    public void Schedule(string communicationId, int attempt = 0, TimeSpan? delay = null)
    {
        if (delay is { } d) jobs.Schedule<PlacementNotifier>(n => n.DeliverAsync(communicationId, attempt, CancellationToken.None), d);
        else jobs.Enqueue<PlacementNotifier>(n => n.DeliverAsync(communicationId, attempt, CancellationToken.None));
    }

    /// <summary>Notifications still in progress after a restart get their job again (a crash may have come between commit and enqueue).</summary>
    public async Task ResumeAsync(CancellationToken ct)
    {
        await using var db = dbs.Create();
        var pending = await (from t in db.Tokens.AsNoTracking()
                             where t.Type == "Communication" && t.Param == "status" && t.Code == "in-progress"
                             join c in db.Tokens.AsNoTracking() on new { t.Type, t.Id } equals new { c.Type, c.Id }
                             where c.Param == "category" && c.System == PlacementNotice.CategorySystem && c.Code == "placement-out-of-area"
                             select t.Id).ToListAsync(ct);
        foreach (var id in pending) Schedule(id);
    }

    [AutomaticRetry(Attempts = 0)] // it retries itself, on its own schedule
    public async Task DeliverAsync(string communicationId, int attempt, CancellationToken ct)
    {
        try
        {
            await AttemptAsync(communicationId, attempt, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A failure of the hub's own (a busy database, say) is one more failed attempt, never the end of the notification.
            log.LogWarning("Placement notification {CommunicationId}: attempt {Attempt} failed in the hub with {ExceptionType}", communicationId, attempt + 1, e.GetType().Name);
            Schedule(communicationId, attempt + 1, Backoff(attempt));
        }
    }

    async Task AttemptAsync(string communicationId, int attempt, CancellationToken ct)
    {
        await using var db = dbs.Create();
        var row = await db.Resources.AsNoTracking().FirstOrDefaultAsync(r => r.Type == "Communication" && r.Id == communicationId, ct);
        if (row is null || row.Deleted) return;
        var communication = (Communication)FhirFormat.ParseJson(row.Json);
        if (communication.Status != EventStatus.InProgress) return;

        var icb = PatientFacts.OrganisationCode(communication.Recipient.FirstOrDefault());
        var endpoint = organisations.Find(icb)?.Endpoint;
        var created = await db.Versions.AsNoTracking().Where(v => v.Type == "Communication" && v.Id == communicationId && v.Version == 1)
            .Select(v => v.LastUpdated).FirstOrDefaultAsync(ct);
        var age = clock.GetUtcNow().UtcDateTime - DateTime.SpecifyKind(created, DateTimeKind.Utc);

        string? failure;
        if (string.IsNullOrWhiteSpace(endpoint)) failure = $"ICB {icb} has no notification endpoint in the reference data";
        else failure = await PostAsync(endpoint, communication, ct);

        if (failure is null)
        {
            communication.Status = EventStatus.Completed;
            communication.Sent = clock.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssK", System.Globalization.CultureInfo.InvariantCulture);
            await SaveAsync(db, row, communication, "delivered", ct);
            return;
        }
        // Attempts in the log, not the resource: a delivery problem is the hub's concern, not part of the child's record.
        // An ICB with no endpoint is how the reference data says it takes no notifications: worth noting, not a warning.
        if (string.IsNullOrWhiteSpace(endpoint)) log.LogInformation("Placement notification {CommunicationId} to ICB {Icb} stopped: {Failure}", communicationId, icb, failure);
        else log.LogWarning("Placement notification {CommunicationId} to ICB {Icb}: attempt {Attempt} failed: {Failure}", communicationId, icb, attempt + 1, failure);
        if (string.IsNullOrWhiteSpace(endpoint) || age.TotalSeconds >= Options.GiveUpAfterSeconds)
        {
            communication.Status = EventStatus.Stopped;
            communication.StatusReason = new CodeableConcept { Text = string.IsNullOrWhiteSpace(endpoint) ? "no endpoint for the host ICB" : "not delivered within the time allowed" };
            await SaveAsync(db, row, communication, "stopped", ct);
            return;
        }
        Schedule(communicationId, attempt + 1, Backoff(attempt));
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
            using var content = new StringContent(FhirFormat.SerializeToString(sent), Encoding.UTF8, FhirFormat.JsonMime);
            using var response = await client.PostAsync(endpoint.TrimEnd('/') + "/Communication", content, ct);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return e.GetType().Name;
        }
    }

    async Task SaveAsync(HubDb db, ResourceRow row, Communication communication, string what, CancellationToken ct)
    {
        var store = new ResourceStore(db, clock);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await store.StageWriteAsync(communication, row, "PUT", indexer.Extract(communication), row.PatientId);
        db.Audit.Add(AuditEvents.ToRow(new AuditRecord(Hub, "update", AuditEvent.AuditEventOutcome.N0, row.PatientId, [$"Communication/{row.Id}"],
            Decision: $"placement notification {what}"), clock.GetUtcNow().UtcDateTime));
        try
        {
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Someone else moved it on (another delivery, a cancellation): theirs stands.
        }
    }
}
