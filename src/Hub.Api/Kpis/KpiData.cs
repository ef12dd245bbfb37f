using Hub.Api.ReferenceData;
using Hub.Api.Storage;
using Hub.Mappers.Kpis;
using Hub.Mappers.Ssda903.Mapping;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Kpis;

/// <summary>
/// Loads what the KPIs need for a set of LAs (null: the whole hub), set-based: the children's facts, then the KPI records
/// of their episodes, OC2 items and dated assessments (kept beside each resource when it was written), streamed straight
/// into each child; never one query per child and never a resource's JSON. Sealed (adopted) children are left out at
/// the source. Plain SQL through the context's connection: half a million rows read into what the calculation needs,
/// without EF materialising each as an entity first (that alone took two seconds of a cold five-KPI evaluation).
/// </summary>
public sealed class KpiData(HubDbFactory dbs, OrganisationDirectory directory, KpiSnapshots snapshots, ILogger<KpiData> log)
{
    /// <summary>The children of these LAs (null: all), as loaded at most <see cref="KpiSnapshots.Lifetime"/> ago.</summary>
    public Task<IReadOnlyList<KpiChild>> LoadAsync(string[]? las, CancellationToken ct) =>
        snapshots.GetOrLoad(las is null ? "*" : string.Join(',', las.Order(StringComparer.Ordinal)), () => LoadNowAsync(las, CancellationToken.None));

    /// <summary>One child being read: its facts, then its records as they arrive.</summary>
    sealed class Reading(string id, string la, DateOnly? birthDate)
    {
        public readonly List<CareEpisode> Episodes = [];
        public readonly List<(string Code, DateOnly Date, bool? Flag, int? Score)> Oc2 = [];
        public readonly List<DatedAssessment> Assessments = [];

        public KpiChild ToChild(string? responsibleIcb) => new(id, birthDate, responsibleIcb, Episodes,
            [.. Oc2.GroupBy(o => o.Date).Select(g => new Oc2Items(g.Key,
                g.LastOrDefault(o => o.Code == KpiRecord.HealthAssessmentUpToDate).Flag,
                g.LastOrDefault(o => o.Code == KpiRecord.ImmunisationsUpToDate).Flag,
                g.LastOrDefault(o => o.Code == KpiRecord.DentalCheckUpToDate).Flag,
                g.LastOrDefault(o => o.Code == KpiRecord.SdqTotalScore).Score))],
            Assessments);

        public string La => la;
    }

    async Task<IReadOnlyList<KpiChild>> LoadNowAsync(string[]? las, CancellationToken ct)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await using var db = dbs.Create();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(ct);
        var ofLas = las is null ? "" : $" AND f.\"ManagingLa\" IN ({string.Join(", ", las.Select((_, i) => $"@la{i}"))})";
        const string children = "FROM patient_facts f WHERE NOT f.\"Sealed\" AND f.\"ManagingLa\" IS NOT NULL";

        var reading = new Dictionary<string, Reading>(StringComparer.Ordinal);
        await using (var command = Command(connection, $"SELECT f.\"PatientId\", f.\"ManagingLa\", f.\"BirthDate\" {children}{ofLas}", las))
        await using (var r = await command.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
                reading[r.GetString(0)] = new Reading(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetFieldValue<DateOnly>(2));

        // The whole hub: every record, its child looked up here (a join would only drop the sealed ones).
        var records = las is null
            ? "SELECT k.\"PatientId\", k.\"Kind\", k.\"Code\", k.\"Start\", k.\"End\", k.\"LegalStatus\", k.\"ReasonNewEpisode\", k.\"PlacementIcb\", k.\"Flag\", k.\"Score\" FROM kpi_records k"
            : $"SELECT k.\"PatientId\", k.\"Kind\", k.\"Code\", k.\"Start\", k.\"End\", k.\"LegalStatus\", k.\"ReasonNewEpisode\", k.\"PlacementIcb\", k.\"Flag\", k.\"Score\" FROM kpi_records k JOIN patient_facts f ON f.\"PatientId\" = k.\"PatientId\" WHERE NOT f.\"Sealed\" AND f.\"ManagingLa\" IS NOT NULL{ofLas}";
        var count = 0;
        await using (var command = Command(connection, records, las))
        await using (var r = await command.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
            {
                if (!reading.TryGetValue(r.GetString(0), out var child)) continue;
                count++;
                var code = r.IsDBNull(2) ? null : r.GetString(2);
                var start = r.GetFieldValue<DateOnly>(3);
                switch (r.GetString(1))
                {
                    case nameof(KpiRecordKind.Episode):
                        child.Episodes.Add(new CareEpisode(start, r.IsDBNull(4) ? null : r.GetFieldValue<DateOnly>(4),
                            r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7)));
                        break;
                    case nameof(KpiRecordKind.Oc2Item):
                        child.Oc2.Add((code!, start, r.IsDBNull(8) ? null : r.GetBoolean(8), r.IsDBNull(9) ? null : r.GetInt32(9)));
                        break;
                    case nameof(KpiRecordKind.Assessment):
                        child.Assessments.Add(new DatedAssessment(code switch
                        {
                            Cla.Assessments.Initial => AssessmentKind.Initial,
                            Cla.Assessments.Review => AssessmentKind.Review,
                            _ => AssessmentKind.Dental,
                        }, start));
                        break;
                }
            }
        var read = watch.ElapsedMilliseconds;

        var icbOf = new Dictionary<string, string?>();
        var loaded = reading.Values.Select(c =>
        {
            if (!icbOf.TryGetValue(c.La, out var icb)) icbOf[c.La] = icb = directory.ParentIcbOf(c.La);
            return c.ToChild(icb);
        }).ToList();
        log.LogInformation("KPI data: {Children} children and {Records} records read in {ReadMs} ms, assembled in {AssembleMs} ms",
            loaded.Count, count, read, watch.ElapsedMilliseconds - read);
        return loaded;
    }

    static System.Data.Common.DbCommand Command(System.Data.Common.DbConnection connection, string sql, string[]? las)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; las is not null && i < las.Length; i++)
        {
            var p = command.CreateParameter();
            p.ParameterName = $"@la{i}";
            p.Value = las[i];
            command.Parameters.Add(p);
        }
        return command;
    }

    /// <summary>The LAs whose children an organisation is responsible for: an LA itself, an ICB the LAs it is parent of.</summary>
    public string[] LasOf(Organisation organisation) =>
        organisation.Kind == "la" ? [organisation.Code]
            : [.. directory.All.Where(o => o.Kind == "la" && o.ParentIcb == organisation.Code).Select(o => o.Code)];

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
