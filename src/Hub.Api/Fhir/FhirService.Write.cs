using Hl7.Fhir.Model;
using Hub.Api.Access;
using Hub.Api.Audit;
using Hub.Api.Conformance;
using Hub.Api.Auth;
using Hub.Api.Search;
using Hub.Api.Storage;
using Hub.Consent.Consents;
using Hub.Consent.Decisions;
using Hub.Mappers.ProviderRecords;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Fhir;

public sealed partial class FhirService
{
    /// <summary>Resource types whose instances belong to one child: they must name the child, and only those related to it see them.</summary>
    bool InPatientCompartment(string type) => type == "Patient" || parameters.Find(type, "patient") is not null;

    /// <summary>create, with `If-None-Exist` making it conditional.</summary>
    public async Task<FhirResult> CreateAsync(Caller caller, Resource resource, string? ifNoneExist)
    {
        await ValidateAsync(caller, resource, resource.TypeName);
        if (!SendsRecords(caller)) return await InTransactionAsync(caller, () => StageCreateAsync(caller, resource, ifNoneExist, resource.TypeName));
        // A provider's single record is a submission like a Bundle's: the child named by NHS number, matched on its identifier when resent.
        return await InTransactionAsync(caller, async () =>
        {
            await ResolveReferencesAsync(caller, resource, []);
            if (ifNoneExist is null && IdentityQuery(resource) is { } identity)
            {
                var matches = await VisibleMatchesAsync(caller, resource.TypeName, identity);
                if (matches.Count > 1) throw FhirProblem.Of(412, OperationOutcome.IssueType.MultipleMatches, $"The record's identifier matches {matches.Count} {resource.TypeName} resources");
                if (matches.Count == 1) { resource.Id = matches[0].Row.Id; return await StageResentAsync(caller, resource, resource.TypeName); }
            }
            return await StageCreateAsync(caller, resource, ifNoneExist, resource.TypeName);
        });
    }

    /// <summary>update by id, with `If-Match` for optimistic locking.</summary>
    public async Task<FhirResult> UpdateAsync(Caller caller, string type, string id, Resource resource, string? ifMatch)
    {
        await ValidateAsync(caller, resource, $"{type}/{id}");
        return await InTransactionAsync(caller, () => StageUpdateAsync(caller, type, id, resource, ifMatch, $"{type}/{id}"));
    }

    /// <summary>conditional update: `PUT /Type?identifier=…`.</summary>
    public async Task<FhirResult> ConditionalUpdateAsync(Caller caller, string type, string query, Resource resource)
    {
        await ValidateAsync(caller, resource, type);
        return await InTransactionAsync(caller, () => StageConditionalUpdateAsync(caller, type, query, resource, type));
    }

    /// <summary>
    /// The profile check of a resource from outside, done before its transaction begins: it is the slowest step of a
    /// write, and SQLite holds its single write lock for the whole transaction.
    /// </summary>
    async Task ValidateAsync(Caller caller, Resource resource, string location)
    {
        if (WriteRules.Refusal(caller, resource.TypeName) is { } refusal) throw FhirProblem.Forbidden(refusal);
        // Deny by default: a type the hub does not index has no place in a child's record, so its consent rules could not
        // reach it; stored, it would be shown to any caller.
        if (resource.TypeName != "Patient" && !parameters.For(resource.TypeName).Any())
            throw FhirProblem.Of(422, OperationOutcome.IssueType.NotSupported,
                $"This hub does not hold {resource.TypeName} resources: it holds Patient, {string.Join(", ", parameters.Types.Where(t => t != "AuditEvent").Order(StringComparer.Ordinal))}", location);
        // Before the profile: its invariants (cla-con-1, cla-con-2) would say less than the recording rules do, and as a 400.
        if (resource is Hl7.Fhir.Model.Consent consent && ConsentRecording.ContentIssues(consent, Relationships.Policy, clock.GetUtcNow()) is { Count: > 0 } issues)
            throw RecordingProblem(issues);
        var outcome = await validator.ValidateAsync(resource);
        if (!ValidationIssues.HasErrors(outcome)) return;
        // Only the problems: information and warnings would bury the reason for the refusal.
        outcome.Issue.RemoveAll(i => i.Severity is not (OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal));
        throw new FhirProblem(400, Locate(ValidationIssues.Clarify(outcome), location));
    }

    public Task<FhirResult> DeleteAsync(Caller caller, string type, string id) =>
        InTransactionAsync(caller, () => StageDeleteAsync(caller, type, id));

    /// <summary>Runs one write in its own transaction; a clash with a concurrent write (no If-Match) is retried.</summary>
    async Task<FhirResult> InTransactionAsync(Caller caller, Func<Task<FhirResult>> work)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var tx = await Db.Database.BeginTransactionAsync();
            try
            {
                episodeWrites.Begin();
                submitted.Clear();
                var result = await work();
                await StageProvenanceAsync(caller, null);
                await StageEpisodeConsequencesAsync();
                await tx.CommitAsync();
                episodeWrites.Committed();
                return result;
            }
            catch (FhirProblem p) when (p.Retryable && attempt < 5)
            {
                await tx.RollbackAsync();
            }
            finally { Db.ChangeTracker.Clear(); }
        }
    }

    /// <summary>
    /// A child whose episodes this transaction changed gets its facts, Flags and placement notification worked out
    /// again, in the same transaction, as an import would (Episodes/EpisodeWrites).
    /// </summary>
    async Task StageEpisodeConsequencesAsync()
    {
        if (await episodeWrites.StageAsync()) await SaveAsync(null);
    }

    async Task SaveAsync(string? ifMatch)
    {
        try
        {
            await Db.SaveChangesAsync();
            // Saved rows need no tracking: a Bundle of 2,000 records would otherwise have every save scan all the rows
            // saved before it (about 15 a record), which made a large transaction quadratic.
            Db.ChangeTracker.Clear();
        }
        catch (DbUpdateConcurrencyException)
        {
            throw ifMatch is not null
                ? FhirProblem.Of(412, OperationOutcome.IssueType.Conflict, "The resource was changed by another request (If-Match no longer holds)")
                : new FhirProblem(409, Outcomes.Error(OperationOutcome.IssueType.Conflict, "The resource was changed by another request at the same time; retry")) { Retryable = true };
        }
        catch (DbUpdateException)
        {
            // Another request wrote the same version or id first (a unique key): with If-Match that is a lost race,
            // without it the write is simply tried again on top of what the other request stored.
            throw ifMatch is not null
                ? FhirProblem.Of(412, OperationOutcome.IssueType.Conflict, "The resource was changed by another request (If-Match no longer holds)")
                : new FhirProblem(409, Outcomes.Error(OperationOutcome.IssueType.Conflict, "Another request wrote this resource at the same time; retry")) { Retryable = true };
        }
    }

    async Task<FhirResult> StageCreateAsync(Caller caller, Resource resource, string? ifNoneExist, string location)
    {
        var type = resource.TypeName;
        CheckScope(caller, type, 'c');
        if (ifNoneExist is not null)
        {
            // The match is returned as the answer: it must be one the caller may read.
            var matches = await VisibleMatchesAsync(caller, type, ifNoneExist, toWrite: false);
            if (matches.Count > 1) throw FhirProblem.Of(412, OperationOutcome.IssueType.MultipleMatches, $"If-None-Exist '{ifNoneExist}' matches {matches.Count} resources", location);
            if (matches.Count == 1)
            {
                // As the caller may see it (masked where the decision masks it), never the stored whole.
                var (_, released) = await DecideReadAsync(caller, matches[0]);
                var json = released?.Json ?? throw FhirProblem.NotFound($"{type}?{ifNoneExist.TrimStart('?')}");
                return Found(json, matches[0].Row.Version, matches[0].Row.LastUpdated);
            }
        }
        resource.Id = Guid.NewGuid().ToString();
        return await StageWriteAsync(caller, resource, null, "POST", null, location);
    }

    async Task<FhirResult> StageUpdateAsync(Caller caller, string type, string id, Resource resource, string? ifMatch, string location)
    {
        CheckType(type);
        CheckId(id);
        if (resource.TypeName != type) throw FhirProblem.Invalid($"The body is a {resource.TypeName}, but the URL names {type}", "resourceType");
        if (resource.Id is null) throw FhirProblem.Invalid("An update must carry the resource's id in the body", $"{type}.id");
        if (resource.Id != id) throw FhirProblem.Invalid($"The body's id '{resource.Id}' differs from the URL's '{id}'", $"{type}.id");
        CheckScope(caller, type, 'u');
        var current = await store.ReadAsync(type, id);
        // A caller that sees a resource only masked may still change it (it is refused only what it may not see at all).
        if (current is not null && await DecideReadAsync(caller, current) is var (d, released) && (d is { Permitted: false } || released is null))
            throw Refusal(d!, released is null, $"{type}/{id}");
        if (ifMatch is not null)
        {
            var expected = ifMatch.Replace("W/", "").Trim('"', ' ');
            if (current is null || current.Row.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) != expected)
                throw FhirProblem.Of(412, OperationOutcome.IssueType.Conflict, $"If-Match {ifMatch} does not match the current version", location);
        }
        return await StageWriteAsync(caller, resource, current?.Row, current is null ? "POST" : "PUT", ifMatch, location);
    }

    async Task<FhirResult> StageConditionalUpdateAsync(Caller caller, string type, string query, Resource resource, string location)
    {
        CheckType(type);
        if (resource.TypeName != type) throw FhirProblem.Invalid($"The body is a {resource.TypeName}, but the URL names {type}", "resourceType");
        CheckScope(caller, type, 'u');
        var matches = await VisibleMatchesAsync(caller, type, query);
        if (matches.Count > 1) throw FhirProblem.Of(412, OperationOutcome.IssueType.MultipleMatches, $"'{query}' matches {matches.Count} resources", location);
        if (matches.Count == 0)
        {
            if (resource.Id is not null) CheckId(resource.Id, $"{type}.id");
            if (resource.Id is not null && await store.ReadAsync(type, resource.Id) is not null)
                throw FhirProblem.Of(409, OperationOutcome.IssueType.Conflict, $"{type}/{resource.Id} exists but does not match '{query}'", location);
            resource.Id ??= Guid.NewGuid().ToString();
            CheckScope(caller, type, 'c');
            return await StageWriteAsync(caller, resource, null, "POST", null, location);
        }
        var match = matches[0];
        if (resource.Id is not null && resource.Id != match.Row.Id)
            throw FhirProblem.Invalid($"The body's id '{resource.Id}' differs from the matched {type}/{match.Row.Id}", $"{type}.id");
        resource.Id = match.Row.Id;
        return await StageWriteAsync(caller, resource, match.Row, "PUT", null, location);
    }

    /// <summary>Validates, checks the caller may write this child's record, stores the version and its audit.</summary>
    async Task<FhirResult> StageWriteAsync(Caller caller, Resource resource, ResourceRow? current, string method, string? ifMatch, string location)
    {
        var type = resource.TypeName;
        if (WriteRules.Refusal(caller, type) is { } refusal) throw FhirProblem.Forbidden(refusal);

        var index = indexer.Extract(resource);
        var patientId = ResourceStore.CompartmentOf(resource, index);
        var note = await CheckChildAsync(caller, resource, patientId, current, location);

        if (SendsRecords(caller))
            ProviderRecordShape.Normalise(resource, caller.Org, validator.ProfileOf(resource), patientId is null ? null : childNhsNumbers.GetValueOrDefault(patientId));
        // Stored with its labels, so what it is (sexual health, mental health …) travels with it to every reader.
        Relationships.Labeller.Label(resource);
        var hash = ResourceStore.Hash(resource);
        if (current is { Deleted: false } && current.ContentHash == hash)
        {
            // The same content again (a resent submission): nothing changes, no new version.
            StageAudit(new AuditRecord(caller, "update", AuditEvent.AuditEventOutcome.N0, patientId, [Ref(current)], "unchanged: no new version"));
            await SaveAsync(ifMatch);
            return new FhirResult
            {
                Status = 200, Json = current.Json, Location = $"{type}/{current.Id}/_history/{current.Version}",
                VersionId = current.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), LastModified = current.LastUpdated,
            };
        }

        // An episode moved to another child changes both children.
        episodeWrites.Written(caller, type, current?.PatientId);
        episodeWrites.Written(caller, type, patientId);
        var row = await store.StageWriteAsync(resource, current, method, index, patientId, hash);
        Submitted(caller, row, current is null);
        StageAudit(new AuditRecord(caller, current is null ? "create" : "update", AuditEvent.AuditEventOutcome.N0, patientId, [Ref(row)], note));
        await SaveAsync(ifMatch);
        if (resource is Organization or Hl7.Fhir.Model.Endpoint) await organisations.RefreshAsync(Db);
        return new FhirResult
        {
            Status = current is null ? 201 : 200,
            Json = row.Json,
            Location = $"{type}/{row.Id}/_history/{row.Version}",
            VersionId = row.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            LastModified = row.LastUpdated,
        };
    }

    /// <summary>
    /// A record about a child must name a child the caller is related to; a Patient written by an LA must be one it manages;
    /// a Consent must be one the caller may record. Returns what the write's AuditEvent should add, if anything.
    /// </summary>
    async Task<string?> CheckChildAsync(Caller caller, Resource resource, string? patientId, ResourceRow? current, string location)
    {
        var type = resource.TypeName;
        if (!InPatientCompartment(type)) return null;
        if (resource is Patient patient)
        {
            var managingLa = PatientFacts.OrganisationCode(patient.ManagingOrganization);
            if (caller.OrgType == OrgTypes.La && managingLa != caller.Org)
                throw FhirProblem.Forbidden($"An LA may only write the children it manages: managingOrganization must be Organization/{caller.Org}");
            return null;
        }
        if (patientId is null)
            throw FhirProblem.Of(422, OperationOutcome.IssueType.Required, $"A {type} must reference the Patient it is about", location);
        var facts = await store.FactsAsync(patientId);
        // Recording care needs the relationship, not the rule table: who sees the record is decided on read.
        var decision = relationships.RelationshipOf(caller, facts);
        if (resource is Hl7.Fhir.Model.Consent consent)
            return await CheckConsentAsync(caller, consent, patientId, facts, decision.Permitted, current, location);
        // Providers and GPs may record care for any child the hub knows; who sees it is decided on read.
        var allowed = decision.Permitted || facts is not null && caller.OrgType is OrgTypes.Provider or OrgTypes.Gp;
        if (!allowed) throw UnknownPatient(patientId, location);
        return null;
    }

    static FhirProblem UnknownPatient(string patientId, string location) =>
        FhirProblem.Of(422, OperationOutcome.IssueType.NotFound, $"Patient/{patientId} is not known", location);

    /// <summary>
    /// A Consent changes what others see of the child, so it needs more than a relationship: a performer who holds consent
    /// authority now and a caller who may record for them (ConsentRecording). Changing a stored Consent also needs the
    /// right to record the one it replaces, or an LA could overwrite a young person's objection with its own permit.
    /// </summary>
    async Task<string> CheckConsentAsync(Caller caller, Hl7.Fhir.Model.Consent consent, string patientId, PatientFactsRow? facts, bool related,
        ResourceRow? current, string location)
    {
        // Even providers and GPs: a child the caller has no relationship with is answered exactly as one the hub does not hold.
        if (facts is null || !related) throw UnknownPatient(patientId, location);
        var check = await relationships.RecordingCheckAsync(Db, caller, facts, consent);
        if (!check.Allowed) throw RecordingProblem(check.Issues, patientId);
        if (current is { Deleted: false }) await CheckMayReplaceConsentAsync(caller, current);
        return $"consent recorded: performer {check.Performer}";
    }

    /// <summary>Only whoever may record the stored Consent may change or delete it.</summary>
    async Task CheckMayReplaceConsentAsync(Caller caller, ResourceRow current)
    {
        if (current.PatientId is null || FhirFormat.ParseJson(current.Json) is not Hl7.Fhir.Model.Consent stored) return;
        var facts = await store.FactsAsync(current.PatientId);
        if (facts is null) return;
        var check = await relationships.RecordingCheckAsync(Db, caller, facts, stored);
        if (check.CallerNotEntitled)
            throw new FhirProblem(403, Outcomes.Error(OperationOutcome.IssueType.Forbidden,
                $"Consent/{current.Id} was given by {check.Performer}: only a caller who may record it may change or delete it")) { PatientId = current.PatientId };
    }

    /// <summary>403 when the caller may not record the Consent (only those reasons); otherwise 422 naming every element and rule it breaks.</summary>
    static FhirProblem RecordingProblem(IReadOnlyList<RecordingIssue> issues, string? patientId = null)
    {
        var refused = issues.Where(i => i.Kind == RecordingIssueKind.NotEntitled).ToList();
        var shown = refused.Count > 0 ? refused : issues;
        var outcome = new OperationOutcome
        {
            Issue = shown.Select(i => Outcomes.Error(i.Kind switch
            {
                RecordingIssueKind.NotEntitled => OperationOutcome.IssueType.Forbidden,
                RecordingIssueKind.UnknownCode => OperationOutcome.IssueType.CodeInvalid,
                RecordingIssueKind.UnknownReference => OperationOutcome.IssueType.NotFound,
                _ => OperationOutcome.IssueType.BusinessRule,
            }, i.Text, i.Expression).Issue[0]).ToList(),
        };
        return new FhirProblem(refused.Count > 0 ? 403 : 422, outcome) { PatientId = patientId };
    }

    async Task<FhirResult> StageDeleteAsync(Caller caller, string type, string id)
    {
        CheckType(type);
        CheckScope(caller, type, 'd');
        if (WriteRules.Refusal(caller, type) is { } refusal) throw FhirProblem.Forbidden(refusal);
        var current = IdPattern.IsMatch(id) ? await store.ReadAsync(type, id) : null;
        if (current is null) throw FhirProblem.NotFound($"{type}/{id}");
        if (await DecideReadAsync(caller, current) is var (d, released) && (d is { Permitted: false } || released is null)) throw Refusal(d!, released is null, $"{type}/{id}");
        if (current.Row.Deleted) return new FhirResult { Status = 204 };
        if (type == WriteRules.ConsentType) await CheckMayReplaceConsentAsync(caller, current.Row);
        await store.StageDeleteAsync(current.Row);
        episodeWrites.Written(caller, type, current.Row.PatientId);
        StageAudit(new AuditRecord(caller, "delete", AuditEvent.AuditEventOutcome.N0, current.Row.PatientId, [$"{type}/{id}"]));
        await SaveAsync(null);
        return new FhirResult { Status = 204 };
    }

    static OperationOutcome Locate(OperationOutcome outcome, string location)
    {
        foreach (var issue in outcome.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal))
            if (!issue.Location.Any() && location.StartsWith("Bundle", StringComparison.Ordinal)) issue.Location = [location];
        return outcome;
    }
}
