using Hub.Consent.Relationships;

namespace Hub.Consent.Decisions;

/// <summary>
/// The decisions of reference/consent.md §3.2: PERMIT, PERMIT_REDACT, DENY, DENY_NOT_FOUND, BTG_PERMIT, AGGREGATE_ONLY.
/// The first three members keep their foundation meaning (Hub.Api switches on them).
/// </summary>
public enum Verdict { Permit, Deny, NotFound, PermitWithObligations, BreakGlassPermit, AggregateOnly }

/// <summary>Which pre-check, table row, variant or Consent decided something, for the audit trail (never for the caller).</summary>
public sealed record DecisionReason(string Source, string Text)
{
    public override string ToString() => $"{Source}: {Text}";
}

/// <summary>What the caller may be told: 404 for not-found looks exactly like a patient that does not exist (contract §2).</summary>
public sealed record CallerOutcome(Verdict Verdict, int Status, string Message)
{
    public static readonly CallerOutcome NotFound = new(Verdict.NotFound, 404, "Resource not found");
    public static readonly CallerOutcome Refused = new(Verdict.Deny, 403, "Access refused by the information-sharing policy");
    /// <summary>Released: whether anything was withheld is for the obligations' marking to say, not the outcome.</summary>
    public static readonly CallerOutcome Released = new(Verdict.Permit, 200, "");
}

/// <summary>
/// The answer to "may this caller see this child's record, for this purpose, and what must be withheld?".
/// Reason is a short text the caller may see on a refusal; Reasons, ConsentsUsed and PolicyVersion are for the AuditEvent.
/// </summary>
public sealed record Decision(Verdict Verdict, RequesterRole Role, string Reason)
{
    /// <summary>Patient-level data may be released (subject to the obligations).</summary>
    public bool Permitted => Verdict is Verdict.Permit or Verdict.PermitWithObligations or Verdict.BreakGlassPermit;

    public Obligations Obligations { get; init; } = Obligations.None;
    public IReadOnlyList<DecisionReason> Reasons { get; init; } = [];
    /// <summary>References ("Consent/{id}") of the Consents that changed the outcome.</summary>
    public IReadOnlyList<string> ConsentsUsed { get; init; } = [];
    public string? PolicyVersion { get; init; }

    /// <summary>The only part of a decision an endpoint may put in a response.</summary>
    public CallerOutcome ForCaller => Verdict switch
    {
        Verdict.NotFound => CallerOutcome.NotFound,
        Verdict.Deny => CallerOutcome.Refused,
        Verdict.Permit or Verdict.PermitWithObligations => CallerOutcome.Released,
        _ => new(Verdict, 200, ""),
    };
}

/// <summary>
/// The foundation's access rule: a caller sees a child's record only through a relationship to the child.
/// Hub.Api still calls it for the relationship gate; the full rule table is <see cref="ConsentEngine.Decide"/>.
/// </summary>
public static class AccessRules
{
    public static Decision Decide(AccessRequest request, SubjectFacts child)
    {
        var role = Requester.RoleOf(request, child);
        // Admins manage the hub, never see patients: a refusal they may know about.
        if (role == RequesterRole.Admin) return new(Verdict.Deny, role, "admin tokens never see patient data");
        // A sealed adoption record exists only for the LA that owns it.
        if (child.Sealed && role is not (RequesterRole.LaSocialWorker or RequesterRole.LaPersonalAdviser))
            return new(Verdict.NotFound, role, "sealed record");
        if (role == RequesterRole.OtherOrg) return new(Verdict.NotFound, role, "no relationship to the child");
        return new(Verdict.Permit, role, "relationship: " + role);
    }
}
