using Hl7.Fhir.Model;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Fhir;
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
public sealed class Ssda903Importer(HubDb db, ResourceStore store, SearchIndexer indexer, OrganisationDirectory organisations, CodeLists codes, TimeProvider clock, ILogger<Ssda903Importer> log)
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

    public async Task<ImportResult> ImportAsync(Caller caller, Ssda903Return ret, IProgress<ImportProgress>? progress = null, CancellationToken ct = default)
    {
        var (la, year) = (ret.La, ret.Year);
        var issues = ret.Issues.ToList();
        var laOrg = organisations.Find(la);
        if (laOrg is not { Kind: "la" })
            issues.Add(new ImportIssue(IssueSeverity.Error, "(request)", null, null, null, $"LA {la} is not in the reference data"));
        if (issues.Any(i => i.FileLevel)) return Rejected(issues);

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
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);

        // What the hub already holds of this LA's imported children, found by the identifiers the import gives them.
        var existing = await ExistingAsync(la, ct);
        var facts = await db.PatientFacts.Where(f => f.ManagingLa == la && f.LaChildId != null).ToDictionaryAsync(f => f.LaChildId!, ct);
        // Each child's stored episodes, found once: looking them up per child across all of the LA's resources was quadratic.
        var storedEpisodes = existing.Values.Where(r => r.Type == "EpisodeOfCare" && r.PatientId is not null).ToLookup(r => r.PatientId!);
        int created = 0, updated = 0, unchanged = 0, episodes = 0, done = 0;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var child in toImport)
        {
            ct.ThrowIfCancellationRequested();
            var patientKey = Key(Cla.ChildIdSystem(la), child.ChildId);
            var patientId = existing.TryGetValue(patientKey, out var known) ? known.Id : StableId(patientKey);
            var mapped = ChildMapper.Map(child, patientId, ctx);

            // Episodes of earlier returns that this one does not repeat still count for the child's status.
            var returned = mapped.Episodes.Select(e => Key(e.Identifier[0].System!, e.Identifier[0].Value!)).ToHashSet();
            var earlier = storedEpisodes[patientId].Where(r => !returned.Contains(r.Key))
                .Select(r => (EpisodeOfCare)FhirFormat.ParseJson(r.Json!)).ToList();
            foreach (var open in earlier.Where(e => e.Status == EpisodeOfCare.EpisodeOfCareStatus.Active))
                issues.Add(new ImportIssue(IssueSeverity.Warning, "episodes", null, "DECOM", null,
                    $"the episode open since {open.Period?.Start} in an earlier return is missing from this one (no carry-over); it is kept as it was", child.ChildId));
            var status = CareStatus.Of(child.BirthDate, mapped.Episodes.Concat(earlier).Select(ChildMapper.FactsOf).ToList(), ctx.LaIcb, today);

            var patient = MergePatient(known, mapped.Patient);
            (created, updated, unchanged) = Add(await WriteAsync(patient, existing.GetValueOrDefault(patientKey), patientId, ct), created, updated, unchanged);
            foreach (var e in mapped.Episodes)
                (created, updated, unchanged) = Add(await WriteAsync(e, existing.GetValueOrDefault(Key(e.Identifier[0].System!, e.Identifier[0].Value!)), patientId, ct), created, updated, unchanged);
            foreach (var o in mapped.Observations)
                (created, updated, unchanged) = Add(await WriteAsync(o, existing.GetValueOrDefault(Key(o.Identifier[0].System!, o.Identifier[0].Value!)), patientId, ct), created, updated, unchanged);
            foreach (var flag in ChildMapper.Flags(child.ChildId, patientId, status, ctx, today))
            {
                var key = Key(flag.Identifier[0].System!, flag.Identifier[0].Value!);
                var current = existing.GetValueOrDefault(key);
                // A flag that never applied is not written; one that applied keeps its history as inactive.
                if (flag.Status == Flag.FlagStatus.Inactive && current is null) continue;
                (created, updated, unchanged) = Add(await WriteAsync(flag, current, patientId, ct), created, updated, unchanged);
            }
            episodes += mapped.Episodes.Count;

            if (!facts.TryGetValue(child.ChildId, out var f)) db.PatientFacts.Add(f = facts[child.ChildId] = new PatientFactsRow { PatientId = patientId, LaChildId = child.ChildId, ManagingLa = la });
            // Rows saved by an earlier batch are no longer tracked once the tracker is cleared: track this one again before changing it.
            else if (db.Entry(f).State == EntityState.Detached) db.PatientFacts.Attach(f);
            f.NhsNumber = patient.Identifier.FirstOrDefault(i => i.System == PatientFacts.NhsNumberSystem)?.Value;
            f.BirthDate = child.BirthDate;
            if (status.Adopted && !f.Sealed) f.SealedYear = year;
            f.Sealed = status.Adopted;
            f.LookedAfter = status.LookedAfter;
            f.PlacementIcb = status.PlacementIcb;
            f.LastPlacementIcb = status.LastPlacementIcb;
            f.LastPlacementEnded = status.LastPlacementEnded;
            f.CareLeaverUntil = status.EligibleUntil;

            if (++done % 500 == 0)
            {
                await db.SaveChangesAsync(ct);
                db.ChangeTracker.Clear();
                progress?.Report(new("writing", done, toImport.Count));
            }
        }
        db.Audit.Add(AuditEvents.ToRow(new AuditRecord(caller, "$import-ssda903", AuditEvent.AuditEventOutcome.N0, null, [$"Organization/{la}"],
            Decision: $"year={year} children={allChildren} imported={toImport.Count} quarantined={quarantined.Count} created={created} updated={updated} unchanged={unchanged}"),
            clock.GetUtcNow().UtcDateTime));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        progress?.Report(new("done", toImport.Count, toImport.Count));
        log.LogInformation("SSDA903 import for LA {La} year {Year}: {Imported} children imported, {Quarantined} quarantined", la, year, toImport.Count, quarantined.Count);
        return new ImportResult(true, allChildren, toImport.Count, quarantined.Count, episodes, created, updated, unchanged, Order(issues));
    }

    static ImportResult Rejected(List<ImportIssue> issues) => new(false, 0, 0, 0, 0, 0, 0, 0, Order(issues));

    static IReadOnlyList<ImportIssue> Order(IEnumerable<ImportIssue> issues) =>
        issues.OrderBy(i => i.Severity).ThenBy(i => i.File, StringComparer.Ordinal).ThenBy(i => i.Row ?? 0).ToList();

    static (int, int, int) Add(string outcome, int c, int u, int n) => outcome switch
    {
        "created" => (c + 1, u, n), "updated" => (c, u + 1, n), _ => (c, u, n + 1),
    };

    static string Key(string system, string value) => system + "|" + value;

    /// <summary>A new resource's id, the same for the same identifier, so a child keeps its ids however often it is imported.</summary>
    static string StableId(string key) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..32];

    /// <summary>An import never takes away what others wrote on a Patient (names, GP, NHS number): it sets what the 903 says.</summary>
    static Patient MergePatient(Existing? known, Patient mapped)
    {
        if (known?.Json is null) return mapped;
        var current = (Patient)FhirFormat.ParseJson(known.Json);
        foreach (var id in mapped.Identifier.Where(m => !current.Identifier.Any(c => c.System == m.System && c.Value == m.Value)))
        {
            current.Identifier.RemoveAll(c => c.System == id.System);
            current.Identifier.Add(id);
        }
        current.BirthDate = mapped.BirthDate;
        current.Gender = mapped.Gender ?? current.Gender;
        current.ManagingOrganization = mapped.ManagingOrganization;
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

    async Task<string> WriteAsync(Resource resource, Existing? current, string patientId, CancellationToken ct)
    {
        resource.Id = current?.Id ?? (resource is Patient ? patientId : StableId(IdentifierKey(resource)));
        if (current?.Hash is { } hash && hash == ResourceStore.Hash(resource)) return "unchanged";
        var row = current is null ? null : await db.Resources.AsNoTracking().FirstAsync(r => r.Type == resource.TypeName && r.Id == current.Id, ct);
        await store.StageWriteAsync(resource, row, row is null ? "POST" : "PUT", indexer.Extract(resource), patientId, keepFacts: false);
        return row is null ? "created" : "updated";
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

    /// <summary>A stored resource of this LA's imports, known by its identifier.</summary>
    sealed record Existing(string Key, string Type, string Id, string? PatientId, string? Hash, string? Json);

    async Task<Dictionary<string, Existing>> ExistingAsync(string la, CancellationToken ct)
    {
        string[] systems = [Cla.ChildIdSystem(la), Cla.EpisodeIdSystem(la), Cla.ObservationIdSystem(la), Cla.FlagIdSystem(la)];
        var rows = await (from t in db.Tokens.AsNoTracking()
                          where t.Param == "identifier" && t.System != null && systems.Contains(t.System)
                          join r in db.Resources.AsNoTracking() on new { t.Type, t.Id } equals new { r.Type, r.Id }
                          where !r.Deleted
                          select new { t.System, t.Code, r.Type, r.Id, r.PatientId, r.ContentHash, Json = r.Type == "Patient" || r.Type == "EpisodeOfCare" ? r.Json : null })
                         .ToListAsync(ct);
        var map = new Dictionary<string, Existing>();
        foreach (var r in rows) map[Key(r.System!, r.Code)] = new Existing(Key(r.System!, r.Code), r.Type, r.Id, r.PatientId, r.ContentHash, r.Json);
        return map;
    }
}
