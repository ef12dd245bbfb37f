using Hl7.Fhir.Model;
using Hub.Api.Auth;
using Hub.Mappers.Identifiers;
using Microsoft.AspNetCore.WebUtilities;

namespace Hub.Api.Fhir;

public sealed partial class FhirService
{
    /// <summary>`POST /fhir` with a transaction (all or nothing) or batch (each entry on its own) Bundle.</summary>
    public async System.Threading.Tasks.Task<FhirResult> ProcessBundleAsync(Caller caller, Bundle bundle, string baseUrl)
    {
        switch (bundle.Type)
        {
            case Bundle.BundleType.Transaction: return await TransactionAsync(caller, bundle, baseUrl);
            case Bundle.BundleType.Batch: return await BatchAsync(caller, bundle, baseUrl);
            default: throw FhirProblem.Invalid($"POST /fhir takes a transaction or batch Bundle, not '{bundle.Type?.ToString() ?? "none"}'", "Bundle.type");
        }
    }

    static string At(int i) => $"Bundle.entry[{i}]";

    async System.Threading.Tasks.Task<FhirResult> TransactionAsync(Caller caller, Bundle bundle, string baseUrl)
    {
        var entries = bundle.Entry.Select((e, i) => (Entry: e, Index: i)).ToList();
        foreach (var (e, i) in entries) CheckEntry(e, i);
        // A provider's Patient and Organization entries name the hub's own records: matched here, never validated or written.
        var held = new Dictionary<int, HeldRecord>();
        foreach (var (e, i) in entries)
            if (await Located(i, () => MatchHeldRecordAsync(caller, e)) is { } h) held[i] = h;
        entries = [.. entries.Where(x => !held.ContainsKey(x.Index))];
        foreach (var (e, i) in entries.Where(x => x.Entry.Resource is not null && x.Entry.Request!.Method is Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT))
            await Located(i, () => ValidateAsync(caller, e.Resource!, At(i)));
        var results = new FhirResult[bundle.Entry.Count];
        foreach (var (i, h) in held) results[i] = h.Result;
        await using var tx = await Db.Database.BeginTransactionAsync();
        try
        {
            episodeWrites.Begin();
            submitted.Clear();
            // Ids are settled before anything is written, so references between entries can be rewritten.
            var ids = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (i, h) in held)
                if (bundle.Entry[i].FullUrl is { } full) ids[full] = h.Reference;
            var existing = new Dictionary<int, Bundle.EntryComponent>();
            // Records a provider sent before (matched on its own identifier): changed if they differ, left alone if not.
            var resent = new HashSet<int>();
            foreach (var (e, i) in entries)
            {
                var method = e.Request!.Method;
                if (method == Bundle.HTTPVerb.POST && e.Resource is { } r)
                {
                    string? id = null;
                    if (e.Request.IfNoneExist is { Length: > 0 } cond)
                    {
                        var matches = await Located(i, () => VisibleMatchesAsync(caller, r.TypeName, cond));
                        if (matches.Count > 1) throw Locate(FhirProblem.Of(412, OperationOutcome.IssueType.MultipleMatches, $"ifNoneExist '{cond}' matches {matches.Count} resources"), i);
                        if (matches.Count == 1) { id = matches[0].Row.Id; existing[i] = e; }
                    }
                    else if (SendsRecords(caller) && IdentityQuery(r) is { } identity)
                    {
                        var matches = await Located(i, () => VisibleMatchesAsync(caller, r.TypeName, identity));
                        if (matches.Count > 1) throw Locate(FhirProblem.Of(412, OperationOutcome.IssueType.MultipleMatches, $"The record's identifier matches {matches.Count} {r.TypeName} resources"), i);
                        if (matches.Count == 1) { id = matches[0].Row.Id; resent.Add(i); }
                    }
                    id ??= Guid.NewGuid().ToString();
                    if (e.FullUrl is { } full) ids[full] = $"{r.TypeName}/{id}";
                    r.Id = id;
                }
                else if (method == Bundle.HTTPVerb.PUT && e.Resource is { } u)
                {
                    var (type, id, query) = SplitUrl(e.Request.Url!, i);
                    if (query is not null)
                    {
                        var matches = await Located(i, () => VisibleMatchesAsync(caller, type, query));
                        if (matches.Count > 1) throw Locate(FhirProblem.Of(412, OperationOutcome.IssueType.MultipleMatches, $"'{e.Request.Url}' matches {matches.Count} resources"), i);
                        id = matches.Count == 1 ? matches[0].Row.Id : u.Id ?? Guid.NewGuid().ToString();
                        u.Id = id;
                        e.Request.Url = $"{type}/{id}";
                    }
                    if (e.FullUrl is { } full && id is not null) ids[full] = $"{type}/{id}";
                }
            }
            foreach (var (e, i) in entries)
                if (e.Resource is { } r) await Located(i, () => ResolveReferencesAsync(caller, r, ids));

            foreach (var (e, i) in entries.OrderBy(x => Order(x.Entry.Request!.Method)))
            {
                results[i] = await Located(i, async () =>
                {
                    var m = e.Request!.Method;
                    if (m == Bundle.HTTPVerb.POST && existing.ContainsKey(i))
                        return await StageUpdateIfChangedAsync(caller, e.Resource!, At(i));
                    if (resent.Contains(i)) return await StageResentAsync(caller, e.Resource!, At(i));
                    return await ProcessEntryAsync(caller, e, i, baseUrl, inTransaction: true);
                });
            }
            await StageProvenanceAsync(caller, bundle.Identifier);
            // Once for the whole Bundle: a child's status is what all its entries leave, not what any one of them does.
            await StageEpisodeConsequencesAsync();
            await tx.CommitAsync();
            episodeWrites.Committed();
        }
        finally { Db.ChangeTracker.Clear(); }

        var response = new Bundle { Type = Bundle.BundleType.TransactionResponse, Id = Guid.NewGuid().ToString("N") };
        foreach (var r in results) response.Entry.Add(ResponseEntry(r, baseUrl));
        return new FhirResult { Resource = response };
    }

    /// <summary>A conditional create that matched: the resource exists, so the entry answers 200 with it.</summary>
    async System.Threading.Tasks.Task<FhirResult> StageUpdateIfChangedAsync(Caller caller, Resource resource, string location)
    {
        var s = await store.ReadAsync(resource.TypeName, resource.Id!);
        return s is null ? throw FhirProblem.NotFound($"{resource.TypeName}/{resource.Id}") : Found(s.Row.Json, s.Row.Version, s.Row.LastUpdated);
    }

    /// <summary>A record its sender had sent before: written as its next version when it differs, left as it is when not.</summary>
    async System.Threading.Tasks.Task<FhirResult> StageResentAsync(Caller caller, Resource resource, string location)
    {
        CheckScope(caller, resource.TypeName, 'u');
        var current = await store.ReadAsync(resource.TypeName, resource.Id!) ?? throw FhirProblem.NotFound($"{resource.TypeName}/{resource.Id}");
        return await StageWriteAsync(caller, resource, current.Row, "PUT", null, location);
    }

    async System.Threading.Tasks.Task<FhirResult> BatchAsync(Caller caller, Bundle bundle, string baseUrl)
    {
        var response = new Bundle { Type = Bundle.BundleType.BatchResponse, Id = Guid.NewGuid().ToString("N") };
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            var e = bundle.Entry[i];
            try
            {
                CheckEntry(e, i);
                if (await MatchHeldRecordAsync(caller, e) is { } h)
                {
                    response.Entry.Add(ResponseEntry(h.Result, baseUrl));
                    continue;
                }
                if (e.Resource is { } v && e.Request!.Method is Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT) await ValidateAsync(caller, v, At(i));
                if (e.Resource is { } r) await ResolveReferencesAsync(caller, r, new Dictionary<string, string>());
                var result = e.Request!.Method is Bundle.HTTPVerb.GET
                    ? await ProcessEntryAsync(caller, e, i, baseUrl, inTransaction: false)
                    : await InTransactionAsync(caller, () => ProcessEntryAsync(caller, e, i, baseUrl, inTransaction: false));
                response.Entry.Add(ResponseEntry(result, baseUrl));
            }
            catch (FhirProblem p)
            {
                // Each entry is its own request: its refusal is audited like one (a Consent the caller may not record, …).
                if (e.Request?.Method is { } m && !string.IsNullOrEmpty(e.Request.Url))
                    await AuditRefusalAsync(caller, m.ToString(), "/fhir/" + e.Request.Url.TrimStart('/'), p);
                var located = Locate(p, i);
                response.Entry.Add(new Bundle.EntryComponent { Response = new Bundle.ResponseComponent { Status = StatusText(located.Status), Outcome = located.Outcome } });
            }
        }
        return new FhirResult { Resource = response };
    }

    async System.Threading.Tasks.Task<FhirResult> ProcessEntryAsync(Caller caller, Bundle.EntryComponent e, int i, string baseUrl, bool inTransaction)
    {
        var req = e.Request!;
        var url = req.Url!;
        switch (req.Method)
        {
            case Bundle.HTTPVerb.POST:
                if (!inTransaction) e.Resource!.Id = null;
                if (!inTransaction && req.IfNoneExist is { Length: > 0 } cond)
                    return await StageCreateAsync(caller, e.Resource!, cond, At(i));
                if (!inTransaction && SendsRecords(caller) && IdentityQuery(e.Resource!) is { } identity)
                {
                    var matches = await VisibleMatchesAsync(caller, e.Resource!.TypeName, identity);
                    if (matches.Count > 1) throw FhirProblem.Of(412, OperationOutcome.IssueType.MultipleMatches, $"The record's identifier matches {matches.Count} {e.Resource.TypeName} resources");
                    if (matches.Count == 1) { e.Resource.Id = matches[0].Row.Id; return await StageResentAsync(caller, e.Resource, At(i)); }
                }
                var assigned = e.Resource!.Id;
                return await StageCreateWithIdAsync(caller, e.Resource, assigned, At(i));
            case Bundle.HTTPVerb.PUT:
            {
                var (type, id, query) = SplitUrl(url, i);
                if (query is not null) return await StageConditionalUpdateAsync(caller, type, query, e.Resource!, At(i));
                return await StageUpdateAsync(caller, type, id!, e.Resource!, req.IfMatch, At(i));
            }
            case Bundle.HTTPVerb.DELETE:
            {
                var (type, id, _) = SplitUrl(url, i);
                if (id is null) throw FhirProblem.Invalid("Conditional delete is not supported", $"{At(i)}.request.url");
                return await StageDeleteAsync(caller, type, id);
            }
            case Bundle.HTTPVerb.GET:
            {
                var (type, id, query) = SplitUrl(url, i);
                if (id is not null) return await ReadAsync(caller, type, id);
                var pairs = QueryHelpers.ParseQuery(query ?? "").SelectMany(kv => kv.Value.Select(v => (kv.Key, v ?? ""))).ToList();
                return await SearchAsync(caller, type, pairs, baseUrl, strict: false);
            }
            default:
                throw FhirProblem.Invalid($"Method {req.Method} is not supported in a Bundle", $"{At(i)}.request.method");
        }
    }

    System.Threading.Tasks.Task<FhirResult> StageCreateWithIdAsync(Caller caller, Resource resource, string? id, string location)
    {
        CheckScope(caller, resource.TypeName, 'c');
        resource.Id = id ?? Guid.NewGuid().ToString();
        return StageWriteAsync(caller, resource, null, "POST", null, location);
    }

    static int Order(Bundle.HTTPVerb? m) => m switch
    {
        Bundle.HTTPVerb.DELETE => 0, Bundle.HTTPVerb.POST => 1, Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.PATCH => 2, _ => 3,
    };

    static void CheckEntry(Bundle.EntryComponent e, int i)
    {
        if (e.Request?.Method is null || string.IsNullOrEmpty(e.Request.Url))
            throw FhirProblem.Invalid("Every entry needs request.method and request.url", $"{At(i)}.request");
        if (e.Request.Method is Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT && e.Resource is null)
            throw FhirProblem.Invalid($"A {e.Request.Method} entry needs a resource", $"{At(i)}.resource");
        if (e.Resource is not null && e.Request.Method == Bundle.HTTPVerb.POST)
        {
            var type = e.Request.Url!.Split('?')[0].Trim('/');
            if (type != e.Resource.TypeName) throw FhirProblem.Invalid($"request.url '{e.Request.Url}' does not name the entry's {e.Resource.TypeName}", $"{At(i)}.request.url");
        }
    }

    static (string Type, string? Id, string? Query) SplitUrl(string url, int i)
    {
        var q = url.IndexOf('?');
        var path = (q >= 0 ? url[..q] : url).Trim('/');
        var query = q >= 0 ? url[(q + 1)..] : null;
        var parts = path.Split('/');
        CheckType(parts[0]);
        if (parts.Length == 1) return (parts[0], null, query ?? (q >= 0 ? "" : null));
        if (parts.Length == 2) { CheckId(parts[1], $"{At(i)}.request.url"); return (parts[0], parts[1], null); }
        throw FhirProblem.Invalid($"request.url '{url}' is not Type, Type/id or Type?query", $"{At(i)}.request.url");
    }

    /// <summary>Rewrites references to other entries (by fullUrl) and conditional references (Type?query) to Type/id.</summary>
    async System.Threading.Tasks.Task ResolveReferencesAsync(Caller caller, Resource resource, Dictionary<string, string> ids)
    {
        foreach (var reference in References(resource))
        {
            var r = reference.Reference;
            // A logical reference by NHS number (reference.identifier only) names the hub's Patient as a conditional one does.
            if (r is null && reference.Identifier is { System: NhsNumber.System, Value: { } nhs })
                r = $"Patient?identifier={NhsNumber.System}|{nhs}";
            if (r is null) continue;
            if (ids.TryGetValue(r, out var local)) { reference.Reference = local; continue; }
            if (r.StartsWith("urn:uuid:", StringComparison.Ordinal) || r.StartsWith("urn:oid:", StringComparison.Ordinal))
                throw FhirProblem.Of(422, OperationOutcome.IssueType.NotFound, $"Reference '{r}' names no entry of this Bundle");
            var q = r.IndexOf('?');
            if (q > 0)
            {
                // A Bundle names the same child in many entries: one lookup serves them all.
                if (conditionalTargets.TryGetValue(r, out var known)) { reference.Reference = known; continue; }
                var type = r[..q];
                CheckType(type);
                if (type == "Patient") CheckNhsNumbersIn(r[(q + 1)..]);
                var matches = await VisibleMatchesAsync(caller, type, r[(q + 1)..]);
                if (matches.Count == 0) throw FhirProblem.Of(422, OperationOutcome.IssueType.NotFound, $"Conditional reference '{r}' matches no {type} known to the hub");
                if (matches.Count > 1) throw FhirProblem.Of(412, OperationOutcome.IssueType.MultipleMatches, $"Conditional reference '{r}' matches {matches.Count} resources");
                reference.Reference = conditionalTargets[r] = $"{type}/{matches[0].Row.Id}";
                if (type == "Patient" && matches[0].Facts?.NhsNumber is { } named) childNhsNumbers[matches[0].Row.Id] = named;
            }
        }
    }

    static IEnumerable<ResourceReference> References(Base node)
    {
        foreach (var child in node.EnumerateElements().SelectMany(kv => kv.Value is IEnumerable<Base> many ? many : kv.Value is Base one ? [one] : []))
        {
            if (child is ResourceReference rr) yield return rr;
            if (child is Resource) continue; // contained resources keep their own references
            foreach (var inner in References(child)) yield return inner;
        }
    }

    static async System.Threading.Tasks.Task<T> Located<T>(int i, Func<System.Threading.Tasks.Task<T>> work)
    {
        try { return await work(); }
        catch (FhirProblem p) { throw Locate(p, i); }
    }

    static async System.Threading.Tasks.Task Located(int i, Func<System.Threading.Tasks.Task> work)
    {
        try { await work(); }
        catch (FhirProblem p) { throw Locate(p, i); }
    }

    /// <summary>Names the Bundle entry in every issue of a problem.</summary>
    static FhirProblem Locate(FhirProblem p, int i)
    {
        foreach (var issue in p.Outcome.Issue)
        {
            var at = At(i);
            if (!issue.Expression.Any(x => x?.StartsWith("Bundle.entry", StringComparison.Ordinal) == true))
                issue.Expression = [.. issue.Expression.Select(x => $"{at}.resource.{x}").DefaultIfEmpty(at)];
            issue.Diagnostics = $"{at}: {issue.Diagnostics}";
            if (issue.Details is not null) issue.Details.Text = $"{at}: {issue.Details.Text}";
        }
        return p;
    }

    static Bundle.EntryComponent ResponseEntry(FhirResult r, string baseUrl) => new()
    {
        FullUrl = r.Location is null ? null : $"{baseUrl}/{string.Join('/', r.Location.Split('/').Take(2))}",
        Resource = r.Body,
        Response = new Bundle.ResponseComponent
        {
            Status = StatusText(r.Status),
            Location = r.Location,
            Etag = r.ETag,
            LastModified = r.LastModified is { } lm ? new DateTimeOffset(lm) : null,
        },
    };

    static string StatusText(int status) => status switch
    {
        200 => "200 OK", 201 => "201 Created", 204 => "204 No Content", 400 => "400 Bad Request", 403 => "403 Forbidden",
        404 => "404 Not Found", 409 => "409 Conflict", 410 => "410 Gone", 412 => "412 Precondition Failed", 422 => "422 Unprocessable Entity",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
