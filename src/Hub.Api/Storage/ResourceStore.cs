using Hl7.Fhir.Model;
using Hub.Api.Fhir;
using Hub.Api.Search;
using Hub.Mappers.Kpis;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Storage;

/// <summary>A stored resource with the facts about its patient, read in one query.</summary>
/// <summary>A stored resource with its patient's facts; <see cref="HasConsents"/> when the read also asked whether the child has Consents (null: not asked).</summary>
public sealed record Stored(ResourceRow Row, PatientFactsRow? Facts, bool? HasConsents = null);

/// <summary>The rows one write of a resource makes: its current row, its version, and its search index.</summary>
public sealed record StagedRows(ResourceRow Row, ResourceVersionRow Version, IndexRows Index);

/// <summary>A resource's search index as rows of the four index tables, and what the KPIs read from it (if anything).</summary>
public sealed record IndexRows(List<TokenIndexRow> Tokens, List<ReferenceIndexRow> References, List<DateIndexRow> Dates, List<StringIndexRow> Strings,
    KpiRecordRow? Kpi)
{
    public static IndexRows Of(string type, string id, IndexEntries index, KpiRecordRow? kpi) => new(
        [.. index.Tokens.Distinct().Select(t => new TokenIndexRow { Type = type, Id = id, Param = t.Param, System = t.System ?? "", Code = t.Code })],
        [.. index.References.Distinct().Select(r => new ReferenceIndexRow { Type = type, Id = id, Param = r.Param, TargetType = r.TargetType, TargetId = r.TargetId })],
        [.. index.Dates.Distinct().Select(d => new DateIndexRow { Type = type, Id = id, Param = d.Param, Start = d.Start, End = d.End })],
        [.. index.Strings.Distinct().Select(s => new StringIndexRow { Type = type, Id = id, Param = s.Param, Value = s.Value })],
        kpi);
}

/// <summary>
/// Keeps resources as FHIR JSON with full history and their search index. It stages writes on the
/// caller's DbContext; the caller commits them, with the audit, in one transaction.
/// </summary>
public sealed class ResourceStore(HubDb db, TimeProvider clock)
{
    public HubDb Db => db;

    // Compiled once per provider: a compiled query is bound to one model, and each provider has its own.
    static Func<HubDb, string, string, Task<Stored?>> CompileRead() =>
        EF.CompileAsyncQuery((HubDb d, string type, string id) =>
            (from r in d.Resources.AsNoTracking()
             where r.Type == type && r.Id == id
             join f in d.PatientFacts.AsNoTracking() on r.PatientId equals f.PatientId into facts
             from f in facts.DefaultIfEmpty()
             // Most children have no Consent: asking here (an index probe) spares the decision its own query for them.
             select new Stored(r, f, d.Resources.Any(c => c.PatientId == r.PatientId && c.Type == "Consent" && !c.Deleted))).FirstOrDefault());

    static readonly Func<HubDb, string, string, Task<Stored?>> ReadSqlite = CompileRead(), ReadPostgres = CompileRead();

    /// <summary>The current version of a resource (deleted ones included) with its patient's facts and whether the child has Consents, in one query.</summary>
    public Task<Stored?> ReadAsync(string type, string id) =>
        (db is PostgresHubDb ? ReadPostgres : ReadSqlite)(db, type, id);

    public Task<PatientFactsRow?> FactsAsync(string patientId) =>
        db.PatientFacts.AsNoTracking().FirstOrDefaultAsync(f => f.PatientId == patientId);

    public Task<ResourceVersionRow?> VersionAsync(string type, string id, int version) =>
        db.Versions.AsNoTracking().FirstOrDefaultAsync(v => v.Type == type && v.Id == id && v.Version == version);

    public Task<List<ResourceVersionRow>> HistoryAsync(string type, string id, int count, int offset) =>
        db.Versions.AsNoTracking().Where(v => v.Type == type && v.Id == id)
            .OrderByDescending(v => v.Version).Skip(offset).Take(count).ToListAsync();

    public Task<int> HistoryCountAsync(string type, string id) =>
        db.Versions.CountAsync(v => v.Type == type && v.Id == id);

    /// <summary>The Patient a resource belongs to, from its indexed `patient`/`subject` references.</summary>
    public static string? CompartmentOf(Resource resource, IndexEntries index) =>
        resource is Patient ? resource.Id
        : index.References.FirstOrDefault(r => r.TargetType == "Patient" && r.Param is "patient" or "subject" or "beneficiary").TargetId;

    /// <summary>Stages a new resource (version 1) or a new version of an existing one; nothing is saved here.</summary>
    public async Task<ResourceRow> StageWriteAsync(Resource resource, ResourceRow? current, string method, IndexEntries index, string? patientId, string? hash = null)
    {
        var staged = Stage(resource, current?.Version ?? 0, method, index, patientId, clock.GetUtcNow().UtcDateTime, hash);
        var row = staged.Row;
        if (current is null) db.Resources.Add(row);
        else
        {
            db.Resources.Attach(current); // tracked with its original version, which is the concurrency token
            current.Version = row.Version; current.LastUpdated = row.LastUpdated; current.PatientId = row.PatientId;
            current.Json = row.Json; current.Deleted = false; current.ContentHash = row.ContentHash;
            row = current;
            await DeleteIndexAsync(row.Type, row.Id);
        }
        db.Versions.Add(staged.Version);
        db.Tokens.AddRange(staged.Index.Tokens);
        db.References.AddRange(staged.Index.References);
        db.Dates.AddRange(staged.Index.Dates);
        db.Strings.AddRange(staged.Index.Strings);
        if (staged.Index.Kpi is { } kpi) db.KpiRecords.Add(kpi);
        if (resource is Patient p) await StageFactsAsync(p);
        return row;
    }

    /// <summary>
    /// The rows one write makes, the next version after <paramref name="currentVersion"/> (0 for a new resource): pure,
    /// so the bulk import can make them in parallel and write them its own way. Sets the resource's meta version and date.
    /// </summary>
    /// <param name="hash">The content hash when the caller already has it (<see cref="Hash"/>), so it is not computed twice.</param>
    public static StagedRows Stage(Resource resource, int currentVersion, string method, IndexEntries index, string? patientId, DateTime now, string? hash = null)
    {
        now = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc); // both providers keep milliseconds
        var version = currentVersion + 1;
        var type = resource.TypeName;
        var id = resource.Id ?? throw new ArgumentException("A resource must have its id before it is stored", nameof(resource));
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = null;
        resource.Meta.LastUpdated = null;
        // One serialisation serves both the hash (content without version and date) and the stored JSON (with them).
        var (content, contentHash) = FhirFormat.WithJson(resource, bytes => (System.Text.Encoding.UTF8.GetString(bytes), hash ?? HashOf(bytes)));
        hash = contentHash;
        resource.Meta.VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        resource.Meta.LastUpdated = new DateTimeOffset(now);
        var json = StoredJson.WithVersion(content, type, id, resource.Meta.VersionId, new DateTimeOffset(now))
            ?? FhirFormat.SerializeToString(resource);
        return new StagedRows(
            new ResourceRow { Type = type, Id = id, Version = version, LastUpdated = now, PatientId = patientId, Json = json, ContentHash = hash },
            new ResourceVersionRow { Type = type, Id = id, Version = version, LastUpdated = now, Method = method, Json = json },
            IndexRows.Of(type, id, index, KpiRecordRow.Of(type, id, patientId, KpiRecord.Of(resource))));
    }

    /// <summary>SHA-256 of a resource's content, its meta version and date left out, so equal content hashes equal.</summary>
    public static string Hash(Resource resource)
    {
        var (version, updated) = (resource.Meta?.VersionId, resource.Meta?.LastUpdated);
        if (resource.Meta is { } m) { m.VersionId = null; m.LastUpdated = null; }
        var hash = FhirFormat.WithJson(resource, HashOf);
        if (resource.Meta is { } m2) { m2.VersionId = version; m2.LastUpdated = updated; }
        return hash;
    }

    static string HashOf(ReadOnlySpan<byte> json) => Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(json));

    public async Task StageDeleteAsync(ResourceRow current)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        db.Resources.Attach(current);
        current.Version += 1; current.LastUpdated = now; current.Deleted = true;
        db.Versions.Add(new ResourceVersionRow { Type = current.Type, Id = current.Id, Version = current.Version, LastUpdated = now, Deleted = true, Method = "DELETE", Json = current.Json });
        await DeleteIndexAsync(current.Type, current.Id);
    }

    /// <summary>One command for the index tables: an update pays one round trip for this, not five.</summary>
    Task DeleteIndexAsync(string type, string id) => db.Database.ExecuteSqlRawAsync(DeleteIndexSql, type, id);

    static readonly string DeleteIndexSql = string.Concat(
        new[] { "search_tokens", "search_references", "search_dates", "search_strings", "kpi_records" }
            .Select(t => $"DELETE FROM {t} WHERE \"Type\" = {{0}} AND \"Id\" = {{1}};"));

    async Task StageFactsAsync(Patient p)
    {
        var facts = await db.PatientFacts.FirstOrDefaultAsync(f => f.PatientId == p.Id);
        if (facts is null) db.PatientFacts.Add(facts = new PatientFactsRow { PatientId = p.Id! });
        var derived = PatientFacts.From(p);
        facts.NhsNumber = derived.NhsNumber;
        facts.ManagingLa = derived.ManagingLa;
        facts.RegisteredGp = derived.RegisteredGp;
        facts.BirthDate = derived.BirthDate;
        facts.LaChildId = derived.LaChildId;
    }
}
