using System.Threading.Channels;
using Hub.Api.Storage;

namespace Hub.Api.Audit;

/// <summary>
/// Writes the AuditEvents of reads. Concurrent reads share one commit (group commit): each request still waits
/// until its own AuditEvent is durable before it answers, but the database sees one transaction per batch.
/// Writes of data never come here: their AuditEvent goes into the same transaction as the change.
/// </summary>
public sealed class AuditWriter : BackgroundService
{
    readonly Channel<(AuditRow Row, TaskCompletionSource Done)> queue = Channel.CreateBounded<(AuditRow, TaskCompletionSource)>(
        new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    readonly HubDbFactory dbs;
    readonly ILogger<AuditWriter> log;

    public AuditWriter(HubDbFactory dbs, ILogger<AuditWriter> log) { this.dbs = dbs; this.log = log; }

    /// <summary>
    /// A refusal's AuditEvent (contract §2: every refusal is audited), written before the problem reaches the caller; the
    /// problem comes back marked as audited, so the REST layer writes no second one. The one place every operation refuses.
    /// </summary>
    public async Task<Fhir.FhirProblem> RefusedAsync(Auth.Caller caller, string action, string? patientId, string reference, Fhir.FhirProblem problem,
        DateTime now, Hub.Consent.Decisions.Decision? decision = null, string? detail = null)
    {
        await WriteAsync(AuditEvents.ToRow(new AuditRecord(caller, action,
            problem.Status >= 500 ? Hl7.Fhir.Model.AuditEvent.AuditEventOutcome.N8 : Hl7.Fhir.Model.AuditEvent.AuditEventOutcome.N4,
            patientId, [reference], detail ?? decision?.Reason ?? $"{problem.Status}: {problem.Message}", Basis: decision), now));
        problem.Audited = true;
        return problem;
    }

    public async Task WriteAsync(AuditRow row, CancellationToken ct = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await queue.Writer.WriteAsync((row, done), ct);
        await done.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        var batch = new List<(AuditRow Row, TaskCompletionSource Done)>(256);
        while (await queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < 256 && queue.Reader.TryRead(out var item)) batch.Add(item);
            try
            {
                await using var db = dbs.Create();
                db.Audit.AddRange(batch.Select(b => b.Row));
                await db.SaveChangesAsync(CancellationToken.None);
                foreach (var b in batch) b.Done.TrySetResult();
            }
            catch (Exception e)
            {
                // Without its AuditEvent a read must not be answered: fail those requests.
                log.LogError(e, "Writing {Count} audit events failed", batch.Count);
                foreach (var b in batch) b.Done.TrySetException(e);
            }
            batch.Clear();
        }
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Writer.TryComplete();
        return base.StopAsync(cancellationToken);
    }
}
