using Hub.Api.Auth;
using Hub.Api.Fhir;
using Hub.Api.ReferenceData;
using Hub.Api.Storage;
using Hl7.Fhir.Model;
using Hub.Consent.Consents;
using Hub.Consent.Decisions;
using Hub.Consent.Enforcement;
using Hub.Consent.Labels;
using Hub.Consent.Policy;
using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;
using Hub.Mappers.Ssda903.Mapping;
using Microsoft.EntityFrameworkCore;
using System.Text.Json.Nodes;

namespace Hub.Api.Access;

/// <summary>What of one stored resource is released: its JSON (as held, or masked) and the masks applied (for the audit).</summary>
public sealed record Released(string Json, IReadOnlyList<string> Masks);

/// <summary>
/// Puts together what the decision point needs (the caller, the child's facts, the child's Consents) and asks it
/// (Hub.Consent's ConsentEngine); then, per resource, labels it and says whether the decision withholds it.
/// </summary>
public sealed class Relationships(OrganisationDirectory organisations, TimeProvider clock, Pds.GpRegistrations registrations)
{
    /// <summary>Which practice a child is registered with, by PDS when configured (decisions.md "Who is who": GP_REGISTERED).</summary>
    public Pds.GpRegistrations Registrations => registrations;

    public static ConsentPolicy Policy => ConsentPolicy.Shipped;
    public static SecurityLabeller Labeller => SecurityLabeller.Shipped;

    public AccessRequest RequestOf(Caller c) =>
        new(c.Org, c.OrgType, c.Role, c.Purpose, c.NhsNumber, organisations.ParentIcbOf(c.Org)) { AccessReason = c.AccessReason };

    /// <summary>A host ICB keeps its relationship for this long after the placement in its area ends (contract section 6).</summary>
    public const int HostIcbGraceDays = 90;

    DateOnly Today => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);

    /// <summary>
    /// What the hub holds about the child, as the engine reads it. Not held (engine defaults, fail-closed): legal status,
    /// S-flag, competence assessments, PR holders, a refused health assessment.
    /// </summary>
    public SubjectFacts FactsOf(PatientFactsRow f)
    {
        var today = Today;
        // A Patient the LA wrote through /fhir and no return has placed yet has no episode facts at all: it is the LA's own
        // CLAPatient, so it counts as looked after (else the case-management workload would lose its own children).
        var noEpisodeFacts = f.PlacementIcb is null && f.LastPlacementIcb is null && f.LastPlacementEnded is null && f.CareLeaverUntil is null;
        return new(f.PatientId, f.NhsNumber, f.ManagingLa, organisations.ParentIcbOf(f.ManagingLa), f.RegisteredGp, HostIcbs(f, today), f.Sealed)
        {
            BirthDate = f.BirthDate,
            // A sealed record stays the owning LA's for good (contract §4); G1 has refused everyone else before G2 asks.
            LookedAfter = f.LookedAfter || noEpisodeFacts || f.Sealed,
            LookedAfterUntil = f.LookedAfter ? null : f.LastPlacementEnded,
            CareLeaver = f.CareLeaverUntil is { } until && until >= today,
            // The importer keeps a care leaver until the 25th birthday, i.e. it treats the cohort as extended to 25 (G2).
            PersonalAdviserRequested = f.CareLeaverUntil is not null,
        };
    }

    IReadOnlyList<string> HostIcbs(PatientFactsRow f, DateOnly today)
    {
        if (f.PlacementIcb is { } now) return [now];
        return f.LastPlacementIcb is { } last && f.LastPlacementEnded is { } ended && today.DayNumber - ended.DayNumber < HostIcbGraceDays ? [last] : [];
    }

    /// <summary>The relationship gate alone (no Consents, no rule table): who may write a record about this child.</summary>
    public Decision RelationshipOf(Caller caller, PatientFactsRow? facts) =>
        facts is null ? Missing(caller) : AccessRules.Decide(RequestOf(caller), FactsOf(facts));

    /// <summary>The decision for a child given its Consents; a missing patient looks exactly like one the caller may not know of.</summary>
    public Decision Decide(Caller caller, PatientFactsRow? facts, IReadOnlyList<Hl7.Fhir.Model.Consent> consents) =>
        facts is null ? Missing(caller) : Decide(caller, FactsOf(facts), consents);

    Decision Decide(Caller caller, SubjectFacts child, IReadOnlyList<Hl7.Fhir.Model.Consent> consents) =>
        AdminNeverSees(caller, ConsentEngine.Decide(RequestOf(caller), child, consents, Policy, clock.GetUtcNow()));

    /// <summary>
    /// The decision for a child, loading its Consents (one query) only when they can matter: a decision that stops at a
    /// pre-check before G7 (consent authority) never reads them, so a caller without a relationship costs exactly what a
    /// patient that does not exist costs. <paramref name="hasConsents"/> false (the read asked already) spares the query.
    /// </summary>
    public async Task<Decision> DecideAsync(HubDb db, Caller caller, PatientFactsRow? facts, bool? hasConsents = null)
    {
        if (facts is null) return Missing(caller);
        var withoutConsents = Decide(caller, facts, []);
        if (StoppedBeforeConsents(withoutConsents) || hasConsents == false) return withoutConsents;
        var consents = await ConsentsOfAsync(db, facts.PatientId);
        if (consents.Count == 0) return withoutConsents;
        var child = (await ConsentFactsAsync(db, [(facts, consents)]))[facts.PatientId];
        return Decide(caller, child, consents);
    }

    /// <summary>Decisions for several children at once (a search page), with one Consent query for all of them.</summary>
    public async Task<Dictionary<string, Decision>> DecideManyAsync(HubDb db, Caller caller, IEnumerable<PatientFactsRow> children)
    {
        var result = new Dictionary<string, Decision>(StringComparer.Ordinal);
        var pending = new List<PatientFactsRow>();
        foreach (var f in children)
        {
            if (result.ContainsKey(f.PatientId) || pending.Any(p => p.PatientId == f.PatientId)) continue;
            var d = Decide(caller, f, []);
            if (StoppedBeforeConsents(d)) result[f.PatientId] = d;
            else pending.Add(f);
        }
        if (pending.Count == 0) return result;
        var consents = await ConsentsAsync(db, pending.Select(p => p.PatientId).ToList());
        var withConsents = await ConsentFactsAsync(db, pending.Where(p => consents.ContainsKey(p.PatientId)).Select(p => (p, (IReadOnlyList<Hl7.Fhir.Model.Consent>)consents[p.PatientId])).ToList());
        foreach (var f in pending)
            result[f.PatientId] = withConsents.TryGetValue(f.PatientId, out var child) ? Decide(caller, child, consents[f.PatientId]) : Decide(caller, f, []);
        return result;
    }

    /// <summary>
    /// The facts G7 needs to judge these Consents, beyond the facts row: the legal status of the open episode, and which
    /// RelatedPersons performing them hold parental responsibility for the child; one query. Read only for children with
    /// Consents (or a Consent being written): without one nothing depends on who holds consent authority.
    /// </summary>
    public async Task<Dictionary<string, SubjectFacts>> ConsentFactsAsync(HubDb db, IReadOnlyList<(PatientFactsRow Child, IReadOnlyList<Hl7.Fhir.Model.Consent> Consents)> children)
    {
        if (children.Count == 0) return new Dictionary<string, SubjectFacts>(StringComparer.Ordinal);
        var ids = children.Select(c => c.Child.PatientId).ToList();
        // RelatedPerson is in no patient compartment here (no `patient` search parameter), so performers are read by id.
        var people = children.SelectMany(c => c.Consents).SelectMany(c => c.Performer).Select(p => p.Reference)
            .Where(r => r?.StartsWith("RelatedPerson/", StringComparison.Ordinal) == true).Select(r => r!["RelatedPerson/".Length..]).Distinct().ToList();
        var rows = await db.Resources.AsNoTracking()
            .Where(r => !r.Deleted && (r.Type == "EpisodeOfCare" && r.PatientId != null && ids.Contains(r.PatientId) || r.Type == "RelatedPerson" && people.Contains(r.Id)))
            .Select(r => r.Json).ToListAsync();
        var held = rows.Select(FhirFormat.ParseJson).ToList();
        var episodes = held.OfType<Hl7.Fhir.Model.EpisodeOfCare>().ToLookup(e => e.Patient?.Reference ?? "", StringComparer.Ordinal);
        var relatives = held.OfType<Hl7.Fhir.Model.RelatedPerson>().ToList();
        return children.ToDictionary(c => c.Child.PatientId, c => FactsOf(c.Child) with
        {
            LegalStatus = LegalStatusNow(episodes["Patient/" + c.Child.PatientId]),
            ResponsiblePersons = ParentalResponsibility.HoldersAmong(relatives, c.Child.PatientId),
        }, StringComparer.Ordinal);
    }

    /// <summary>The legal status (SSDA903 LS) of the open episode, the latest started if several; None when no episode is open.</summary>
    public static LegalStatus LegalStatusNow(IEnumerable<Hl7.Fhir.Model.EpisodeOfCare> episodes) =>
        episodes.Where(e => string.IsNullOrEmpty(e.Period?.End))
            .OrderByDescending(e => e.Period?.Start, StringComparer.Ordinal)
            .Select(e => Policy.LegalStatusOf(e.GetExtensionValue<Hl7.Fhir.Model.Coding>(Cla.Extension("cla-legal-status"))?.Code))
            .FirstOrDefault(LegalStatus.None);

    /// <summary>
    /// May this caller record this Consent for this child (reference/consent.md §3.4, decisions.md)? Judged on the facts
    /// reads judge Consents on, and with actors checked against the reference data.
    /// </summary>
    public async Task<ConsentRecordingCheck> RecordingCheckAsync(HubDb db, Caller caller, PatientFactsRow facts, Hl7.Fhir.Model.Consent consent)
    {
        var child = (await ConsentFactsAsync(db, [(facts, [consent])]))[facts.PatientId];
        return ConsentRecording.MayRecord(RequestOf(caller), child, consent, Policy, clock.GetUtcNow(), code => organisations.Find(code) is not null);
    }

    /// <summary>Pre-checks G1–G6 run before G7 and read no Consent, so a refusal from one of them stands whatever is recorded.</summary>
    static bool StoppedBeforeConsents(Decision d) =>
        !d.Permitted && d.Verdict != Verdict.AggregateOnly && d.Reasons.Count > 0 && d.Reasons[^1].Source is "G1" or "G2" or "G3" or "G4" or "G5" or "G6";

    /// <summary>The children's Consent resources (not deleted), by patient id, in one query.</summary>
    static readonly Func<HubDb, string, IAsyncEnumerable<string>> ConsentJsonSqlite = CompileConsentJson(), ConsentJsonPostgres = CompileConsentJson();

    // Compiled, one per provider as EF requires: every read and summary of a child with Consents asks this.
    static Func<HubDb, string, IAsyncEnumerable<string>> CompileConsentJson() =>
        EF.CompileAsyncQuery((HubDb d, string patientId) =>
            d.Resources.AsNoTracking().Where(r => r.PatientId == patientId && r.Type == "Consent" && !r.Deleted).Select(r => r.Json));

    /// <summary>One child's Consents.</summary>
    public static async Task<List<Hl7.Fhir.Model.Consent>> ConsentsOfAsync(HubDb db, string patientId)
    {
        var list = new List<Hl7.Fhir.Model.Consent>();
        await foreach (var json in (db is PostgresHubDb ? ConsentJsonPostgres : ConsentJsonSqlite)(db, patientId))
            if (FhirFormat.ParseJson(json) is Hl7.Fhir.Model.Consent c) list.Add(c);
        return list;
    }

    public static async Task<Dictionary<string, List<Hl7.Fhir.Model.Consent>>> ConsentsAsync(HubDb db, IReadOnlyList<string> patientIds)
    {
        var rows = await db.Resources.AsNoTracking()
            .Where(r => r.Type == "Consent" && !r.Deleted && r.PatientId != null && patientIds.Contains(r.PatientId))
            .Select(r => new { r.PatientId, r.Json }).ToListAsync();
        return rows.GroupBy(r => r.PatientId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(r => FhirFormat.ParseJson(r.Json)).OfType<Hl7.Fhir.Model.Consent>().ToList(), StringComparer.Ordinal);
    }

    /// <summary>Labels the resource (SecurityLabeller) and says whether the decision withholds it.</summary>
    public static bool Withholds(Decision decision, Hl7.Fhir.Model.Resource resource)
    {
        // A summary kept from a peer hub is another hub's view of the child: released whole, to its host ICB, or not at all.
        if (resource is Hl7.Fhir.Model.Bundle kept && Peers.KeptSummary.IsKept(kept))
            return !Peers.KeptSummary.MayRelease(decision, kept, Summary.SummaryService.SectionClasses, r => Withholds(decision, r));
        Labeller.Label(resource);
        return Withholding.IsWithheld(resource, decision, Policy);
    }

    /// <summary>Withholds(decision, resource) from stored JSON.</summary>
    public static bool Withholds(Decision decision, string json) => Withholds(decision, FhirFormat.ParseJson(json));

    /// <summary>
    /// What of a stored resource leaves the hub under this decision: null when withheld (by its labels, or because a mask
    /// it falls under has no view of its type), else its JSON as held or with the decision's masks applied (MASK, §3.6).
    /// The one place every read path (read, vread, history, search, _include) asks; `$summary` asks <see cref="Release(Decision, string, Resource)"/>.
    /// </summary>
    public static Released? Release(Decision decision, string callerOrg, string json)
    {
        var resource = FhirFormat.ParseJson(json);
        if (Withholds(decision, resource)) return null;
        var masks = MasksOn(decision, callerOrg, resource, () => JsonNode.Parse(json)!.AsObject(), out var node);
        if (masks.Count == 0) return new(json, []);
        var masked = Masking.Apply(node!, masks, decision.Obligations.Marking);
        if (masked.Withheld) return null;
        return new(masked.Changed ? masked.Released!.ToJsonString(Compact) : json, masks);
    }

    /// <summary>Release for a resource already parsed (the summary): null when withheld, else the resource or its masked copy, and the masks applied. Labels a copy.</summary>
    public static (Resource? Resource, IReadOnlyList<string> Masks) Release(Decision decision, string callerOrg, Resource resource)
    {
        var labelled = (Resource)resource.DeepCopy();
        if (Withholds(decision, labelled)) return (null, []);
        var masks = MasksOn(decision, callerOrg, labelled, () => FhirFormat.ToJsonNode(resource), out var node);
        if (masks.Count == 0) return (resource, []);
        var masked = Masking.Apply(node!, masks, decision.Obligations.Marking);
        return masked.Withheld ? (null, [])
            : (masked.Changed ? FhirFormat.ParseJson(masked.Released!.ToJsonString(Compact)) : resource, masks);
    }

    /// <summary>The masks a labelled resource falls under; none for a record the caller's own organisation holds or wrote.</summary>
    static IReadOnlyList<string> MasksOn(Decision decision, string callerOrg, Resource labelled, Func<JsonObject> json, out JsonObject? node)
    {
        node = null;
        if (labelled is Hl7.Fhir.Model.Bundle) return []; // a kept peer summary: released whole or not at all (above)
        // Reference data (an LA, ICB or practice a summary names as a contact) is in no child's record: nothing to mask.
        if (labelled is Organization or Location or Practitioner or PractitionerRole or Hl7.Fhir.Model.Endpoint or HealthcareService) return [];
        var masks = Withholding.MasksFor(labelled.Meta?.Security ?? [], decision, Policy);
        if (masks.Count == 0) return [];
        node = json();
        return Masking.OwnedBy(node, callerOrg) ? [] : masks;
    }

    static readonly System.Text.Json.JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    Decision Missing(Caller caller) =>
        caller.IsAdmin
            ? new Decision(Verdict.Deny, RequesterRole.Admin, "admin tokens never see patient data") { PolicyVersion = Policy.Version }
            : ConsentEngine.NoSuchPatient(RequestOf(caller), Policy);

    /// <summary>Admins never see patient data, sealed or not: always the same refusal, so it says nothing about the child.</summary>
    static Decision AdminNeverSees(Caller caller, Decision d) =>
        caller.IsAdmin && !d.Permitted && d.Verdict != Verdict.Deny
            ? d with { Verdict = Verdict.Deny, Reason = "admin tokens never see patient data" }
            : d;
}
