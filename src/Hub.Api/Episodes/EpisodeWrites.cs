using Hl7.Fhir.Model;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Fhir;
using Hub.Api.Notifications;
using Hub.Api.ReferenceData;
using Hub.Api.Search;
using Hub.Api.Storage;
using Hub.Mappers.Ssda903.Mapping;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Episodes;

/// <summary>
/// What an EpisodeOfCare written through `/fhir` changes beyond itself, as an import of the same episode would: the
/// child's facts (the host ICB first of all), its CLA Flags and, for a new placement in another ICB's area, a placement
/// notification. The FHIR service reports each episode written; once the request's writes are in, and before its
/// transaction commits, every child whose episodes changed is worked out again from all its stored episodes
/// (<see cref="ChildStanding"/>). Delivery is asked for only after the commit. One per request scope.
/// </summary>
public sealed class EpisodeWrites(ResourceStore store, SearchIndexer indexer, OrganisationDirectory organisations, PlacementNotifier notifier, TimeProvider clock)
{
    const string EpisodeType = "EpisodeOfCare";
    readonly Dictionary<string, Caller> changed = new(StringComparer.Ordinal);
    bool notified;
    HubDb Db => store.Db;

    /// <summary>A transaction begins (or is tried again): nothing written yet.</summary>
    public void Begin()
    {
        changed.Clear();
        notified = false;
    }

    /// <summary>A resource of this type was written or deleted in this child's compartment.</summary>
    public void Written(Caller caller, string type, string? patientId)
    {
        if (type == EpisodeType && patientId is not null) changed[patientId] = caller;
    }

    /// <summary>Stages each changed child's facts, Flags and notification, with an AuditEvent naming what changed. True when anything was staged.</summary>
    public async Task<bool> StageAsync()
    {
        var staged = false;
        foreach (var (patientId, caller) in changed.OrderBy(c => c.Key, StringComparer.Ordinal))
            staged |= await StageChildAsync(caller, patientId);
        changed.Clear();
        return staged;
    }

    /// <summary>The transaction committed: the notifications it wrote may now go.</summary>
    public void Committed()
    {
        if (notified) notifier.Kick();
        notified = false;
    }

    async Task<bool> StageChildAsync(Caller caller, string patientId)
    {
        // Tracked: the same request may have written the Patient, whose facts row is then already in the context.
        var facts = await Db.PatientFacts.FirstOrDefaultAsync(f => f.PatientId == patientId);
        if (facts?.ManagingLa is not { } la) return false; // no LA looks after the child: its episodes place it nowhere
        var now = clock.GetUtcNow().UtcDateTime;
        var today = DateOnly.FromDateTime(now);
        var episodes = (await Db.Resources.AsNoTracking()
                .Where(r => r.PatientId == patientId && r.Type == EpisodeType && !r.Deleted).Select(r => r.Json).ToListAsync())
            .Select(json => (EpisodeOfCare)FhirFormat.ParseJson(json)).ToList();
        var postcodes = await PostcodeTableForAsync(episodes);
        var laOrg = organisations.Find(la);
        var ctx = new MappingContext(la, ChildStanding.CollectionYear(today), laOrg?.ParentIcb, prefix => postcodes.GetValueOrDefault(prefix));
        var standing = ChildStanding.Of(new ChildIds(facts.LaChildId ?? patientId, patientId, facts.NhsNumber), facts.BirthDate, episodes, ctx,
            laOrg?.Name ?? $"LA {la}", code => organisations.Find(code)?.Name ?? code, today, await HasCareLeaverReturnAsync(patientId));

        var wasSealed = facts.Sealed;
        standing.ApplyTo(facts, ctx.Year);
        // An adoption is not undone by editing or deleting an episode through the API: the seal stays.
        facts.Sealed |= wasSealed;

        var written = new List<string>();
        foreach (var flag in standing.Flags)
            if (await StageFlagAsync(flag, patientId) is { } reference) written.Add(reference);
        if (standing.Notice is { } notice && await StageNoticeAsync(notice, now) is { } communication)
        {
            written.Add(communication);
            notified = true;
        }
        if (written.Count > 0)
            Db.Audit.Add(AuditEvents.ToRow(new AuditRecord(caller, "update", AuditEvent.AuditEventOutcome.N0, patientId, written,
                "care status from the child's episodes: flags and placement notification"), now));
        return true;
    }

    /// <summary>The postcode → ICB rows the episodes' districts could match (district and area), not the whole table.</summary>
    async Task<Dictionary<string, string>> PostcodeTableForAsync(IEnumerable<EpisodeOfCare> episodes)
    {
        var prefixes = episodes
            .Select(e => e.GetExtensionValue<FhirString>(Cla.Extension("cla-placement-postcode-district"))?.Value?.Trim().ToUpperInvariant())
            .OfType<string>().Where(d => d.Length > 0)
            .SelectMany(d => new[] { d, new string(d.TakeWhile(char.IsAsciiLetter).ToArray()) })
            .Where(p => p.Length > 0).Distinct().ToList();
        if (prefixes.Count == 0) return [];
        return await Db.PostcodeIcbs.AsNoTracking().Where(p => prefixes.Contains(p.Prefix)).ToDictionaryAsync(p => p.Prefix, p => p.Icb);
    }

    /// <summary>
    /// Whether the child was ever in an OC3 table, the import's care-leaver test for one who left care before the
    /// episodes the hub holds. The DfE collects OC3 only for former relevant children, a status kept to 25.
    /// </summary>
    Task<bool> HasCareLeaverReturnAsync(string patientId) =>
        (from r in Db.Resources.AsNoTracking()
         where r.PatientId == patientId && r.Type == "Observation" && !r.Deleted
         join t in Db.Tokens.AsNoTracking() on new { r.Type, r.Id } equals new { t.Type, t.Id }
         where t.Param == "code" && t.System == Cla.CareLeaverSystem
         select r.Id).AnyAsync();

    /// <summary>
    /// A Flag as the import would write it: found by its identifier (or the id the import gives it), left alone when
    /// unchanged, never written when it never applied. Returns its reference when staged.
    /// </summary>
    async Task<string?> StageFlagAsync(Flag flag, string patientId)
    {
        var identifier = flag.Identifier[0];
        var stableId = StableIds.Of(identifier.System!, identifier.Value!);
        var indexedId = await Db.Tokens.AsNoTracking()
            .Where(t => t.Type == "Flag" && t.Param == "identifier" && t.System == identifier.System && t.Code == identifier.Value)
            .Select(t => t.Id).FirstOrDefaultAsync();
        var current = await Db.Resources.AsNoTracking().FirstOrDefaultAsync(r => r.Type == "Flag" && r.Id == (indexedId ?? stableId));
        if (flag.Status == Flag.FlagStatus.Inactive && current is not { Deleted: false }) return null;
        flag.Id = current?.Id ?? stableId;
        if (current is { Deleted: false } && current.ContentHash == ResourceStore.Hash(flag)) return null;
        await store.StageWriteAsync(flag, current, current is null ? "POST" : "PUT", indexer.Extract(flag), patientId);
        return $"Flag/{flag.Id}";
    }

    /// <summary>
    /// The placement's notification and its delivery row, unless the placement was notified before (by an import or
    /// an earlier write: the same identifier, the same id). Returns its reference when staged.
    /// </summary>
    async Task<string?> StageNoticeAsync(PlacementNotice notice, DateTime now)
    {
        var known = await Db.Tokens.AsNoTracking()
            .AnyAsync(t => t.Type == "Communication" && t.Param == "identifier" && t.System == PlacementNotice.IdentifierSystem && t.Code == notice.Key);
        var id = StableIds.Of(PlacementNotice.IdentifierSystem, notice.Key);
        // A deleted notification has lost its index but not its id: that placement was notified once.
        if (known || await Db.Resources.AsNoTracking().AnyAsync(r => r.Type == "Communication" && r.Id == id)) return null;
        var communication = notice.ToCommunication(notifier.PublicBaseUrl);
        communication.Id = id;
        await store.StageWriteAsync(communication, null, "POST", indexer.Extract(communication), notice.PatientId);
        // In the same transaction: a committed notification is never left without its delivery.
        Db.NotificationDeliveries.Add(PlacementNotifier.Pending(id, now));
        return $"Communication/{id}";
    }
}
