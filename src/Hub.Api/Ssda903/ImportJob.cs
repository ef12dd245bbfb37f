using Hub.Api.Auth;
using Hub.Api.Storage;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Ssda903;

/// <summary>The progress of the imports running in this process, by job id.</summary>
public sealed class ImportProgressBoard
{
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, ImportProgress> running = new();
    public void Report(string jobId, ImportProgress p) => running[jobId] = p;
    public void Forget(string jobId) => running.TryRemove(jobId, out _);
    public ImportProgress? Of(string jobId) => running.TryGetValue(jobId, out var p) ? p : null;
}

/// <summary>Runs an uploaded return as a Hangfire job, keeping its state and result in its import_jobs row.</summary>
public sealed class ImportJob(HubDbFactory dbs, Ssda903Importer importer, ImportProgressBoard board, TimeProvider clock, ILogger<ImportJob> log)
{
    [Hangfire.AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(string jobId, string org, string orgType, string? clientId, CancellationToken ct)
    {
        await using var db = dbs.Create();
        var job = await db.ImportJobs.FirstAsync(j => j.Id == jobId, ct);
        job.State = "running"; job.Stage = "reading";
        await db.SaveChangesAsync(ct);
        var caller = new Caller(org, orgType, null, "direct-care", null, ["system/*.cruds"], clientId);
        // Progress stays in memory while the import runs: written to the database it would wait on the import's own
        // transaction (SQLite has one writer), so the status URL reads it from here.
        var progress = new Progress<ImportProgress>(p => board.Report(jobId, p));
        try
        {
            var result = await importer.ImportAsync(caller, job.La, job.Year, job.Folder, progress, ct);
            job.State = "done"; job.Stage = "done"; job.ResultStatus = result.Status;
            job.ResultJson = Fhir.FhirFormat.SerializeToString(result.ToOutcome());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError("Import job {JobId} failed with {ExceptionType}", jobId, e.GetType().Name);
            job.State = "failed"; job.Stage = "failed";
        }
        finally
        {
            board.Forget(jobId);
            job.Finished = clock.GetUtcNow().UtcDateTime;
            db.ImportJobs.Update(job);
            await db.SaveChangesAsync(CancellationToken.None);
            try { Directory.Delete(job.Folder, recursive: true); } catch (IOException) { }
        }
    }
}
