using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hub.Api.Access;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Fhir;
using Hub.Api.ReferenceData;
using Hub.Api.Storage;
using Hub.Consent.Decisions;
using Hub.Consent.Vocabulary;
using Hub.Mappers.Identifiers;
using Hub.Mappers.Summary;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Summary;

/// <summary>
/// `$summary` (contract §6): the child → who the caller is to the child (Access/) → the obligations that decision brings →
/// the child's records → the document (Hub.Mappers/Summary, pure) → AuditEvent. A child the caller may not know of is
/// not found, exactly as one that does not exist: the same path and the same queries up to the decision.
/// </summary>
public sealed partial class SummaryService(
    ResourceStore store,
    Relationships relationships,
    OrganisationDirectory organisations,
    AuditWriter auditWriter,
    CodeDisplays displays,
    TimeProvider clock)
{
    public const string Operation = "$summary";
    /// <summary>The document's author: the hub itself writes it from what it holds.</summary>
    public const string Author = "CareHub";

    HubDb Db => store.Db;

    /// <summary>As an array: EF Core translates Contains over an array or list, not over a set interface.</summary>
    static readonly string[] ReadsTypes = [.. HealthSummary.ReadsTypes];

    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial Regex IdPattern();

    /// <summary>
    /// Which data class (reference/consent.md §3.2) each section of the summary is: a section whose class the decision
    /// withholds is shown as withheld. Single resources of other classes inside a shown section are left out one by one.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, DataClass> SectionClasses = new Dictionary<string, DataClass>
    {
        [SummarySections.CareStatus] = DataClass.LegalStatus,           // legal status, episodes; the placement itself is D4 (labelled)
        [SummarySections.HealthAssessments] = DataClass.HealthAssessment, // IHA/RHA
        [SummarySections.Immunisations] = DataClass.Core,
        [SummarySections.Dental] = DataClass.Core,
        [SummarySections.EmotionalWellbeing] = DataClass.HealthAssessment, // SDQ
        [SummarySections.HealthNeeds] = DataClass.HealthAssessment,      // the health plan and the needs it answers
        [SummarySections.Alerts] = DataClass.Safeguarding,               // CP-IS style flags
        [SummarySections.Contacts] = DataClass.IdentityLocation,         // carers and who to call
    };

    /// <summary>
    /// The consent decision as the summary applies it (§3.6): withheld data classes become withheld sections, a labelled
    /// resource the decision withholds (or a mask it falls under cannot show) is left out (REDACT), and MARK_WITHHELD says
    /// whether the Bundle may say so. Masks are applied to the records beforehand (<see cref="Masked"/>).
    /// </summary>
    public static SummaryObligations ObligationsFor(Decision decision, string callerOrg)
    {
        var o = decision.Obligations;
        var sections = SectionClasses.Where(kv => o.HoldsBack(kv.Value)).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        // Labelled on a copy: the labels decide, the document carries the records as held (or masked).
        return new SummaryObligations(sections, r => Relationships.Release(decision, callerOrg, r).Resource is null, o.Marking == WithheldMarking.Mark);
    }

    /// <summary>
    /// The records with the decision's masks applied (MASK, §3.6), before the document and its narrative are made from
    /// them, so no line of the narrative shows what a mask removes. A record the obligations leave out stays as held, for
    /// <see cref="ObligationsFor"/> to count it; the masked ones are named for the audit.
    /// </summary>
    public static (List<Resource> Records, List<string> Masked) Masked(Decision decision, string callerOrg, IEnumerable<Resource> records)
    {
        var (result, masked) = (new List<Resource>(), new List<string>());
        foreach (var r in records)
        {
            var (released, masks) = Relationships.Release(decision, callerOrg, r);
            result.Add(released ?? r);
            if (released is not null && masks.Count > 0) masked.Add($"{r.TypeName}/{r.Id}: {string.Join(", ", masks)}");
        }
        return (result, masked);
    }

    public async Task<FhirResult> ForPatientAsync(Caller caller, string id)
    {
        var reference = $"Patient/{id}";
        await CheckScopeAsync(caller, reference);
        var facts = IdPattern().IsMatch(id) ? await store.FactsAsync(id) : null;
        return await SummariseAsync(caller, facts, reference, FhirProblem.NotFound(reference));
    }

    /// <summary>By NHS number: the token of a GET's `identifier` parameter, or the Identifier of a POSTed Parameters.</summary>
    public async Task<FhirResult> ForIdentifierAsync(Caller caller, Identifier? identifier)
    {
        const string reference = "Patient/$summary";
        await CheckScopeAsync(caller, reference);
        if (identifier is null) throw await RefuseAsync(caller, null, reference, null, FhirProblem.Invalid(
            $"The identifier parameter is required: the child's NHS number as {NhsNumber.System}|{{NHS number}}", "identifier"));
        if (identifier.System != NhsNumber.System) throw await RefuseAsync(caller, null, reference, null, FhirProblem.Invalid(
            $"The identifier must be an NHS number, system {NhsNumber.System} (it was '{identifier.System ?? "none"}')", "identifier"));
        // The number itself is never repeated back or audited as typed: it may be someone's real NHS number mistyped.
        if (!NhsNumber.IsValid(identifier.Value)) throw await RefuseAsync(caller, null, reference, null, FhirProblem.Invalid(
            "The identifier's value is not a valid NHS number (10 digits, the last a modulus 11 check digit)", "identifier"));
        var nhs = NhsNumber.Normalise(identifier.Value)!;
        var candidates = await Db.PatientFacts.AsNoTracking().Where(f => f.NhsNumber == nhs).ToListAsync();
        // One child may have records with two LAs: the one the caller is related to, and of those the one looked after now.
        var facts = candidates.OrderByDescending(f => f.LookedAfter).ThenBy(f => f.PatientId, StringComparer.Ordinal)
            .FirstOrDefault(f => relationships.RelationshipOf(caller, f).Permitted) ?? candidates.FirstOrDefault();
        return await SummariseAsync(caller, facts, reference, FhirProblem.NotFound("The patient with that NHS number"));
    }

    /// <summary>Parses `identifier=system|value` (a FHIR token) from a query string.</summary>
    public static Identifier? ParseToken(IReadOnlyList<string> values)
    {
        if (values.Count == 0) return null;
        if (values.Count > 1) throw FhirProblem.Invalid("Give one identifier, not several", "identifier");
        var token = values[0];
        var bar = token.IndexOf('|');
        return bar < 0 ? new Identifier(null, token) : new Identifier(token[..bar], token[(bar + 1)..]);
    }

    /// <summary>The `identifier` of a POSTed Parameters: exactly one, as a valueIdentifier.</summary>
    public static Identifier? IdentifierOf(Resource body)
    {
        if (body is not Parameters parameters) throw FhirProblem.Invalid($"POST Patient/$summary takes a Parameters resource, not a {body.TypeName}", "resourceType");
        var given = parameters.Parameter.Where(p => p.Name == "identifier").ToList();
        if (given.Count == 0) return null;
        if (given.Count > 1) throw FhirProblem.Invalid("Give one identifier parameter, not several", "Parameters.parameter");
        return given[0].Value as Identifier
            ?? throw FhirProblem.Invalid("The identifier parameter must be a valueIdentifier", "Parameters.parameter.value");
    }

    async Task<FhirResult> SummariseAsync(Caller caller, PatientFactsRow? facts, string reference, FhirProblem notFound)
    {
        var decision = await relationships.DecideAsync(Db, caller, facts);
        if (!decision.Permitted)
            throw await RefuseAsync(caller, facts?.PatientId, reference, decision,
                decision.Verdict == Verdict.Deny ? FhirProblem.Forbidden($"Access to Patient refused: {decision.Reason}") : notFound);

        var patientId = facts!.PatientId;
        var types = ReadsTypes;
        var rows = await Db.Resources.AsNoTracking()
            .Where(r => r.PatientId == patientId && !r.Deleted && types.Contains(r.Type))
            .Select(r => r.Json).ToListAsync();
        var parsed = rows.Select(FhirFormat.ParseJson).ToList();
        // A stub is known by its own tags, before any mask could take them off the copy.
        if (parsed.OfType<Patient>().Any(p => p.Id == patientId && p.Meta?.Tag.Any(t => t.System == Peers.KeptSummary.KindSystem && t.Code == Peers.KeptSummary.StubCode) == true))
            return await KeptAsync(caller, patientId, reference, decision, notFound);
        var (records, masked) = Masked(decision, caller.Org, parsed);
        if (records.OfType<Patient>().FirstOrDefault(p => p.Id == patientId) is not { } child)
            throw await RefuseAsync(caller, patientId, reference, decision, notFound); // facts without a live Patient: deleted

        var obligations = ObligationsFor(decision, caller.Org);
        var bundle = HealthSummary.Build(new SummaryRequest(child, records, organisations.NamedIn(rows), obligations, Author, clock.GetUtcNow(), displays));
        var shown = bundle.Entry.Skip(1).Select(e => e.Resource).OfType<Resource>().Where(r => r is not Organization).Select(r => $"{r.TypeName}/{r.Id}").ToList();
        await AuditAsync(new AuditRecord(caller, Operation, AuditEvent.AuditEventOutcome.N0, patientId, shown, Describe(decision, obligations), Basis: decision,
            Masked: [.. masked.Where(m => shown.Contains(m[..m.IndexOf(':')]))]));
        return new FhirResult { Resource = bundle };
    }

    /// <summary>
    /// A child this hub knows only from a peer's placement notification: its summary is the one the sending hub gave (kept
    /// whole, latest first), not one built from a stub with no records. Released under the same rule as a read of it.
    /// </summary>
    async Task<FhirResult> KeptAsync(Caller caller, string patientId, string reference, Decision decision, FhirProblem notFound)
    {
        var kept = await Db.Resources.AsNoTracking()
            .Where(r => r.PatientId == patientId && r.Type == "Bundle" && !r.Deleted)
            .OrderByDescending(r => r.LastUpdated).Select(r => new { r.Id, r.Json }).ToListAsync();
        foreach (var k in kept)
        {
            if (FhirFormat.ParseJson(k.Json) is not Bundle bundle || !Peers.KeptSummary.IsKept(bundle) || Relationships.Withholds(decision, bundle)) continue;
            await AuditAsync(new AuditRecord(caller, Operation, AuditEvent.AuditEventOutcome.N0, patientId, [$"Bundle/{k.Id}"],
                $"{decision.Reason}; the summary kept from the sending hub", Basis: decision));
            return new FhirResult { Resource = (Bundle)FhirFormat.ParseJson(k.Json) };
        }
        throw await RefuseAsync(caller, patientId, reference, decision, notFound);
    }

    static string Describe(Decision d, SummaryObligations o) =>
        $"{d.Reason}; withheld sections: {(o.WithheldSections.Count == 0 ? "none" : string.Join(",", o.WithheldSections.Order(StringComparer.Ordinal)))}";

    async Task CheckScopeAsync(Caller caller, string reference)
    {
        if (!Scopes.Allows(caller, "Patient", Scopes.Read))
            throw await RefuseAsync(caller, null, reference, null, FhirProblem.Forbidden("The token's scopes do not allow reading Patient"));
    }

    System.Threading.Tasks.Task AuditAsync(AuditRecord record) => auditWriter.WriteAsync(AuditEvents.ToRow(record, clock.GetUtcNow().UtcDateTime));

    /// <summary>Audits a refusal, naming the child when there is one (its access review needs to see attempts), then gives the problem to throw.</summary>
    Task<FhirProblem> RefuseAsync(Caller caller, string? patientId, string reference, Decision? decision, FhirProblem problem) =>
        auditWriter.RefusedAsync(caller, Operation, patientId, reference, problem, clock.GetUtcNow().UtcDateTime, decision);
}
