using System.Text;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hub.Api.Access;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Fhir;
using Hub.Api.ReferenceData;
using Hub.Api.Storage;
using Hub.Api.Summary;
using Hub.Consent.Decisions;
using Hub.Mappers.Passport;
using Hub.Mappers.Summary;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Hub.Api.Passport;

/// <summary>The two forms of the passport.</summary>
public enum PassportFormat { Html, Pdf }

/// <summary>A rendered passport and its media type.</summary>
public sealed record PassportDocument(byte[] Content, string MediaType);

/// <summary>
/// `$health-passport` (contract §8): the same path as `$summary` — the child, the relationship decision, its obligations
/// and masks (SummaryService), the child's records — then the young person's view of them (Hub.Mappers/Passport, pure),
/// rendered, and audited. Only the young person (their own NHS number) and the LA get it; for anyone else the child is not
/// found, exactly as one that does not exist.
/// </summary>
public sealed partial class PassportService(
    ResourceStore store,
    Relationships relationships,
    OrganisationDirectory organisations,
    AuditWriter auditWriter,
    CodeDisplays displays,
    PassportTables tables,
    IOptions<PassportOptions> options,
    TimeProvider clock)
{
    public const string Operation = "$health-passport";

    /// <summary>Callers the passport is written for: the young person, and the LA that gives it to them.</summary>
    static readonly HashSet<string> Readers = [OrgTypes.YoungPerson, OrgTypes.La];

    /// <summary>AuditEvent actions that show someone the child's records (writes and refusals are not looks).</summary>
    static readonly string[] LookActions = ["read", "vread", "search-type", "search-system", "history-instance", SummaryService.Operation, Operation];

    /// <summary>How many AuditEvents are read to make the list; the passport shows the latest few, grouped by day.</summary>
    const int AccessesRead = 500;

    static readonly string[] ReadsTypes = [.. HealthSummary.ReadsTypes];

    HubDb Db => store.Db;

    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial Regex IdPattern();

    public async Task<PassportDocument> ForPatientAsync(Caller caller, string id, PassportFormat format)
    {
        var reference = $"Patient/{id}";
        var notFound = FhirProblem.NotFound(reference);
        if (!Scopes.Allows(caller, "Patient", Scopes.Read))
            throw await RefuseAsync(caller, null, reference, null, FhirProblem.Forbidden("The token's scopes do not allow reading Patient"));
        var facts = IdPattern().IsMatch(id) ? await store.FactsAsync(id) : null;
        var decision = await relationships.DecideAsync(Db, caller, facts);
        if (!decision.Permitted)
            throw await RefuseAsync(caller, facts?.PatientId, reference, decision,
                decision.Verdict == Verdict.Deny ? FhirProblem.Forbidden($"Access to Patient refused: {decision.Reason}") : notFound);
        // A host ICB or a GP may read the summary, but the passport is the young person's: to them the child is not found.
        if (!Readers.Contains(caller.OrgType)) throw await RefuseAsync(caller, facts!.PatientId, reference, decision, notFound);

        var patientId = facts!.PatientId;
        var types = ReadsTypes;
        var rows = await Db.Resources.AsNoTracking()
            .Where(r => r.PatientId == patientId && !r.Deleted && types.Contains(r.Type))
            .Select(r => r.Json).ToListAsync();
        var (records, masked) = SummaryService.Masked(decision, caller.Org, rows.Select(FhirFormat.ParseJson));
        if (records.OfType<Patient>().FirstOrDefault(p => p.Id == patientId) is not { } child)
            throw await RefuseAsync(caller, patientId, reference, decision, notFound); // facts without a live Patient: deleted
        var obligations = SummaryService.ObligationsFor(decision, caller.Org);

        var looks = await Db.Audit.AsNoTracking()
            .Where(a => a.PatientId == patientId && a.Outcome == "0" && LookActions.Contains(a.Action))
            .OrderByDescending(a => a.Recorded).Take(AccessesRead)
            .Select(a => new { a.Recorded, a.AgentOrg, a.AgentType, a.Purpose }).ToListAsync();
        var accesses = looks.Select(a => new RecordAccess(new DateTimeOffset(DateTime.SpecifyKind(a.Recorded, DateTimeKind.Utc)), a.AgentOrg, a.AgentType, a.Purpose ?? "direct-care")).ToList();

        var now = clock.GetUtcNow();
        var passport = PassportBuilder.Build(new PassportRequest(child, records, organisations.NamedIn(rows, accesses.Select(a => a.OrgCode)), obligations,
            new CareStanding(facts.LookedAfter, facts.CareLeaverUntil), accesses, tables.Schedule, tables.Offers, displays, now));
        var document = format == PassportFormat.Pdf
            ? new PassportDocument(RenderPdf(passport, now), "application/pdf")
            : new PassportDocument(Encoding.UTF8.GetBytes(PassportHtml.Render(passport)), "text/html");

        var shown = records.Where(r => r is not Patient && !obligations.LeaveOut(r) && SummarySections.SectionOf(r) is { } s && !obligations.WithheldSections.Contains(s))
            .Select(r => $"{r.TypeName}/{r.Id}").ToList();
        await AuditAsync(new AuditRecord(caller, Operation, AuditEvent.AuditEventOutcome.N0, patientId, shown,
            $"{decision.Reason}; {(format == PassportFormat.Pdf ? "PDF" : "HTML")}; withheld sections: " +
            (obligations.WithheldSections.Count == 0 ? "none" : string.Join(",", obligations.WithheldSections.Order(StringComparer.Ordinal))),
            Basis: decision, Masked: [.. masked.Where(m => shown.Contains(m[..m.IndexOf(':')]))]));
        return document;
    }

    byte[] RenderPdf(HealthPassport passport, DateTimeOffset now)
    {
        try { return PassportPdf.Render(passport, now, options.Value.FontFolder); }
        catch (FontsMissingException e) { throw FhirProblem.Of(500, OperationOutcome.IssueType.Exception, e.Message); }
    }

    System.Threading.Tasks.Task AuditAsync(AuditRecord record) => auditWriter.WriteAsync(AuditEvents.ToRow(record, clock.GetUtcNow().UtcDateTime));

    /// <summary>Audits a refusal, naming the child when there is one, then gives the problem to throw (as `$summary` does).</summary>
    Task<FhirProblem> RefuseAsync(Caller caller, string? patientId, string reference, Decision? decision, FhirProblem problem) =>
        auditWriter.RefusedAsync(caller, Operation, patientId, reference, problem, clock.GetUtcNow().UtcDateTime, decision);
}
