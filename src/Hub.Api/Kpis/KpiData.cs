using System.Text.Json;
using Hub.Api.ReferenceData;
using Hub.Api.Storage;
using Hub.Mappers.Kpis;
using Hub.Mappers.Ssda903.Mapping;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Kpis;

/// <summary>
/// Loads what the KPIs need for a set of LAs (null: the whole hub), set-based: four queries run side by side on their
/// own connections (the children's facts, their episodes, their OC2 items, their dated assessments), never one per
/// child. Assessments come from the search index alone; episodes and OC2 items are read from their JSON, parsed in
/// parallel with a forward-only reader for the few fields needed. Sealed (adopted) children are left out at the source.
/// </summary>
public sealed class KpiData(HubDbFactory dbs, OrganisationDirectory directory, KpiSnapshots snapshots)
{
    static readonly string[] Oc2Codes = ["health-assessment-up-to-date", "immunisations-up-to-date", "dental-check-up-to-date", "sdq-total-score"];
    static readonly string[] AssessmentCodes = [Cla.Assessments.Initial, Cla.Assessments.Review, "dental-check"];
    static readonly string[] NotHeld = ["entered-in-error", "cancelled"];

    sealed record Child(string Id, string La, DateOnly? BirthDate);
    sealed record Row(string PatientId, string Json);
    sealed record AssessmentRow(string PatientId, string Code, DateTime Start);

    /// <summary>The children of these LAs (null: all), as loaded at most <see cref="KpiSnapshots.Lifetime"/> ago.</summary>
    public Task<IReadOnlyList<KpiChild>> LoadAsync(string[]? las, CancellationToken ct) =>
        snapshots.GetOrLoad(las is null ? "*" : string.Join(',', las.Order(StringComparer.Ordinal)), () => LoadNowAsync(las, CancellationToken.None));

    async Task<IReadOnlyList<KpiChild>> LoadNowAsync(string[]? las, CancellationToken ct)
    {
        var childrenTask = Query(db => Children(db, las).Select(f => new Child(f.PatientId, f.ManagingLa!, f.BirthDate)).ToListAsync(ct));
        var episodesTask = Query(db => (from r in db.Resources
                                        join f in Children(db, las) on r.PatientId equals f.PatientId
                                        where r.Type == "EpisodeOfCare" && !r.Deleted
                                        select new Row(r.PatientId!, r.Json)).ToListAsync(ct));
        var oc2Task = Query(db => (from t in db.Tokens
                                   join r in db.Resources on new { t.Type, t.Id } equals new { r.Type, r.Id }
                                   join f in Children(db, las) on r.PatientId equals f.PatientId
                                   where t.Type == "Observation" && t.Param == "code" && t.System == Cla.HealthSystem && Oc2Codes.Contains(t.Code) && !r.Deleted
                                   select new Row(r.PatientId!, r.Json)).ToListAsync(ct));
        var assessmentsTask = Query(db => (from t in db.Tokens
                                           join r in db.Resources on new { t.Type, t.Id } equals new { r.Type, r.Id }
                                           join d in db.Dates on new { t.Type, t.Id } equals new { d.Type, d.Id }
                                           join f in Children(db, las) on r.PatientId equals f.PatientId
                                           where t.Type == "Encounter" && t.Param == "type" && t.System == Cla.HealthSystem && AssessmentCodes.Contains(t.Code)
                                                 && d.Param == "date" && !r.Deleted
                                                 && !db.Tokens.Any(s => s.Type == "Encounter" && s.Id == t.Id && s.Param == "status" && NotHeld.Contains(s.Code))
                                           select new AssessmentRow(r.PatientId!, t.Code, d.Start)).ToListAsync(ct));
        await Task.WhenAll(childrenTask, episodesTask, oc2Task, assessmentsTask);

        var episodes = Parse(episodesTask.Result, Episode);
        var oc2 = Parse(oc2Task.Result, Oc2Item);
        var assessments = assessmentsTask.Result.ToLookup(a => a.PatientId, a => new DatedAssessment(
            a.Code switch { Cla.Assessments.Initial => AssessmentKind.Initial, Cla.Assessments.Review => AssessmentKind.Review, _ => AssessmentKind.Dental },
            DateOnly.FromDateTime(a.Start)));
        var icbOf = new Dictionary<string, string?>();
        return childrenTask.Result.Select(c =>
        {
            if (!icbOf.TryGetValue(c.La, out var icb)) icbOf[c.La] = icb = directory.ParentIcbOf(c.La);
            return new KpiChild(c.Id, c.BirthDate, icb, episodes[c.Id].ToList(),
                oc2[c.Id].GroupBy(o => o.Date).Select(g => new Oc2Items(g.Key,
                    g.LastOrDefault(o => o.Code == "health-assessment-up-to-date")?.Flag,
                    g.LastOrDefault(o => o.Code == "immunisations-up-to-date")?.Flag,
                    g.LastOrDefault(o => o.Code == "dental-check-up-to-date")?.Flag,
                    g.LastOrDefault(o => o.Code == "sdq-total-score")?.Score)).ToList(),
                assessments[c.Id].ToList());
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

    /// <summary>Parses rows on all cores; a row that does not parse (a REST write the hub could not read) is left out.</summary>
    static ILookup<string, T> Parse<T>(List<Row> rows, Func<string, T?> parse) where T : class
    {
        var parsed = new T?[rows.Count];
        Parallel.For(0, rows.Count, i => parsed[i] = parse(rows[i].Json));
        return Enumerable.Range(0, rows.Count).Where(i => parsed[i] is not null).ToLookup(i => rows[i].PatientId, i => parsed[i]!);
    }

    sealed record Oc2Row(string Code, DateOnly Date, bool? Flag, int? Score);

    static readonly string LegalStatus = Cla.Extension("cla-legal-status"), ReasonNewEpisode = Cla.Extension("cla-reason-new-episode"),
        PlacementIcb = Cla.Extension("cla-placement-icb");

    /// <summary>An EpisodeOfCare's period, legal status, RNE and placement ICB.</summary>
    static CareEpisode? Episode(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (!root.TryGetProperty("period", out var period) || !period.TryGetProperty("start", out var start)
            || !ChildMapper.TryDay(start.GetString(), out var from)) return null;
        DateOnly? to = period.TryGetProperty("end", out var end) && ChildMapper.TryDay(end.GetString(), out var e) ? e : null;
        string? ls = null, rne = null, icb = null;
        if (root.TryGetProperty("extension", out var extensions))
            foreach (var x in extensions.EnumerateArray())
            {
                var url = x.TryGetProperty("url", out var u) ? u.GetString() : null;
                if (url == LegalStatus) ls = CodeOf(x);
                else if (url == ReasonNewEpisode) rne = CodeOf(x);
                else if (url == PlacementIcb && x.TryGetProperty("valueReference", out var r) && r.TryGetProperty("reference", out var rr))
                    icb = rr.GetString()?.Split('/').Last();
            }
        return new CareEpisode(from, to, ls, rne, icb);
    }

    static string? CodeOf(JsonElement extension) =>
        extension.TryGetProperty("valueCoding", out var c) && c.TryGetProperty("code", out var code) ? code.GetString() : null;

    /// <summary>An OC2 Observation's item, day and value; one entered in error is not held.</summary>
    static Oc2Row? Oc2Item(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.TryGetProperty("status", out var status) && status.GetString() is "entered-in-error" or "cancelled") return null;
        if (!root.TryGetProperty("effectiveDateTime", out var effective) || !ChildMapper.TryDay(effective.GetString(), out var day)) return null;
        var code = root.GetProperty("code").GetProperty("coding").EnumerateArray()
            .Where(c => c.TryGetProperty("system", out var s) && s.GetString() == Cla.HealthSystem)
            .Select(c => c.GetProperty("code").GetString()).FirstOrDefault(c => c is not null && Oc2Codes.Contains(c));
        if (code is null) return null;
        bool? flag = root.TryGetProperty("valueBoolean", out var b) && b.ValueKind is JsonValueKind.True or JsonValueKind.False ? b.GetBoolean() : null;
        int? score = root.TryGetProperty("valueInteger", out var n) && n.TryGetInt32(out var v) ? v : null;
        return new Oc2Row(code, day, flag, score);
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
