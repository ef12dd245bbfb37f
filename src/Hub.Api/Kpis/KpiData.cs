using Hub.Api.ReferenceData;
using Hub.Api.Storage;
using Hub.Mappers.Kpis;
using Hub.Mappers.Ssda903.Mapping;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Kpis;

/// <summary>
/// Loads what the KPIs need for a set of LAs (null: the whole hub), set-based: two queries run side by side on their
/// own connections (the children's facts, and the KPI records of their episodes, OC2 items and dated assessments kept
/// beside each resource when it was written), never one per child and never a resource's JSON. Sealed (adopted)
/// children are left out at the source.
/// </summary>
public sealed class KpiData(HubDbFactory dbs, OrganisationDirectory directory, KpiSnapshots snapshots)
{
    sealed record Child(string Id, string La, DateOnly? BirthDate);

    /// <summary>The children of these LAs (null: all), as loaded at most <see cref="KpiSnapshots.Lifetime"/> ago.</summary>
    public Task<IReadOnlyList<KpiChild>> LoadAsync(string[]? las, CancellationToken ct) =>
        snapshots.GetOrLoad(las is null ? "*" : string.Join(',', las.Order(StringComparer.Ordinal)), () => LoadNowAsync(las, CancellationToken.None));

    async Task<IReadOnlyList<KpiChild>> LoadNowAsync(string[]? las, CancellationToken ct)
    {
        var childrenTask = Query(db => Children(db, las).Select(f => new Child(f.PatientId, f.ManagingLa!, f.BirthDate)).ToListAsync(ct));
        var recordsTask = Query(db => (from k in db.KpiRecords.AsNoTracking()
                                       join f in Children(db, las) on k.PatientId equals f.PatientId
                                       select k).ToListAsync(ct));
        await Task.WhenAll(childrenTask, recordsTask);

        var records = recordsTask.Result.ToLookup(k => k.PatientId);
        var icbOf = new Dictionary<string, string?>();
        return childrenTask.Result.Select(c =>
        {
            if (!icbOf.TryGetValue(c.La, out var icb)) icbOf[c.La] = icb = directory.ParentIcbOf(c.La);
            var own = records[c.Id];
            return new KpiChild(c.Id, c.BirthDate, icb,
                [.. own.Where(k => k.Kind == KpiRecordKind.Episode).Select(k => new CareEpisode(k.Start, k.End, k.LegalStatus, k.ReasonNewEpisode, k.PlacementIcb))],
                [.. own.Where(k => k.Kind == KpiRecordKind.Oc2Item).GroupBy(k => k.Start).Select(g => new Oc2Items(g.Key,
                    g.LastOrDefault(o => o.Code == KpiRecord.HealthAssessmentUpToDate)?.Flag,
                    g.LastOrDefault(o => o.Code == KpiRecord.ImmunisationsUpToDate)?.Flag,
                    g.LastOrDefault(o => o.Code == KpiRecord.DentalCheckUpToDate)?.Flag,
                    g.LastOrDefault(o => o.Code == KpiRecord.SdqTotalScore)?.Score))],
                [.. own.Where(k => k.Kind == KpiRecordKind.Assessment).Select(k => new DatedAssessment(k.Code switch
                {
                    Cla.Assessments.Initial => AssessmentKind.Initial,
                    Cla.Assessments.Review => AssessmentKind.Review,
                    _ => AssessmentKind.Dental,
                }, k.Start))]);
        }).ToList();
    }

    /// <summary>The LAs whose children an organisation is responsible for: an LA itself, an ICB the LAs it is parent of.</summary>
    public string[] LasOf(Organisation organisation) =>
        organisation.Kind == "la" ? [organisation.Code]
            : [.. directory.All.Where(o => o.Kind == "la" && o.ParentIcb == organisation.Code).Select(o => o.Code)];

    static IQueryable<PatientFactsRow> Children(HubDb db, string[]? las) =>
        las is null
            ? db.PatientFacts.AsNoTracking().Where(f => !f.Sealed && f.ManagingLa != null)
            : db.PatientFacts.AsNoTracking().Where(f => !f.Sealed && f.ManagingLa != null && las.Contains(f.ManagingLa!));

    async Task<T> Query<T>(Func<HubDb, Task<T>> query)
    {
        await using var db = dbs.Create();
        return await query(db);
    }
}

/// <summary>
/// The children loaded for a subject, kept for a minute: a dashboard asks for the five KPIs of one subject in a row, and
/// they read the same children. A KPI may therefore lag a write by up to <see cref="Lifetime"/>; it is aggregate, annual
/// or monthly data, never a patient's record.
/// </summary>
public sealed class KpiSnapshots(TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);
    readonly Dictionary<string, (DateTimeOffset Loaded, Task<IReadOnlyList<KpiChild>> Children)> bySubject = [];

    public Task<IReadOnlyList<KpiChild>> GetOrLoad(string subject, Func<Task<IReadOnlyList<KpiChild>>> load)
    {
        lock (bySubject)
        {
            var now = clock.GetUtcNow();
            foreach (var stale in bySubject.Where(kv => now - kv.Value.Loaded > Lifetime || kv.Value.Children.IsFaulted).Select(kv => kv.Key).ToList())
                bySubject.Remove(stale);
            if (bySubject.TryGetValue(subject, out var held)) return held.Children;
            var children = load();
            bySubject[subject] = (now, children);
            return children;
        }
    }
}
