using Hl7.Fhir.Model;

namespace Hub.Api.Fhir;

/// <summary>Builds the OperationOutcomes every error answers with.</summary>
public static class Outcomes
{
    public static OperationOutcome Error(OperationOutcome.IssueType code, string text, string? location = null) =>
        Issue(OperationOutcome.IssueSeverity.Error, code, text, location);

    public static OperationOutcome Issue(OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType code, string text, string? location = null)
    {
        var issue = new OperationOutcome.IssueComponent { Severity = severity, Code = code, Diagnostics = text, Details = new CodeableConcept { Text = text } };
        if (location is not null) issue.Expression = [location];
        return new OperationOutcome { Issue = [issue] };
    }

    public static OperationOutcome Information(string text) =>
        Issue(OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational, text);
}

/// <summary>Thrown where a request cannot go on; the FHIR layer turns it into an OperationOutcome with this status.</summary>
public sealed class FhirProblem(int status, OperationOutcome outcome) : Exception(outcome.Issue.FirstOrDefault()?.Diagnostics)
{
    public int Status { get; } = status;
    public OperationOutcome Outcome { get; } = outcome;
    /// <summary>Set once the refusal has its AuditEvent, so the REST layer does not write a second.</summary>
    public bool Audited { get; set; }
    /// <summary>The child the refused request was about, for its AuditEvent; never set where the caller may not know the child.</summary>
    public string? PatientId { get; init; }
    /// <summary>A clash with a concurrent write that the same request may simply try again.</summary>
    public bool Retryable { get; init; }
    /// <summary>For a 503: when to try again (the `Retry-After` header), as contract §7 asks when PDS is out of reach.</summary>
    public int? RetryAfterSeconds { get; init; }

    public static FhirProblem Of(int status, OperationOutcome.IssueType code, string text, string? location = null) =>
        new(status, Outcomes.Error(code, text, location));
    public static FhirProblem NotFound(string what) => Of(404, OperationOutcome.IssueType.NotFound, $"{what} is not known");
    public static FhirProblem Forbidden(string why) => Of(403, OperationOutcome.IssueType.Forbidden, why);
    public static FhirProblem Invalid(string text, string? location = null) => Of(400, OperationOutcome.IssueType.Invalid, text, location);
}
