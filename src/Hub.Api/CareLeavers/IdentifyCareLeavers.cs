using Hl7.Fhir.Model;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Fhir;
using Hub.Api.Pds;
using Hub.Api.Storage;
using Hub.Consent.CareLeavers;
using Hub.Mappers.Ssda903.Mapping;

namespace Hub.Api.CareLeavers;

/// <summary>
/// `POST /fhir/Patient/$identify-care-leavers` (contract §7): a GP practice's list of NHS numbers in, one `result` per
/// number out, in the order given. Every call is audited: one AuditEvent per child reported as a care leaver or looked
/// after (searchable by patient), one for the call itself, all in one transaction.
/// </summary>
public sealed class IdentifyCareLeavers(HubDb db, CareLeaverIdentification identification, AuditWriter auditWriter, TimeProvider clock)
{
    public const string Operation = "$identify-care-leavers";
    public const string Parameter = "nhsNumber";
    public const int MaxNumbers = 10_000;
    const string Reference = "Patient/" + Operation;

    /// <summary>Only a GP practice may ask (403 otherwise, before the body is read): the question is about its own patients.</summary>
    public async System.Threading.Tasks.Task CheckCallerAsync(Caller caller)
    {
        if (caller.OrgType != OrgTypes.Gp)
            throw await RefuseAsync(caller, FhirProblem.Forbidden($"{Operation} is for GP practices (org_type gp)"));
        if (!Scopes.Allows(caller, "Patient", Scopes.Read))
            throw await RefuseAsync(caller, FhirProblem.Forbidden("The token's scopes do not allow reading Patient"));
    }

    /// <summary>The answer, or a FhirProblem (audited) for a malformed body or PDS out of reach.</summary>
    public async Task<FhirResult> IdentifyAsync(HttpContext http, Caller caller, Resource body)
    {
        var (given, problem) = NumbersIn(body);
        if (problem is not null) throw await RefuseAsync(caller, problem);

        IReadOnlyList<Identified> answers;
        try { answers = await identification.IdentifyAsync(caller, given, http.RequestAborted); }
        catch (PdsUnavailableException)
        {
            // Never a guess: without PDS's word on registration nothing may be said, so the whole call is to be retried.
            throw await RefuseAsync(caller, new FhirProblem(503, Outcomes.Error(OperationOutcome.IssueType.Transient,
                "The Personal Demographics Service could not be reached to confirm GP registration; try again later"))
            { RetryAfterSeconds = identification.RetryAfterSeconds });
        }

        await AuditAsync(caller, answers, CancellationToken.None); // answered only once audited, even if the caller has gone
        return new FhirResult { Resource = Answer(given, answers) };
    }

    /// <summary>The numbers as given, or the problem: 400 naming the parameter by its index, 422 past the limit.</summary>
    static (List<string?> Numbers, FhirProblem? Problem) NumbersIn(Resource body)
    {
        if (body is not Parameters parameters)
            return ([], FhirProblem.Invalid($"{Operation} takes a Parameters resource, not a {body.TypeName}", "resourceType"));
        if (parameters.Parameter.Count > MaxNumbers)
            return ([], FhirProblem.Of(422, OperationOutcome.IssueType.TooLong,
                    $"At most {MaxNumbers} {Parameter} values per call ({parameters.Parameter.Count} given): split the list", "Parameters.parameter"));
        var numbers = new List<string?>(parameters.Parameter.Count);
        for (var i = 0; i < parameters.Parameter.Count; i++)
        {
            var p = parameters.Parameter[i];
            if (p.Name != Parameter)
                return ([], FhirProblem.Invalid($"Parameter {i} is '{p.Name}': {Operation} takes only '{Parameter}' parameters", $"Parameters.parameter[{i}]"));
            if (p.Value is not FhirString s || s.Value is null)
                return ([], FhirProblem.Invalid($"Parameter {i} ({Parameter}) must have a valueString", $"Parameters.parameter[{i}].value"));
            numbers.Add(s.Value);
        }
        return (numbers, null);
    }

    /// <summary>One `result` per number in the order given, each repeating the number as it was given.</summary>
    static Parameters Answer(IReadOnlyList<string?> given, IReadOnlyList<Identified> answers)
    {
        var result = new Parameters();
        for (var i = 0; i < given.Count; i++)
        {
            var a = answers[i].Answer;
            var part = new Parameters.ParameterComponent { Name = "result" };
            part.Part.Add(new() { Name = Parameter, Value = new FhirString(given[i]) });
            part.Part.Add(new() { Name = "status", Value = new Code(a.Status.Code()) });
            if (a.Status == CareLeaverStatus.CareLeaver)
            {
                part.Part.Add(new() { Name = "eligibleUntil", Value = new Date(a.EligibleUntil!.Value.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)) });
                if (a.LocalAuthority is { } la) part.Part.Add(new() { Name = "localAuthority", Value = new Identifier(Cla.LaNumberSystem, la) });
            }
            result.Parameter.Add(part);
        }
        return result;
    }

    /// <summary>
    /// One AuditEvent per child the answer names as a care leaver or looked after (the operation on that patient,
    /// contract §2), one for the call; written together in the request's transaction rather than one commit each.
    /// </summary>
    async System.Threading.Tasks.Task AuditAsync(Caller caller, IReadOnlyList<Identified> answers, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var named = answers.Where(a => a.PatientIds.Count > 0)
            .SelectMany(a => a.PatientIds.Select(id => (Id: id, a.Answer.Status))).DistinctBy(x => x.Id).ToList();
        var counts = string.Join(" ", answers.GroupBy(a => a.Answer.Status).OrderBy(g => g.Key).Select(g => $"{g.Key.Code()}={g.Count()}"));
        var rows = new AuditRow[named.Count + 1];
        rows[0] = AuditEvents.ToRow(new AuditRecord(caller, Operation, AuditEvent.AuditEventOutcome.N0, null, [Reference], $"{answers.Count} NHS numbers: {counts}"), now);
        // Serialising the AuditEvents is most of the cost: spread over the cores while the database waits anyway.
        Parallel.For(0, named.Count, i => rows[i + 1] = AuditEvents.ToRow(new AuditRecord(caller, Operation, AuditEvent.AuditEventOutcome.N0, named[i].Id, [Reference],
            $"reported to the registered GP practice as {named[i].Status.Code()}"), now));
        await AuditBatch.WriteAsync(db, rows, ct);
    }

    Task<FhirProblem> RefuseAsync(Caller caller, FhirProblem problem) =>
        auditWriter.RefusedAsync(caller, Operation, null, Reference, problem, clock.GetUtcNow().UtcDateTime);
}

/// <summary>The route of `$identify-care-leavers`; the FHIR group it joins turns problems into OperationOutcomes.</summary>
public static class IdentifyCareLeaversEndpoints
{
    public static void MapIdentifyCareLeavers(this RouteGroupBuilder fhir) =>
        fhir.MapPost("Patient/$identify-care-leavers", async (HttpContext http, IdentifyCareLeavers svc) =>
        {
            var caller = FhirEndpoints.Caller(http);
            await svc.CheckCallerAsync(caller);
            return await FhirEndpoints.Write(http, await svc.IdentifyAsync(http, caller, await FhirEndpoints.ReadBodyAsync(http)));
        });

    public static void AddCareLeavers(this IServiceCollection services)
    {
        services.AddScoped<CareLeaverIdentification>();
        services.AddScoped<IdentifyCareLeavers>();
    }
}
