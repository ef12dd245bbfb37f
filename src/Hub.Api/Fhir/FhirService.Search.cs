using Hl7.Fhir.Model;
using Hub.Api.Access;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Search;
using Hub.Api.Storage;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Fhir;

public sealed partial class FhirService
{
    public async System.Threading.Tasks.Task<FhirResult> SearchAsync(Caller caller, string type, List<(string Name, string Value)> query, string baseUrl, bool strict)
    {
        CheckType(type);
        CheckScope(caller, type, 's');
        if (type == "AuditEvent") return await SearchAuditEventsAsync(caller, query, baseUrl);
        var p = new SearchQuery(parameters).Parse(Db, type, query, strict);

        IQueryable<ResourceRow> rows = Db.Resources.AsNoTracking().Where(r => r.Type == type && !r.Deleted);
        foreach (var c in p.Criteria) rows = rows.Where(c);
        var compartment = InPatientCompartment(type);
        // A GP's care-leaver question (contract §7) is answered as $identify-care-leavers answers it: registration by PDS
        // when configured, sealed records, objections to care-leaver-support; only the records it confirms are searched.
        var confirmed = CareLeavers.CareLeaverIdentification.CareLeaverQuestionIn(caller, type, query) is { } asked
            ? await ConfirmedCareLeaverAsync(caller, asked) : null;
        if (compartment)
        {
            if (caller.IsAdmin) throw await RefuseAsync(caller, "search-type", null, type, null, FhirProblem.Forbidden("admin tokens never see patient data"));
            rows = confirmed is null ? OnlyRelated(rows, caller) : rows.Where(r => r.PatientId != null && confirmed.Contains(r.PatientId));
        }
        var ordered = p.SortAscending ? rows.OrderBy(r => r.LastUpdated).ThenBy(r => r.Id) : rows.OrderByDescending(r => r.LastUpdated).ThenBy(r => r.Id);
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Id = Guid.NewGuid().ToString("N"), Meta = new Meta { LastUpdated = clock.GetUtcNow() } };
        var queryString = string.Join('&', p.Used.Select(u => $"{u.Name}={Uri.EscapeDataString(u.Value)}"));

        if (p.CountOnly || p.Count == 0)
        {
            // A count must not reveal what the caller may not see: in a patient compartment it counts only when nothing is withheld.
            bundle.Total = compartment ? await VisibleCountAsync(caller, rows) : await rows.CountAsync();
            bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = $"{baseUrl}/{type}?{queryString}" });
            await AuditAsync(new AuditRecord(caller, "search-type", AuditEvent.AuditEventOutcome.N0, null, [type], Query: $"{type}?{queryString}"));
            return new FhirResult { Resource = bundle };
        }

        // Fill the page with what the caller may see, reading on past withheld matches, so that a next link means a
        // visible match follows (a link to an empty page would reveal hidden ones). Offsets count stored matches.
        var visible = new List<(Stored S, Released Released)>();
        var decisions = new Dictionary<string, Hub.Consent.Decisions.Decision>(StringComparer.Ordinal);
        var (position, more, filtered) = (p.Offset, false, false);
        for (var batches = 0; ; batches++)
        {
            var batch = await (from r in ordered.Skip(position).Take(p.Count + 1)
                               join f in Db.PatientFacts.AsNoTracking() on r.PatientId equals f.PatientId into fs
                               from f in fs.DefaultIfEmpty()
                               select new Stored(r, f)).ToListAsync();
            if (confirmed is not null) RegisteredByConfirmation(batch, confirmed, caller);
            foreach (var (id, d) in await relationships.DecideManyAsync(Db, caller, batch.Select(s => s.Facts).OfType<PatientFactsRow>().Where(f => !decisions.ContainsKey(f.PatientId))))
                decisions[id] = d;
            foreach (var s in batch)
            {
                var released = Visible(s, decisions, caller.Org);
                if (released is not null && visible.Count == p.Count) { more = true; break; }
                position++;
                if (released is not null) visible.Add((s, released)); else filtered = true;
            }
            if (more || batch.Count <= p.Count) break;
            // Bounded: past this many stored matches, offer the next page even if it may turn out empty.
            if (batches == MaxBatchesPerPage) { more = true; break; }
        }
        if (!filtered) bundle.Total = p.Offset == 0 && !more ? visible.Count : compartment ? await VisibleCountAsync(caller, rows) : await rows.CountAsync();

        foreach (var (s, released) in visible)
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = $"{baseUrl}/{Ref(s.Row)}", Resource = FhirFormat.ParseJson(released.Json), Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match } });
        var included = await IncludesAsync(caller, p, visible.Select(v => v.S).ToList(), decisions);
        foreach (var (s, released) in included)
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = $"{baseUrl}/{Ref(s.Row)}", Resource = FhirFormat.ParseJson(released.Json), Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Include } });
        if (p.Ignored.Count > 0)
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = Outcomes.Issue(OperationOutcome.IssueSeverity.Warning, OperationOutcome.IssueType.NotSupported, $"Ignored search parameters: {string.Join(", ", p.Ignored.Distinct())}"),
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Outcome },
            });

        var self = $"{baseUrl}/{type}?{queryString}";
        bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = WithPaging(self, p.Count, p.Offset) });
        if (more) bundle.Link.Add(new Bundle.LinkComponent { Relation = "next", Url = WithPaging(self, p.Count, position) });
        if (p.Offset > 0) bundle.Link.Add(new Bundle.LinkComponent { Relation = "previous", Url = WithPaging(self, p.Count, Math.Max(0, p.Offset - p.Count)) });

        var all = visible.Concat(included).ToList();
        var byPatient = all.GroupBy(x => x.S.Row.PatientId).ToList();
        if (byPatient.Count == 0)
            await AuditAsync(new AuditRecord(caller, "search-type", AuditEvent.AuditEventOutcome.N0, null, [type], Query: $"{type}?{queryString}"));
        else
            await System.Threading.Tasks.Task.WhenAll(byPatient.Select(g =>
                AuditAsync(new AuditRecord(caller, "search-type", AuditEvent.AuditEventOutcome.N0, g.Key, g.Select(x => Ref(x.S.Row)).ToList(), Query: $"{type}?{queryString}",
                    Basis: g.Key is null ? null : decisions.GetValueOrDefault(g.Key), Masked: MaskedIn(g.Select(x => (Ref(x.S.Row), x.Released)))))));
        return new FhirResult { Resource = bundle };
    }

    /// <summary>
    /// What of a match the caller sees: a resource in no patient's compartment whole; one in a compartment only when its
    /// child's decision permits and does not withhold it, masked as the decision says. Null: not shown.
    /// </summary>
    static Released? Visible(Stored s, IReadOnlyDictionary<string, Hub.Consent.Decisions.Decision> decisions, string callerOrg) =>
        s.Row.PatientId is null ? Whole(s.Row.Json)
        : s.Facts is { } f && decisions.GetValueOrDefault(f.PatientId) is { Permitted: true } d ? Relationships.Release(d, callerOrg, s.Row.Json)
        : null;

    static bool Shown(Stored s, IReadOnlyDictionary<string, Hub.Consent.Decisions.Decision> decisions, string callerOrg) => Visible(s, decisions, callerOrg) is not null;

    /// <summary>How many batches of stored matches one page reads while looking for ones the caller may see.</summary>
    const int MaxBatchesPerPage = 10;

    /// <summary>Beyond this many matches a compartment search gives no total rather than judging every match.</summary>
    const int MaxJudgedForTotal = 1000;

    /// <summary>
    /// How many of the matches the caller may see, or null (no total, SUPPRESS_TOTAL) when any is withheld or there are
    /// too many to judge: a total must never reveal a hidden resource.
    /// </summary>
    async System.Threading.Tasks.Task<int?> VisibleCountAsync(Caller caller, IQueryable<ResourceRow> rows)
    {
        var all = await (from r in rows.Take(MaxJudgedForTotal + 1)
                         join f in Db.PatientFacts.AsNoTracking() on r.PatientId equals f.PatientId into fs
                         from f in fs.DefaultIfEmpty()
                         select new Stored(r, f)).ToListAsync();
        if (all.Count > MaxJudgedForTotal) return null;
        var decisions = await relationships.DecideManyAsync(Db, caller, all.Select(s => s.Facts).OfType<PatientFactsRow>());
        return all.All(s => Shown(s, decisions, caller.Org)) ? all.Count : null;
    }

    /// <summary>The records the care-leaver question may show: those of a number answered `care-leaver`, none otherwise.</summary>
    async System.Threading.Tasks.Task<string[]> ConfirmedCareLeaverAsync(Caller caller, string nhsNumber)
    {
        IReadOnlyList<CareLeavers.Identified> answer;
        try { answer = await new CareLeavers.CareLeaverIdentification(Db, relationships, clock).IdentifyAsync(caller, [nhsNumber]); }
        catch (Pds.PdsUnavailableException)
        {
            throw await RefuseAsync(caller, "search-type", null, "Flag", null, new FhirProblem(503, Outcomes.Error(OperationOutcome.IssueType.Transient,
                "The Personal Demographics Service could not be reached to confirm GP registration; try again later"))
            { RetryAfterSeconds = relationships.Registrations.RetryAfterSeconds });
        }
        return answer[0].Answer.Status == Hub.Consent.CareLeavers.CareLeaverStatus.CareLeaver ? [.. answer[0].PatientIds] : [];
    }

    /// <summary>PDS's registration stands in for the hub's record of the GP for the records the question confirmed.</summary>
    static void RegisteredByConfirmation(IEnumerable<Stored> found, string[] confirmed, Caller caller)
    {
        foreach (var s in found)
            if (s.Facts is { } f && confirmed.Contains(f.PatientId)) f.RegisteredGp = caller.Org;
    }

    static string WithPaging(string url, int count, int offset) =>
        $"{url}{(url.EndsWith('?') ? "" : "&")}_count={count}&_offset={offset}".Replace("?&", "?");

    /// <summary>
    /// Narrows a search to the children the caller is related to, in the query itself, so paging and totals only ever
    /// count what the caller may see. The access decision is still applied to every row afterwards.
    /// </summary>
    IQueryable<ResourceRow> OnlyRelated(IQueryable<ResourceRow> rows, Caller caller)
    {
        var facts = Db.PatientFacts;
        switch (caller.OrgType)
        {
            case OrgTypes.La:
                return rows.Where(r => facts.Any(f => f.PatientId == r.PatientId && f.ManagingLa == caller.Org));
            case OrgTypes.Gp:
                return rows.Where(r => facts.Any(f => f.PatientId == r.PatientId && f.RegisteredGp == caller.Org && !f.Sealed));
            case OrgTypes.YoungPerson:
                var nhs = caller.NhsNumber;
                return rows.Where(r => facts.Any(f => f.PatientId == r.PatientId && f.NhsNumber == nhs && !f.Sealed));
            case OrgTypes.Icb:
            case OrgTypes.Provider when caller.Role == "cla-health-team":
                var icb = caller.OrgType == OrgTypes.Icb ? caller.Org : organisations.ParentIcbOf(caller.Org);
                var las = organisations.All.Where(o => o.Kind == "la" && o.ParentIcb == icb && icb != null).Select(o => o.Code).ToList();
                // Responsible for the child (its LA's ICB), or hosting its placement now or until 90 days after it ended.
                var hostSince = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).AddDays(-Relationships.HostIcbGraceDays + 1);
                return rows.Where(r => facts.Any(f => f.PatientId == r.PatientId && !f.Sealed &&
                    (f.ManagingLa != null && las.Contains(f.ManagingLa) || f.PlacementIcb == icb || f.LastPlacementIcb == icb && f.LastPlacementEnded >= hostSince)));
            default:
                return rows.Where(r => false);
        }
    }

    async System.Threading.Tasks.Task<List<(Stored S, Released Released)>> IncludesAsync(Caller caller, ParsedSearch p, List<Stored> matches, Dictionary<string, Hub.Consent.Decisions.Decision> decisions)
    {
        if (p.Includes.Count == 0 || matches.Count == 0) return [];
        var ids = matches.Select(m => m.Row.Id).ToList();
        var seen = matches.Select(m => Ref(m.Row)).ToHashSet();
        var result = new List<(Stored, Released)>();
        foreach (var (sourceType, param, targetType) in p.Includes)
        {
            var targets = await Db.References.AsNoTracking()
                .Where(x => x.Type == sourceType && ids.Contains(x.Id) && x.Param == param && (targetType == null || x.TargetType == targetType))
                .Select(x => new { x.TargetType, x.TargetId }).Distinct().ToListAsync();
            foreach (var t in targets)
            {
                if (!seen.Add($"{t.TargetType}/{t.TargetId}")) continue;
                var s = await store.ReadAsync(t.TargetType, t.TargetId);
                // An included resource the caller may not see is left out without a trace.
                if (s is null || s.Row.Deleted) continue;
                if (s.Facts is { } f && !decisions.ContainsKey(f.PatientId))
                    decisions[f.PatientId] = await relationships.DecideAsync(Db, caller, f);
                if (Visible(s, decisions, caller.Org) is not { } released) continue;
                if (s.Row.PatientId is null && s.Row.Type == "AuditEvent") continue;
                result.Add((s, released));
            }
        }
        return result;
    }

    async System.Threading.Tasks.Task<FhirResult> SearchAuditEventsAsync(Caller caller, List<(string Name, string Value)> query, string baseUrl)
    {
        if (!caller.IsAdmin) throw FhirProblem.Forbidden("Only admin clients read AuditEvents");
        var (rows, count, offset) = AuditQueries.Filter(Db, query);
        var page = await rows.Skip(offset).Take(count + 1).ToListAsync();
        var more = page.Count > count;
        if (more) page.RemoveAt(page.Count - 1);
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Id = Guid.NewGuid().ToString("N"), Total = await rows.CountAsync() };
        foreach (var r in page)
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = $"{baseUrl}/AuditEvent/{r.Id}", Resource = FhirFormat.ParseJson(r.Json), Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match } });
        var self = $"{baseUrl}/AuditEvent?{string.Join('&', query.Where(q => q.Name is not ("_count" or "_offset")).Select(q => $"{q.Name}={Uri.EscapeDataString(q.Value)}"))}";
        bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = WithPaging(self, count, offset) });
        if (more) bundle.Link.Add(new Bundle.LinkComponent { Relation = "next", Url = WithPaging(self, count, offset + count) });
        return new FhirResult { Resource = bundle };
    }

    /// <summary>
    /// Resources matching a conditional query that this caller may see: with <paramref name="toWrite"/>, through the
    /// relationship alone (recording care needs no rule-table row; who reads it is decided on read), else as a read.
    /// </summary>
    /// <summary>The system and code of a query that is one `identifier=system|code` and nothing else.</summary>
    static (string System, string Code)? IdentifierOnly(List<(string Key, string Value)> pairs)
    {
        if (pairs is not [("identifier", var v)] || v.Contains(',', StringComparison.Ordinal)) return null;
        var bar = v.IndexOf('|', StringComparison.Ordinal);
        return bar > 0 && bar < v.Length - 1 ? (v[..bar], v[(bar + 1)..]) : null;
    }

    async System.Threading.Tasks.Task<List<Stored>> VisibleMatchesAsync(Caller caller, string type, string query, bool toWrite = true)
    {
        var pairs = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query.TrimStart('?'))
            .SelectMany(kv => kv.Value.Select(v => (kv.Key, v ?? ""))).ToList();
        if (pairs.Count == 0) throw FhirProblem.Invalid($"Conditional query '{query}' has no criteria");
        var p = new SearchQuery(parameters).Parse(Db, type, pairs, strict: true);
        if (p.Criteria.Count == 0) throw FhirProblem.Invalid($"Conditional query '{query}' has no criteria");
        IQueryable<ResourceRow> rows = Db.Resources.AsNoTracking().Where(r => r.Type == type && !r.Deleted);
        if (IdentifierOnly(pairs) is var (system, code))
        {
            // The commonest conditional query (a provider's record by its identifier, a child by NHS number) starts from the
            // identifier index in a query of its own. Folded into one statement, a planner whose statistics predate a large
            // ingest may walk every resource of the type in id order instead, for each record of a Bundle.
            var ids = await Db.Tokens.AsNoTracking()
                .Where(t => t.Type == type && t.Param == "identifier" && t.Code == code && t.System == system)
                .Select(t => t.Id).OrderBy(id => id).Take(10).ToListAsync();
            if (ids.Count == 0) return [];
            rows = rows.Where(r => ids.Contains(r.Id));
        }
        else foreach (var c in p.Criteria) rows = rows.Where(c);
        var found = await (from r in rows.OrderBy(r => r.Id).Take(10) // ordered: the same matches whichever plan the database picks
                           join f in Db.PatientFacts.AsNoTracking() on r.PatientId equals f.PatientId into fs
                           from f in fs.DefaultIfEmpty()
                           select new Stored(r, f)).ToListAsync();
        if (toWrite) return found.Where(s => s.Row.PatientId is null || relationships.RelationshipOf(caller, s.Facts).Permitted).ToList();
        var decisions = await relationships.DecideManyAsync(Db, caller, found.Select(s => s.Facts).OfType<PatientFactsRow>());
        return found.Where(s => Shown(s, decisions, caller.Org)).ToList();
    }
}
