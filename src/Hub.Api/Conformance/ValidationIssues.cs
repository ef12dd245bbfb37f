using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

namespace Hub.Api.Conformance;

/// <summary>
/// Makes the validator's issues say plainly what is wrong and where: the message goes into `diagnostics`, and a
/// missing element is located at the element itself, not at its parent.
/// </summary>
public static partial class ValidationIssues
{
    [GeneratedRegex("Missing required member: '(?<name>[A-Za-z0-9_\\[\\]]+)'")]
    private static partial Regex MissingMember();

    [GeneratedRegex("\\[0\\]")]
    private static partial Regex FirstIndex();

    public static bool HasErrors(OperationOutcome outcome) =>
        outcome.Issue.Any(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);

    public static OperationOutcome Clarify(OperationOutcome outcome)
    {
        foreach (var issue in outcome.Issue)
        {
            var message = issue.Details?.Text ?? issue.Diagnostics ?? "";
            var expressions = issue.Expression.Where(e => e is not null).Select(e => FirstIndex().Replace(e!, "")).ToList();
            if (MissingMember().Match(message) is { Success: true } m)
                expressions = expressions.Select(e => $"{e}.{m.Groups["name"].Value}").DefaultIfEmpty(m.Groups["name"].Value).ToList();
            issue.Expression = expressions;
            var where = expressions.Count > 0 ? $" (at {string.Join(", ", expressions)})" : "";
            issue.Diagnostics = message + where;
            if (issue.Details is null) issue.Details = new CodeableConcept { Text = message };
        }
        return outcome;
    }
}
