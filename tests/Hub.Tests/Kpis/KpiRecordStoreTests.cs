using Hl7.Fhir.Model;
using Hub.Api.Fhir;
using Hub.Api.Hosting;
using Hub.Api.Storage;
using Hub.Mappers.Kpis;
using Hub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Kpis;

/// <summary>
/// kpi_records, what the KPIs read, stays what the stored resources say through the import (bulk path), provider
/// Bundles, an update and a delete (tracked path), and is filled in when a store from before the table is migrated.
/// </summary>
public abstract class KpiRecordStoreTests(string provider)
{
    sealed record Held(string Type, string Id, string PatientId, KpiRecordKind Kind, string? Code, DateOnly Start, DateOnly? End,
        string? LegalStatus, string? Rne, string? Icb, bool? Flag, int? Score);

    static async Task<T> WithDb<T>(RunningHub hub, Func<HubDb, Task<T>> use)
    {
        using var scope = hub.App.Services.CreateScope();
        return await use(scope.ServiceProvider.GetRequiredService<HubDb>());
    }

    static Task<List<Held>> HeldAsync(RunningHub hub) => WithDb(hub, async db =>
        (await db.KpiRecords.AsNoTracking().ToListAsync())
            .Select(k => new Held(k.Type, k.Id, k.PatientId, k.Kind, k.Code, k.Start, k.End, k.LegalStatus, k.ReasonNewEpisode, k.PlacementIcb, k.Flag, k.Score))
            .OrderBy(h => h.Type, StringComparer.Ordinal).ThenBy(h => h.Id, StringComparer.Ordinal).ToList());

    /// <summary>Worked out again from every current resource's stored JSON.</summary>
    static Task<List<Held>> FromResourcesAsync(RunningHub hub) => WithDb(hub, async db =>
        (await db.Resources.AsNoTracking().Where(r => !r.Deleted && r.PatientId != null).ToListAsync())
            .Select(r => (r, k: KpiRecord.Of(FhirFormat.ParseJson(r.Json))))
            .Where(x => x.k is not null)
            .Select(x => new Held(x.r.Type, x.r.Id, x.r.PatientId!, x.k!.Kind, x.k.Code, x.k.Start, x.k.End, x.k.LegalStatus, x.k.ReasonNewEpisode,
                x.k.PlacementIcb, x.k.Flag, x.k.Score))
            .OrderBy(h => h.Type, StringComparer.Ordinal).ThenBy(h => h.Id, StringComparer.Ordinal).ToList());

    [Fact]
    public async Task kpi_records_follow_every_write_and_are_filled_in_for_a_store_from_before_them()
    {
        await using var hub = await RunningHub.StartAsync(provider);
        var generated = await KpiHub.ImportGeneratedAsync(hub, 60, 17);
        var imported = await HeldAsync(hub);
        Assert.Contains(imported, h => h.Kind == KpiRecordKind.Episode);
        Assert.Contains(imported, h => h.Kind == KpiRecordKind.Oc2Item);
        Assert.Equal(await FromResourcesAsync(hub), imported);

        await KpiHub.PostProviderRecordsAsync(hub, generated);
        var posted = await HeldAsync(hub);
        // Of children still looked after: a provider may change only what the consent rules let it see (a child who has
        // left care, not a care leaver in age, is outside the hub's cohort).
        var inCare = (await WithDb(hub, db => db.PatientFacts.Where(f => f.LookedAfter).Select(f => f.PatientId).ToListAsync())).ToHashSet();
        var assessments = posted.Where(h => h.Kind == KpiRecordKind.Assessment && inCare.Contains(h.PatientId)).ToList();
        Assert.True(assessments.Count >= 2, $"{assessments.Count} assessments");
        Assert.Equal(await FromResourcesAsync(hub), posted);

        // A record corrected to entered-in-error stops counting; a deleted one too.
        async Task<(Encounter Encounter, FhirCall Team)> Sent(string id)
        {
            var e = (Encounter)FhirFormat.ParseJson(await WithDb(hub, db => db.Resources.Where(r => r.Type == "Encounter" && r.Id == id).Select(r => r.Json).SingleAsync()));
            return (e, await hub.AsAsync(e.ServiceProvider.Reference.Split('/').Last(), "provider", "cla-health-team", "statutory-health-assessment"));
        }
        var mistaken = assessments[0].Id;
        var (encounter, sender) = await Sent(mistaken);
        encounter.Status = Encounter.EncounterStatus.EnteredInError;
        var put = await sender.PutAsync($"fhir/Encounter/{mistaken}", encounter);
        Assert.True(put.Status == 200, put.ToString());
        var deleted = assessments[1].Id;
        var delete = await (await Sent(deleted)).Team.DeleteAsync($"fhir/Encounter/{deleted}");
        Assert.True(delete.Status is 200 or 204, $"{delete.Status} {delete.Body}");
        var after = await HeldAsync(hub);
        Assert.DoesNotContain(after, h => h.Id == mistaken || h.Id == deleted);
        Assert.Equal(posted.Count - 2, after.Count);
        Assert.Equal(await FromResourcesAsync(hub), after);

        // A store from before kpi_records: the table and its migration gone, the next start fills it in again.
        await WithDb(hub, async db =>
        {
            await db.Database.ExecuteSqlRawAsync("DROP TABLE kpi_records");
            return await db.Database.ExecuteSqlRawAsync("DELETE FROM \"__EFMigrationsHistory\" WHERE \"MigrationId\" LIKE '%\\_KpiRecords' ESCAPE '\\'");
        });
        await HubApp.MigrateAsync(hub.App);
        Assert.Equal(after, await HeldAsync(hub));
    }
}

public sealed class SqliteKpiRecordStoreTests() : KpiRecordStoreTests("Sqlite");
public sealed class PostgresKpiRecordStoreTests() : KpiRecordStoreTests("Postgres");
