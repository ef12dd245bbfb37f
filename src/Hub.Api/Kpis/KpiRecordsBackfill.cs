using Hub.Api.Fhir;
using Hub.Api.Storage;
using Hub.Mappers.Kpis;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Kpis;

/// <summary>
/// Fills kpi_records for a store written before the table existed: every current EpisodeOfCare, Observation and
/// Encounter of a child is read once and its record added, in one transaction. Writes keep the table since; this runs
/// once, when the migration that made the table is applied.
/// </summary>
public static class KpiRecordsBackfill
{
    public const string Migration = "KpiRecords";
    static readonly string[] Types = ["EpisodeOfCare", "Observation", "Encounter"];
    const int Batch = 2_000;

    public static async Task<int> RunAsync(HubDb db, ILogger logger, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var written = 0;
        string? afterType = null, afterId = null;
        while (true)
        {
            // Keyset pages over the primary key: no offset scans, and no reader held open while this connection inserts.
            var query = db.Resources.AsNoTracking().Where(r => Types.Contains(r.Type) && r.PatientId != null && !r.Deleted);
            if (afterType is not null)
                query = query.Where(r => string.Compare(r.Type, afterType) > 0 || (r.Type == afterType && string.Compare(r.Id, afterId) > 0));
            var page = await query.OrderBy(r => r.Type).ThenBy(r => r.Id).Take(Batch)
                .Select(r => new { r.Type, r.Id, r.PatientId, r.Json }).ToListAsync(ct);
            if (page.Count == 0) break;
            (afterType, afterId) = (page[^1].Type, page[^1].Id);
            var rows = page.AsParallel().Select(r =>
            {
                try { return KpiRecordRow.Of(r.Type, r.Id, r.PatientId, KpiRecord.Of(FhirFormat.ParseJson(r.Json))); }
                catch (FhirProblem) { return null; } // a stored resource the model cannot read gives the KPIs nothing, as before
            }).Where(r => r is not null).ToList();
            db.KpiRecords.AddRange(rows!);
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            written += rows.Count;
        }
        await tx.CommitAsync(ct);
        logger.LogInformation("KPI records filled in for {Count} stored resources", written);
        return written;
    }
}
