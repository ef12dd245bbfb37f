using Hub.Api.Auth;
using Hub.Api.Storage;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Ssda903;

/// <summary>Runs an uploaded return as a Hangfire job, keeping its progress and result in its import_jobs row.</summary>
public sealed class ImportJob(HubDbFactory dbs, Ssda903Importer importer, TimeProvider clock, ILogger<ImportJob> log)
{
    [Hangfire.AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(string jobId, string org, string orgType, string? clientId, CancellationToken ct)
    {
        await using var db = dbs.Create();
        var job = await db.ImportJobs.FirstAsync(j => j.Id == jobId, ct);
        job.State = "running"; job.Stage = "reading";
        await db.SaveChangesAsync(ct);
        var caller = new Caller(org, orgType, null, "direct-care", null, ["system/*.cruds"], clientId);
        var last = DateTime.MinValue;
        var progress = new Progress<ImportProgress>(p =>
        {
            // At most every half second: progress is for people watching, not a second workload.
            var now = clock.GetUtcNow().UtcDateTime;
            if (now - last < TimeSpan.FromMilliseconds(500) && p.Stage != "done") return;
            last = now;
            using var progressDb = dbs.Create();
            progressDb.ImportJobs.Where(j => j.Id == jobId).ExecuteUpdate(s => s
                .SetProperty(j => j.Stage, p.Stage).SetProperty(j => j.ChildrenDone, p.Done).SetProperty(j => j.ChildrenTotal, p.Total));
        });
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
            job.Finished = clock.GetUtcNow().UtcDateTime;
            db.ImportJobs.Update(job);
            await db.SaveChangesAsync(CancellationToken.None);
            try { Directory.Delete(job.Folder, recursive: true); } catch (IOException) { }
        }
    }
}
