using Hl7.Fhir.Model;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Storage;
using Hub.Mappers.Identifiers;
using Hub.Mappers.ProviderRecords;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Fhir;

/// <summary>
/// Provider records in (contract §5, decisions.md "Provider records"): what an EPR's Bundle, or a single write by a
/// provider or GP system, needs beyond plain FHIR REST. Its Patient and Organization entries name records the hub already
/// holds and are matched, never written; its records are matched on their own identifiers so a resent submission
/// changes nothing; each submission leaves a Provenance per child.
/// </summary>
public sealed partial class FhirService
{
    /// <summary>An entry that named one of the hub's own records: its answer, and the reference other entries now use.</summary>
    sealed record HeldRecord(FhirResult Result, string Reference);

    /// <summary>Organisations whose systems send care records (and are attributed by Provenance).</summary>
    static bool SendsRecords(Caller caller) => caller.OrgType is OrgTypes.Provider or OrgTypes.Gp;

    // What this request wrote for each child, for its Provenance; and the NHS number by which each child was named.
    readonly List<(string PatientId, WrittenRecord Record)> submitted = [];
    readonly Dictionary<string, string> childNhsNumbers = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> conditionalTargets = new(StringComparer.Ordinal);

    /// <summary>
    /// A Patient or Organization entry from a provider names the hub's record of that child or organisation. The child is
    /// found by NHS number and must have the same date of birth (a mismatch is refused, never merged); the organisation
    /// must be in the reference data. Null for any other entry.
    /// </summary>
    async System.Threading.Tasks.Task<HeldRecord?> MatchHeldRecordAsync(Caller caller, Bundle.EntryComponent entry)
    {
        if (!SendsRecords(caller) || entry.Request?.Method is not (Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT)) return null;
        switch (entry.Resource)
        {
            case Patient patient:
            {
                var id = await MatchChildAsync(caller, patient);
                return new HeldRecord(new FhirResult { Status = 200, Location = $"Patient/{id}" }, $"Patient/{id}");
            }
            case Organization organisation:
            {
                var code = organisation.Identifier.FirstOrDefault(x => x.System == PatientFacts.OdsSystem)?.Value ?? organisation.Id;
                if (code is null || organisations.Find(code) is null)
                    throw FhirProblem.Of(422, OperationOutcome.IssueType.NotFound,
                        $"Organization {code ?? "(no ODS code)"} is not in the hub's reference data: name organisations by an ODS code the hub holds (reference data is managed by admins)", "Organization.identifier");
                return new HeldRecord(new FhirResult { Status = 200, Location = $"Organization/{code}" }, $"Organization/{code}");
            }
            default: return null;
        }
    }

    /// <summary>The hub's Patient id for a provider's Patient: same NHS number, same date of birth, a child the caller may record for.</summary>
    async System.Threading.Tasks.Task<string> MatchChildAsync(Caller caller, Patient patient)
    {
        var given = patient.Identifier.FirstOrDefault(x => x.System == NhsNumber.System)?.Value;
        if (given is null)
            throw FhirProblem.Of(422, OperationOutcome.IssueType.Required,
                $"A provider's Patient must carry an NHS number ({NhsNumber.System}): the hub matches children by it and never creates them from provider records", "Patient.identifier");
        var nhs = CheckedNhsNumber(given, "Patient.identifier");
        if (patient.BirthDate is null)
            throw FhirProblem.Of(422, OperationOutcome.IssueType.Required, "A provider's Patient must carry birthDate: the hub checks it against the child's before matching", "Patient.birthDate");
        var candidates = await Db.PatientFacts.AsNoTracking().Where(f => f.NhsNumber == nhs).ToListAsync();
        // A sealed record, or a child the caller has no relationship with, is answered exactly as one the hub does not hold.
        var known = candidates.Where(f => !f.Sealed && relationships.RelationshipOf(caller, f).Permitted).ToList();
        if (known.Count == 0)
            throw FhirProblem.Of(422, OperationOutcome.IssueType.NotFound, $"No child with NHS number {nhs} is known to the hub", "Patient.identifier");
        if (known.Count > 1)
            throw FhirProblem.Of(422, OperationOutcome.IssueType.MultipleMatches, $"NHS number {nhs} names {known.Count} children in the hub; the record cannot be placed", "Patient.identifier");
        var child = known[0];
        if (!DateOnly.TryParse(patient.BirthDate, System.Globalization.CultureInfo.InvariantCulture, out var dob) || child.BirthDate is { } held && held != dob)
            throw FhirProblem.Of(422, OperationOutcome.IssueType.BusinessRule,
                $"birthDate does not match the date of birth the hub holds for NHS number {nhs}: the records are not merged; check the NHS number", "Patient.birthDate");
        childNhsNumbers[child.PatientId] = nhs;
        return child.PatientId;
    }

    /// <summary>The ten digits of an NHS number that passes the modulus 11 check; otherwise the record is refused.</summary>
    static string CheckedNhsNumber(string value, string location)
    {
        if (!NhsNumber.IsValid(value))
            throw FhirProblem.Of(422, OperationOutcome.IssueType.Value, $"NHS number '{value}' is not valid: it must be ten digits whose last passes the modulus 11 check", location);
        return NhsNumber.Normalise(value)!;
    }

    /// <summary>A conditional reference or query on the NHS number must give a valid one (before anything is looked up).</summary>
    static void CheckNhsNumbersIn(string query)
    {
        foreach (var (key, values) in Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query.TrimStart('?')))
            if (key == "identifier")
                foreach (var v in values.SelectMany(v => (v ?? "").Split(',')))
                    if (v.StartsWith(NhsNumber.System + "|", StringComparison.Ordinal)) CheckedNhsNumber(v[(NhsNumber.System.Length + 1)..], "identifier");
    }

    /// <summary>
    /// The query on which a provider's record is matched when resent: its first identifier with a system and value (the
    /// provider's own id for it). Null when it has none; such a record is created each time it is sent.
    /// </summary>
    static string? IdentityQuery(Resource r)
    {
        var identifiers = r switch
        {
            DocumentReference d => d.MasterIdentifier is null ? d.Identifier : [d.MasterIdentifier, .. d.Identifier],
            _ => r.EnumerateElements().Where(kv => kv.Key == "identifier")
                .SelectMany(kv => kv.Value switch { IEnumerable<Identifier> many => many, Identifier one => [one], _ => [] }).ToList(),
        };
        var id = identifiers.FirstOrDefault(x => !string.IsNullOrEmpty(x.System) && !string.IsNullOrEmpty(x.Value));
        return id is null ? null : $"identifier={Uri.EscapeDataString(id.System!)}|{Uri.EscapeDataString(id.Value!)}";
    }

    /// <summary>A record the sender wrote about a child, for the submission's Provenance.</summary>
    void Submitted(Caller caller, ResourceRow row, bool created)
    {
        if (SendsRecords(caller) && row.PatientId is { } child && row.Type != "Provenance")
            submitted.Add((child, new WrittenRecord($"{row.Type}/{row.Id}/_history/{row.Version}", created)));
    }

    /// <summary>One Provenance per child for what this submission wrote, staged in its transaction; nothing written, none made.</summary>
    async System.Threading.Tasks.Task StageProvenanceAsync(Caller caller, Identifier? submission)
    {
        if (submitted.Count == 0) return;
        var now = clock.GetUtcNow();
        foreach (var child in submitted.GroupBy(s => s.PatientId, StringComparer.Ordinal))
        {
            var provenance = SubmissionProvenance.For(child.Key, [.. child.Select(c => c.Record)], caller.Org, caller.OrgType, now, submission);
            provenance.Id = Guid.NewGuid().ToString();
            var index = indexer.Extract(provenance);
            var row = await store.StageWriteAsync(provenance, null, "POST", index, child.Key);
            StageAudit(new AuditRecord(caller, "create", AuditEvent.AuditEventOutcome.N0, child.Key, [$"Provenance/{row.Id}"], "provenance of a submission"));
        }
        submitted.Clear();
        await SaveAsync(null);
    }
}
