using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hub.Api.Access;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Conformance;
using Hub.Api.ReferenceData;
using Hub.Api.Search;
using Hub.Api.Storage;
using Hub.Consent.Decisions;

namespace Hub.Api.Fhir;

/// <summary>
/// The FHIR interactions (read, vread, history, create, update, delete, search, transaction, batch) with access
/// decisions and audit applied; the HTTP endpoints and the Bundle processor both call in here.
/// </summary>
public sealed partial class FhirService(
    ResourceStore store,
    SearchParameters parameters,
    SearchIndexer indexer,
    ProfileValidator validator,
    Relationships relationships,
    OrganisationDirectory organisations,
    AuditWriter auditWriter,
    TimeProvider clock,
    Episodes.EpisodeWrites episodeWrites)
{
    static readonly Regex IdPattern = new("^[A-Za-z0-9\\-\\.]{1,64}$", RegexOptions.Compiled);

    HubDb Db => store.Db;

    public static void CheckType(string type)
    {
        if (!ModelInfo.IsKnownResource(type)) throw FhirProblem.Of(404, OperationOutcome.IssueType.NotSupported, $"Resource type '{type}' is not supported");
    }

    public static void CheckId(string id, string location = "id")
    {
        if (!IdPattern.IsMatch(id)) throw FhirProblem.Invalid($"'{id}' is not a valid FHIR id", location);
    }

    static void CheckScope(Caller caller, string type, char interaction)
    {
        if (!Scopes.Allows(caller, type, interaction))
            throw FhirProblem.Forbidden($"The token's scopes do not allow '{interaction}' on {type}");
    }

    /// <summary>Audits a read-side event; the request answers only once its AuditEvent is stored.</summary>
    System.Threading.Tasks.Task AuditAsync(AuditRecord record) => auditWriter.WriteAsync(AuditEvents.ToRow(record, clock.GetUtcNow().UtcDateTime));

    /// <summary>Audits a change inside the transaction that makes it.</summary>
    void StageAudit(AuditRecord record) => Db.Audit.Add(AuditEvents.ToRow(record, clock.GetUtcNow().UtcDateTime));

    /// <summary>Refuses a request: audits the refusal, then throws the problem the caller sees.</summary>
    System.Threading.Tasks.Task<FhirProblem> RefuseAsync(Caller caller, string action, string? patientId, string reference, Decision? decision, FhirProblem problem) =>
        auditWriter.RefusedAsync(caller, action, patientId, reference, problem, clock.GetUtcNow().UtcDateTime, decision, decision?.Reason ?? problem.Message);

    /// <summary>Audits a refusal that was not audited where it was decided (scopes, write rules, invalid requests).</summary>
    public async System.Threading.Tasks.Task AuditRefusalAsync(Caller caller, string method, string path, FhirProblem problem)
    {
        if (problem.Audited) return;
        var action = method switch { "GET" => "read", "POST" => "create", "PUT" => "update", "DELETE" => "delete", _ => method.ToLowerInvariant() };
        await auditWriter.RefusedAsync(caller, action, problem.PatientId, path.StartsWith("/fhir/", StringComparison.Ordinal) ? path[6..] : path, problem,
            clock.GetUtcNow().UtcDateTime);
    }

    /// <summary>
    /// Decides whether the caller may see a stored resource, and what of it: the child's decision (null for a resource in
    /// no patient's compartment), and what that decision releases once the resource is labelled and masked (null: withheld,
    /// which the caller sees as not found).
    /// </summary>
    async System.Threading.Tasks.Task<(Decision? Decision, Released? Released)> DecideReadAsync(Caller caller, Stored s)
    {
        if (s.Row.PatientId is null) return (null, Whole(s.Row.Json));
        var d = await relationships.DecideAsync(Db, caller, s.Facts, s.HasConsents);
        return (d, d.Permitted && !s.Row.Deleted ? Relationships.Release(d, caller.Org, s.Row.Json) : Whole(s.Row.Json));
    }

    static Released Whole(string json) => new(json, []);

    /// <summary>The masks applied, for the AuditEvent: "Type/id: mask, …" per masked resource.</summary>
    static List<string> MaskedIn(IEnumerable<(string Reference, Released Released)> released) =>
        [.. released.Where(r => r.Released.Masks.Count > 0).Select(r => $"{r.Reference}: {string.Join(", ", r.Released.Masks)}")];

    /// <summary>What a caller gets for a resource it may not see: the decision's refusal, or not found when only this resource is withheld.</summary>
    static FhirProblem Refusal(Decision d, bool withheld, string reference) => withheld ? FhirProblem.NotFound(reference) : ProblemFor(d, reference);

    static FhirProblem ProblemFor(Decision d, string reference) => d.Verdict switch
    {
        Verdict.Deny => FhirProblem.Forbidden($"Access to {reference.Split('/')[0]} refused: {d.Reason}"),
        _ => FhirProblem.NotFound(reference),
    };

    static string Ref(ResourceRow r) => $"{r.Type}/{r.Id}";

    // ---------------------------------------------------------------- read, vread, history

    public async System.Threading.Tasks.Task<FhirResult> ReadAsync(Caller caller, string type, string id)
    {
        CheckType(type);
        CheckScope(caller, type, 'r');
        if (type == "AuditEvent") return await ReadAuditEventAsync(caller, id);
        var reference = $"{type}/{id}";
        var s = IdPattern.IsMatch(id) ? await store.ReadAsync(type, id) : null;
        if (s is null) throw await RefuseAsync(caller, "read", null, reference, null, FhirProblem.NotFound(reference));
        var (d, released) = await DecideReadAsync(caller, s);
        var withheld = released is null;
        if (d is { Permitted: false } || withheld) throw await RefuseAsync(caller, "read", null, reference, d, Refusal(d!, withheld, reference));
        if (s.Row.Deleted)
        {
            await AuditAsync(new AuditRecord(caller, "read", AuditEvent.AuditEventOutcome.N4, s.Row.PatientId, [reference], "deleted", Basis: d));
            throw FhirProblem.Of(410, OperationOutcome.IssueType.Deleted, $"{reference} has been deleted");
        }
        await AuditAsync(new AuditRecord(caller, "read", AuditEvent.AuditEventOutcome.N0, s.Row.PatientId, [reference], Basis: d, Masked: MaskedIn([(reference, released!)])));
        return Found(released!.Json, s.Row.Version, s.Row.LastUpdated);
    }

    static FhirResult Found(string json, int version, DateTime lastUpdated) =>
        new() { Status = 200, Json = json, VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture), LastModified = lastUpdated };

    public async System.Threading.Tasks.Task<FhirResult> VReadAsync(Caller caller, string type, string id, string vid)
    {
        CheckType(type);
        CheckScope(caller, type, 'r');
        var reference = $"{type}/{id}/_history/{vid}";
        var s = IdPattern.IsMatch(id) ? await store.ReadAsync(type, id) : null;
        if (s is null || type == "AuditEvent") throw await RefuseAsync(caller, "vread", null, reference, null, FhirProblem.NotFound(reference));
        var (d, current) = await DecideReadAsync(caller, s);
        var withheld = current is null;
        if (d is { Permitted: false } || withheld) throw await RefuseAsync(caller, "vread", null, reference, d, Refusal(d!, withheld, reference));
        var v = int.TryParse(vid, out var n) ? await store.VersionAsync(type, id, n) : null;
        if (v is null) throw await RefuseAsync(caller, "vread", s.Row.PatientId, reference, null, FhirProblem.NotFound(reference));
        // An older version may carry what the current one no longer does: it is judged (and masked) on its own labels.
        var released = d is null || v.Deleted ? Whole(v.Json) : Relationships.Release(d, caller.Org, v.Json);
        if (released is null)
            throw await RefuseAsync(caller, "vread", null, reference, d, FhirProblem.NotFound(reference));
        await AuditAsync(new AuditRecord(caller, "vread", AuditEvent.AuditEventOutcome.N0, s.Row.PatientId, [reference], Basis: d, Masked: MaskedIn([(reference, released)])));
        if (v.Deleted) throw FhirProblem.Of(410, OperationOutcome.IssueType.Deleted, $"{reference} is a deletion");
        return Found(released.Json, v.Version, v.LastUpdated);
    }

    public async System.Threading.Tasks.Task<FhirResult> HistoryAsync(Caller caller, string type, string id, int count, int offset, string baseUrl)
    {
        CheckType(type);
        CheckScope(caller, type, 'r');
        var reference = $"{type}/{id}";
        var s = IdPattern.IsMatch(id) && type != "AuditEvent" ? await store.ReadAsync(type, id) : null;
        if (s is null) throw await RefuseAsync(caller, "history-instance", null, reference, null, FhirProblem.NotFound(reference));
        var (d, current) = await DecideReadAsync(caller, s);
        var withheld = current is null;
        if (d is { Permitted: false } || withheld) throw await RefuseAsync(caller, "history-instance", null, reference, d, Refusal(d!, withheld, reference));
        count = Math.Clamp(count, 1, 100);
        var versions = await store.HistoryAsync(type, id, count, offset);
        var total = await store.HistoryCountAsync(type, id);
        // Older versions are judged (and masked) on their own labels; when one is left out, the total would reveal it.
        var shown = versions.Select(v => (Version: v, Released: d is null || v.Deleted ? Whole(v.Json) : Relationships.Release(d, caller.Org, v.Json)))
            .Where(x => x.Released is not null).Select(x => (x.Version, Released: x.Released!)).ToList();
        var bundle = new Bundle { Type = Bundle.BundleType.History, Total = shown.Count == versions.Count ? total : null, Id = Guid.NewGuid().ToString("N") };
        bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = $"{baseUrl}/{reference}/_history?_count={count}&_offset={offset}" });
        if (offset + count < total) bundle.Link.Add(new Bundle.LinkComponent { Relation = "next", Url = $"{baseUrl}/{reference}/_history?_count={count}&_offset={offset + count}" });
        foreach (var (v, released) in shown)
        {
            var entry = new Bundle.EntryComponent
            {
                FullUrl = $"{baseUrl}/{reference}",
                Request = new Bundle.RequestComponent { Method = Enum.Parse<Bundle.HTTPVerb>(v.Method), Url = v.Method == "POST" ? type : reference },
                Response = new Bundle.ResponseComponent { Status = v.Method == "POST" ? "201" : v.Deleted ? "204" : "200", LastModified = v.LastUpdated, Etag = $"W/\"{v.Version}\"" },
            };
            if (!v.Deleted) entry.Resource = FhirFormat.ParseJson(released.Json);
            bundle.Entry.Add(entry);
        }
        await AuditAsync(new AuditRecord(caller, "history-instance", AuditEvent.AuditEventOutcome.N0, s.Row.PatientId, [reference], Basis: d,
            Masked: MaskedIn(shown.Select(x => ($"{reference}/_history/{x.Version.Version}", x.Released)))));
        return new FhirResult { Resource = bundle };
    }

    async System.Threading.Tasks.Task<FhirResult> ReadAuditEventAsync(Caller caller, string id)
    {
        if (!caller.IsAdmin) throw FhirProblem.Forbidden("Only admin clients read AuditEvents");
        var row = await AuditQueries.FindAsync(Db, id);
        if (row is null) throw FhirProblem.NotFound($"AuditEvent/{id}");
        return new FhirResult { Json = row.Json, VersionId = "1", LastModified = row.Recorded };
    }
}
