using Hl7.Fhir.Model;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Fhir;
using Hub.Api.Search;
using Hub.Api.Storage;
using Hub.Mappers.Ssda903.Mapping;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Ssda903;

/// <summary>
/// Ends care-leaver status on the 25th birthday (contract section 4). Nothing arrives on that day to say so, and the
/// next return may be a year away, so a daily job closes the flag and clears the fact the access rules read.
/// </summary>
public sealed class CareLeaverExpiry(HubDbFactory dbs, SearchIndexer indexer, TimeProvider clock, ILogger<CareLeaverExpiry> log)
{
    public const string JobId = "care-leaver-expiry";
    static readonly Caller Hub = Caller.HubJob(JobId);

    /// <summary>Closes every care-leaver flag whose 25th birthday has come; answers how many children it changed.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        await using var db = dbs.Create();
        var due = await db.PatientFacts.AsNoTracking().Where(f => f.CareLeaverUntil != null && f.CareLeaverUntil <= today).ToListAsync(ct);
        var store = new ResourceStore(db, clock);
        foreach (var facts in due)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var flags = await db.Resources.AsNoTracking().Where(r => r.PatientId == facts.PatientId && r.Type == "Flag" && !r.Deleted).ToListAsync(ct);
            foreach (var row in flags)
            {
                var flag = (Flag)FhirFormat.ParseJson(row.Json);
                if (flag.Status != Flag.FlagStatus.Active || !flag.Code.Coding.Any(c => c.System == Cla.FlagSystem && c.Code == Cla.Flags.CareLeaver)) continue;
                flag.Status = Flag.FlagStatus.Inactive;
                flag.Period ??= new Period();
                flag.Period.End = facts.CareLeaverUntil!.Value.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
                await store.StageWriteAsync(flag, row, "PUT", indexer.Extract(flag), facts.PatientId);
                db.Audit.Add(AuditEvents.ToRow(new AuditRecord(Hub, "update", AuditEvent.AuditEventOutcome.N0, facts.PatientId, [$"Flag/{row.Id}"],
                    Decision: "care leaver: 25th birthday reached"), clock.GetUtcNow().UtcDateTime));
            }
            var tracked = await db.PatientFacts.FirstAsync(f => f.PatientId == facts.PatientId, ct);
            tracked.CareLeaverUntil = null;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            db.ChangeTracker.Clear();
        }
        if (due.Count > 0) log.LogInformation("Care-leaver status ended for {Children} children on their 25th birthday", due.Count);
        return due.Count;
    }
}
