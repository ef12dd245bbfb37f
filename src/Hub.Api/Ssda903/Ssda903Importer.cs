using Hl7.Fhir.Model;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Episodes;
using Hub.Api.Fhir;
using Hub.Api.Notifications;
using Hub.Api.ReferenceData;
using Hub.Api.Search;
using Hub.Api.Storage;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Checking;
using Hub.Mappers.Ssda903.Mapping;
using Hub.Mappers.Ssda903.Reading;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Ssda903;

/// <summary>How far an import has got, for progress bars and the job status URL.</summary>
public sealed record ImportProgress(string Stage, int Done, int Total);

/// <summary>What an import did: the counts of contract section 4 and every issue found.</summary>
public sealed record ImportResult(bool Committed, int Children, int Imported, int Quarantined, int Episodes, int Created, int Updated, int Unchanged,
    IReadOnlyList<ImportIssue> Issues)
{
    public int Status => Committed ? 200 : 422;
    public string Counts => $"children={Children} imported={Imported} quarantined={Quarantined} episodes={Episodes} created={Created} updated={Updated} unchanged={Unchanged}";

    /// <summary>The result as contract section 4 writes it: counts first, then one issue per problem.</summary>
    public OperationOutcome ToOutcome()
    {
        var outcome = new OperationOutcome();
        outcome.Issue.Add(new OperationOutcome.IssueComponent
        {
            Severity = OperationOutcome.IssueSeverity.Information, Code = OperationOutcome.IssueType.Informational, Diagnostics = Counts,
        });
        foreach (var i in Issues)
            outcome.Issue.Add(new OperationOutcome.IssueComponent
            {
                Severity = i.Severity switch { IssueSeverity.Error => OperationOutcome.IssueSeverity.Error, IssueSeverity.Warning => OperationOutcome.IssueSeverity.Warning, _ => OperationOutcome.IssueSeverity.Information },
                Code = i.FileLevel ? OperationOutcome.IssueType.Structure : OperationOutcome.IssueType.BusinessRule,
                Details = new CodeableConcept { Text = i.Child is null ? i.Text : $"CHILD {i.Child}: {i.Text}" },
                Diagnostics = i.Child is null ? i.Text : $"CHILD {i.Child}: {i.Text}",
                Location = [i.Location],
                Expression = [i.Location],
            });
        return outcome;
    }
}

/// <summary>
/// An LA's SSDA903 return into the store: read (tolerant), check (strict), map each child to CLA resources, and write
/// everything in one transaction. A file-level error rejects the whole import; a row-level error quarantines only that
/// child, whose earlier state stays. Re-importing the same return changes nothing; next year's merges by (LA, CHILD, DECOM).
/// </summary>
public sealed class Ssda903Importer(HubDb db, SearchIndexer indexer, PlacementNotifier notifier, OrganisationDirectory organisations, CodeLists codes, TimeProvider clock, ILogger<Ssda903Importer> log)
{
    /// <summary>Imports the return at a path: a folder of CSV files, one EXPSSDA903 XML file, or a zip of either.</summary>
    public async Task<ImportResult> ImportAsync(Caller caller, string la, int year, string path, IProgress<ImportProgress>? progress = null, CancellationToken ct = default)
    {
        progress?.Report(new("reading", 0, 1));
        Ssda903Return ret;
        if (Directory.Exists(path))
        {
            var zips = Directory.GetFiles(path, "*.zip");
            if (zips.Length == 1 && Directory.GetFiles(path).Length == 1) { await using var z = File.OpenRead(zips[0]); ret = Ssda903Reader.ReadZip(la, year, z, name: Path.GetFileName(zips[0])); }
            else ret = Ssda903Reader.ReadFolder(la, year, path);
        }
        else if (path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)) { await using var z = File.OpenRead(path); ret = Ssda903Reader.ReadZip(la, year, z, name: Path.GetFileName(path)); }
        else ret = Ssda903Reader.Read(la, year, [InputFile.FromPath(path)]);
        return await ImportAsync(caller, ret, progress, ct);
    }

    /// <summary>Children mapped and written together: big enough for COPY to pay, small enough to keep memory flat.</summary>
    const int ChunkSize = 1000;

    public async Task<ImportResult> ImportAsync(Caller caller, Ssda903Return ret, IProgress<ImportProgress>? progress = null, CancellationToken ct = default)
    {
        var (la, year) = (ret.La, ret.Year);
        var issues = ret.Issues.ToList();
        var laOrg = organisations.Find(la);
        if (laOrg is not { Kind: "la" })
            issues.Add(new ImportIssue(IssueSeverity.Error, "(request)", null, null, null, $"LA {la} is not in the reference data"));
        if (issues.Any(i => i.FileLevel)) return Rejected(issues);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await LockAsync(la, ct);
        var sealedChildren = await db.PatientFacts.AsNoTracking().Where(f => f.ManagingLa == la && f.Sealed && f.LaChildId != null)
            .ToDictionaryAsync(f => f.LaChildId!, f => f.SealedYear ?? 0, ct);
        progress?.Report(new("checking", 0, 1));
        issues.AddRange(Ssda903Checker.Check(ret, codes, child => sealedChildren.TryGetValue(child, out var y) ? y : null));
        var quarantined = issues.Where(i => i.Severity == IssueSeverity.Error && i.Child is not null).Select(i => i.Child!).ToHashSet();
        var children = ChildRecord.Group(ret);
        var toImport = children.Where(c => !quarantined.Contains(c.ChildId)).ToList();
        var allChildren = children.Select(c => c.ChildId).Union(quarantined).Count();

        var postcodes = await db.PostcodeIcbs.AsNoTracking().ToDictionaryAsync(p => p.Prefix, p => p.Icb, ct);
        var ctx = new MappingContext(la, year, laOrg?.ParentIcb, prefix => postcodes.GetValueOrDefault(prefix), (field, code) => codes.IsValid(field, code, year));
        var run = new ImportRun(la, ctx, DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime), clock.GetUtcNow().UtcDateTime, indexer,
            laOrg?.Name ?? $"LA {la}", code => organisations.Find(code)?.Name ?? code);
        var notices = new List<PlacementNotice>();

        // A pipeline of two: while one chunk is written, the next is mapped, hashed and indexed on the other cores.
        // Lookups and writes share the transaction's connection, so they take turns; the CPU work overlaps both.
        var chunks = toImport.Chunk(ChunkSize).ToList();
        int created = 0, updated = 0, unchanged = 0, episodes = 0, done = 0;
        await using var writer = BulkWriter.For(db);
        // An LA's first return has nothing to look up: skipping the lookups spares the queries, and spares PostgreSQL
        // planning them on statistics that still say the tables are empty while this transaction fills them.
        var holdsChildren = await db.PatientFacts.AnyAsync(f => f.ManagingLa == la, ct);
        Task<StoredChunk> StoredOf(ChildRecord[] chunk) => holdsChildren ? StoredAsync(la, chunk, ct) : Task.FromResult(new StoredChunk());
        Task<PreparedChunk>? preparing = chunks.Count == 0 ? null : PrepareAsync(run, chunks[0], await StoredOf(chunks[0]));
        for (var i = 0; i < chunks.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var prepared = await preparing!;
            if (i + 1 < chunks.Count) preparing = PrepareAsync(run, chunks[i + 1], await StoredOf(chunks[i + 1]));
            await writer.WriteAsync(prepared.Batch, ct);
            issues.AddRange(prepared.Issues);
            notices.AddRange(prepared.Notices);
            (created, updated, unchanged, episodes) = (created + prepared.Created, updated + prepared.Updated, unchanged + prepared.Unchanged, episodes + prepared.Episodes);
            done += chunks[i].Length;
            progress?.Report(new("writing", done, toImport.Count));
        }
        var notified = await NotifyAsync(notices, writer, run.Now, ct);
        db.Audit.Add(AuditEvents.ToRow(new AuditRecord(caller, "$import-ssda903", AuditEvent.AuditEventOutcome.N0, null, [$"Organization/{la}"],
            Decision: $"year={year} children={allChildren} imported={toImport.Count} quarantined={quarantined.Count} created={created} updated={updated} unchanged={unchanged}"),
            clock.GetUtcNow().UtcDateTime));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        // The planner's statistics are those of before the import: a return that made the tables many times larger would
        // leave it choosing scans for index lookups (a sampled ANALYZE takes well under a second at any size).
        if (db is SqliteHubDb) await SqlitePragmas.RefreshStatisticsAsync(db, ct);
        else await db.Database.ExecuteSqlRawAsync("ANALYZE resources, search_tokens, search_references, search_dates, patient_facts", ct);
        if (notified.Count > 0) notifier.Kick();
        progress?.Report(new("done", toImport.Count, toImport.Count));
        log.LogInformation("SSDA903 import for LA {La} year {Year}: {Imported} children imported, {Quarantined} quarantined", la, year, toImport.Count, quarantined.Count);
        return new ImportResult(true, allChildren, toImport.Count, quarantined.Count, episodes, created, updated, unchanged, Order(issues));
    }

    /// <summary>
    /// A Communication for each placement in another ICB's area not notified before (contract section 6), written in
    /// the import's transaction, so a rolled-back import notifies nobody. Delivery waits for the commit.
    /// </summary>
    async Task<List<string>> NotifyAsync(List<PlacementNotice> notices, BulkWriter writer, DateTime now, CancellationToken ct)
    {
        if (notices.Count == 0) return [];
        var keys = notices.Select(n => n.Key).ToList();
        var known = (await db.Tokens.AsNoTracking()
            .Where(t => t.Type == "Communication" && t.Param == "identifier" && t.System == PlacementNotice.IdentifierSystem && keys.Contains(t.Code))
            .Select(t => t.Code).ToListAsync(ct)).ToHashSet();
        var batch = new BulkBatch();
        foreach (var notice in notices.Where(n => !known.Contains(n.Key)))
        {
            var communication = notice.ToCommunication(notifier.PublicBaseUrl);
            communication.Id = StableId(Key(PlacementNotice.IdentifierSystem, notice.Key));
            batch.Created.Add(ResourceStore.Stage(communication, 0, "POST", indexer.Extract(communication), notice.PatientId, now));
        }
        await writer.WriteAsync(batch, ct);
        // Their delivery rows go in the same transaction: a committed notification is never left without its delivery.
        foreach (var c in batch.Created) db.NotificationDeliveries.Add(PlacementNotifier.Pending(c.Row.Id, now));
        return [.. batch.Created.Select(c => c.Row.Id)];
    }

    /// <summary>
    /// Two imports for the same LA run one after the other: each reads what the other would write. SQLite's write
    /// transaction already serialises them; PostgreSQL needs a lock held to the end of the transaction.
    /// </summary>
    async Task LockAsync(string la, CancellationToken ct)
    {
        if (db is not PostgresHubDb) return;
        var key = BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("ssda903-import|" + la)));
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({key})", ct);
        // The chunk lookups are index lookups only if the planner knows how big the tables are; autovacuum may not have
        // analysed what the last import committed a moment ago. Sampling three tables costs well under a second.
        await db.Database.ExecuteSqlRawAsync("ANALYZE resources, search_tokens, patient_facts", ct);
    }

    /// <summary>What one import needs beside each child: the LA, the mapping context, today and the write time.</summary>
    sealed record ImportRun(string La, MappingContext Context, DateOnly Today, DateTime Now, SearchIndexer Indexer, string LaName, Func<string, string> OrganisationName);

    /// <summary>A chunk mapped and staged: the rows to write, the warnings found, and the counts.</summary>
    sealed record PreparedChunk(BulkBatch Batch, List<ImportIssue> Issues, int Created, int Updated, int Unchanged, int Episodes, List<PlacementNotice> Notices);

    /// <summary>One child's part of a chunk.</summary>
    sealed class ChildWrite
    {
        public List<StagedRows> Created { get; } = [];
        public List<(StagedRows, int)> Updated { get; } = [];
        public List<ImportIssue> Issues { get; } = [];
        public int Unchanged { get; set; }
        public int Episodes { get; set; }
        public required PatientFactsRow Facts { get; init; }
        public PlacementNotice? Notice { get; set; }
    }

    static Task<PreparedChunk> PrepareAsync(ImportRun run, ChildRecord[] chunk, StoredChunk stored) => Task.Run(() =>
    {
        var writes = chunk.AsParallel().AsOrdered().Select(child => Prepare(run, child, stored)).ToList();
        var batch = new BulkBatch();
        var issues = new List<ImportIssue>();
        foreach (var w in writes)
        {
            batch.Created.AddRange(w.Created);
            batch.Updated.AddRange(w.Updated);
            batch.Facts.Add(w.Facts);
            issues.AddRange(w.Issues);
        }
        return new PreparedChunk(batch, issues, writes.Sum(w => w.Created.Count), writes.Sum(w => w.Updated.Count), writes.Sum(w => w.Unchanged), writes.Sum(w => w.Episodes),
            [.. writes.Select(w => w.Notice).OfType<PlacementNotice>()]);
    });

    /// <summary>One child: mapped, merged with what is stored, staged where changed, and its facts brought up to date. Pure but for the parse of stored JSON.</summary>
    static ChildWrite Prepare(ImportRun run, ChildRecord child, StoredChunk stored)
    {
        var (la, ctx) = (run.La, run.Context);
        var knownPatient = stored.Patients.GetValueOrDefault(child.ChildId);
        var patientId = knownPatient?.Id ?? StableId(Key(Cla.ChildIdSystem(la), child.ChildId));
        var mapped = ChildMapper.Map(child, patientId, ctx);
        var facts = stored.Facts.GetValueOrDefault(patientId) ?? new PatientFactsRow { PatientId = patientId, ManagingLa = la };
        var write = new ChildWrite { Facts = facts, Episodes = mapped.Episodes.Count };

        // Episodes of earlier returns that this one does not repeat still count for the child's status.
        var returned = mapped.Episodes.Select(e => Key(e.Identifier[0].System!, e.Identifier[0].Value!)).ToHashSet();
        var earlier = stored.EpisodesOf(patientId).Where(r => !returned.Contains(r.Key!))
            .Select(r => (EpisodeOfCare)FhirFormat.ParseJson(r.Json!)).ToList();
        foreach (var open in earlier.Where(e => e.Status == EpisodeOfCare.EpisodeOfCareStatus.Active))
            write.Issues.Add(new ImportIssue(IssueSeverity.Warning, "episodes", null, "DECOM", null,
                $"the episode open since {open.Period?.Start} in an earlier return is missing from this one (no carry-over); it is kept as it was", child.ChildId));

        // Most stored Patients are exactly what the import wrote last time: only one that differs is parsed and merged.
        var patient = knownPatient is { Deleted: false, Hash: { } storedHash } && storedHash == ResourceStore.Hash(mapped.Patient)
            ? mapped.Patient
            : MergePatient(knownPatient is { Deleted: false } ? knownPatient.Json : null, mapped.Patient);
        Stage(run, write, patient, knownPatient, patientId);
        // Staged first, so the episodes have the ids a placement notice names.
        foreach (var e in mapped.Episodes) Stage(run, write, e, stored.Find(e), patientId);
        var nhsNumber = patient.Identifier.FirstOrDefault(i => i.System == PatientFacts.NhsNumberSystem)?.Value;
        var standing = ChildStanding.Of(new ChildIds(child.ChildId, patientId, nhsNumber), child.BirthDate, [.. mapped.Episodes, .. earlier], ctx,
            run.LaName, run.OrganisationName, run.Today, inCareLeaverReturn: child.Oc3 is not null);
        write.Notice = standing.Notice;
        foreach (var o in mapped.Observations) Stage(run, write, o, stored.Find(o), patientId);
        foreach (var flag in standing.Flags)
        {
            var current = stored.Find(flag);
            // A flag that never applied is not written; one that applied keeps its history as inactive.
            if (flag.Status == Flag.FlagStatus.Inactive && current is not { Deleted: false }) continue;
            Stage(run, write, flag, current, patientId);
        }

        facts.LaChildId = child.ChildId;
        facts.ManagingLa = la;
        facts.NhsNumber = nhsNumber;
        facts.BirthDate = child.BirthDate;
        facts.RegisteredGp = PatientFacts.From(patient).RegisteredGp;
        standing.ApplyTo(facts, ctx.Year);
        return write;
    }

    /// <summary>Stages a resource unless the hub already holds the same content; a deleted one comes back as a new version.</summary>
    static void Stage(ImportRun run, ChildWrite write, Resource resource, StoredResource? current, string patientId)
    {
        resource.Id = current?.Id ?? (resource is Patient ? patientId : StableId(IdentifierKey(resource)));
        // A new resource needs no hash to compare: Stage computes it from the one serialisation it makes anyway.
        var hash = current is null ? null : ResourceStore.Hash(resource);
        if (current is { Deleted: false, Hash: { } stored } && stored == hash) { write.Unchanged++; return; }
        var rows = ResourceStore.Stage(resource, current?.Version ?? 0, current is null ? "POST" : "PUT", run.Indexer.Extract(resource), patientId, run.Now, hash);
        if (current is null) write.Created.Add(rows); else write.Updated.Add((rows, current.Version));
    }

    static ImportResult Rejected(List<ImportIssue> issues) => new(false, 0, 0, 0, 0, 0, 0, 0, Order(issues));

    static IReadOnlyList<ImportIssue> Order(IEnumerable<ImportIssue> issues) =>
        issues.OrderBy(i => i.Severity).ThenBy(i => i.File, StringComparer.Ordinal).ThenBy(i => i.Row ?? 0).ToList();

    static string Key(string system, string value) => system + "|" + value;

    /// <summary>A new resource's id, the same for the same identifier, so a child keeps its ids however often it is imported.</summary>
    static string StableId(string key) => StableIds.OfKey(key);

    /// <summary>An import never takes away what others wrote on a Patient (names, GP, NHS number): it sets what the 903 says.</summary>
    static Patient MergePatient(string? storedJson, Patient mapped)
    {
        if (storedJson is null) return mapped;
        var current = (Patient)FhirFormat.ParseJson(storedJson);
        foreach (var id in mapped.Identifier.Where(m => !current.Identifier.Any(c => c.System == m.System && c.Value == m.Value)))
        {
            current.Identifier.RemoveAll(c => c.System == id.System);
            current.Identifier.Add(id);
        }
        current.BirthDate = mapped.BirthDate;
        current.Gender = mapped.Gender ?? current.Gender;
        current.ManagingOrganization = mapped.ManagingOrganization;
        // A registration the return names replaces the one held; a return silent on it leaves what the LA recorded through /fhir.
        if (mapped.GeneralPractitioner.Count > 0) current.GeneralPractitioner = mapped.GeneralPractitioner;
        foreach (var ext in mapped.Extension)
        {
            current.Extension.RemoveAll(e => e.Url == ext.Url);
            current.Extension.Add(ext);
        }
        current.Meta ??= new Meta();
        var claPatient = mapped.Meta?.Profile.FirstOrDefault();
        if (claPatient is not null && !current.Meta.Profile.Contains(claPatient)) current.Meta.Profile = [.. current.Meta.Profile, claPatient];
        return current;
    }

    static string IdentifierKey(Resource r)
    {
        var id = r switch
        {
            EpisodeOfCare e => e.Identifier[0], Observation o => o.Identifier[0], Flag f => f.Identifier[0],
            _ => throw new ArgumentException($"An imported {r.TypeName} has no identifier"),
        };
        return Key(id.System!, id.Value!);
    }

    /// <summary>A stored resource of an imported child: known by its identifier (Key), or, once deleted and so unindexed, by its id.</summary>
    sealed record StoredResource(string Type, string Id, int Version, string? Hash, bool Deleted, string? Key, string? Json);

    /// <summary>What the hub holds of one chunk's children: their Patients by CHILD, their imported resources, and their facts.</summary>
    sealed class StoredChunk
    {
        public Dictionary<string, StoredResource> Patients { get; } = [];
        public Dictionary<string, StoredResource> ByKey { get; } = [];
        public Dictionary<(string Type, string Id), StoredResource> ById { get; } = [];
        public Dictionary<string, List<StoredResource>> Episodes { get; } = [];
        public Dictionary<string, PatientFactsRow> Facts { get; } = [];

        public IEnumerable<StoredResource> EpisodesOf(string patientId) =>
            Episodes.TryGetValue(patientId, out var e) ? e.Where(r => !r.Deleted && r.Key is not null && r.Json is not null) : [];

        /// <summary>The stored version of an imported resource: by its identifier, or by the id the import gives that identifier.</summary>
        public StoredResource? Find(Resource r)
        {
            var key = IdentifierKey(r);
            return ByKey.GetValueOrDefault(key) ?? (ById.Count == 0 ? null : ById.GetValueOrDefault((r.TypeName, StableId(key))));
        }
    }

    /// <summary>Three queries per chunk, each by index: Patients by CHILD id (and by the id an import gives them), their resources, their facts.</summary>
    async Task<StoredChunk> StoredAsync(string la, ChildRecord[] chunk, CancellationToken ct)
    {
        var stored = new StoredChunk();
        var childSystem = Cla.ChildIdSystem(la);
        var childIds = chunk.Select(c => c.ChildId).ToList();
        var byStableId = chunk.ToDictionary(c => StableId(Key(childSystem, c.ChildId)), c => c.ChildId);
        var stableIds = byStableId.Keys.ToList();

        var indexed = await (from t in db.Tokens.AsNoTracking()
                             where t.Type == "Patient" && t.Param == "identifier" && t.System == childSystem && childIds.Contains(t.Code)
                             join r in db.Resources.AsNoTracking() on new { t.Type, t.Id } equals new { r.Type, r.Id }
                             select new { t.Code, r.Id, r.Version, r.ContentHash, r.Deleted, r.Json }).ToListAsync(ct);
        foreach (var p in indexed) stored.Patients[p.Code] = new StoredResource("Patient", p.Id, p.Version, p.ContentHash, p.Deleted, null, p.Json);
        var byId = await db.Resources.AsNoTracking().Where(r => r.Type == "Patient" && stableIds.Contains(r.Id))
            .Select(r => new { r.Id, r.Version, r.ContentHash, r.Deleted, r.Json }).ToListAsync(ct);
        foreach (var p in byId)
            stored.Patients.TryAdd(byStableId[p.Id], new StoredResource("Patient", p.Id, p.Version, p.ContentHash, p.Deleted, null, p.Json));

        var patientIds = stored.Patients.Values.Select(p => p.Id).ToList();
        if (patientIds.Count == 0) return stored;
        string[] systems = [Cla.EpisodeIdSystem(la), Cla.ObservationIdSystem(la), Cla.FlagIdSystem(la)];
        string[] types = ["EpisodeOfCare", "Observation", "Flag"];
        var resources = await (from r in db.Resources.AsNoTracking()
                               where r.PatientId != null && patientIds.Contains(r.PatientId) && types.Contains(r.Type)
                               join t in db.Tokens.AsNoTracking().Where(t => t.Param == "identifier" && systems.Contains(t.System))
                                   on new { r.Type, r.Id } equals new { t.Type, t.Id } into ids
                               from t in ids.DefaultIfEmpty()
                               select new { r.Type, r.Id, r.PatientId, r.Version, r.ContentHash, r.Deleted, t.System, Code = (string?)t.Code, Json = r.Type == "EpisodeOfCare" ? r.Json : null })
                              .ToListAsync(ct);
        foreach (var r in resources)
        {
            var resource = new StoredResource(r.Type, r.Id, r.Version, r.ContentHash, r.Deleted, r.Code is null ? null : Key(r.System!, r.Code), r.Json);
            if (resource.Key is not null) stored.ByKey[resource.Key] = resource;
            stored.ById[(r.Type, r.Id)] = resource;
            if (r.Type == "EpisodeOfCare")
            {
                if (!stored.Episodes.TryGetValue(r.PatientId!, out var list)) stored.Episodes[r.PatientId!] = list = [];
                list.Add(resource);
            }
        }
        foreach (var f in await db.PatientFacts.AsNoTracking().Where(f => patientIds.Contains(f.PatientId)).ToListAsync(ct))
            stored.Facts[f.PatientId] = f;
        return stored;
    }
}
