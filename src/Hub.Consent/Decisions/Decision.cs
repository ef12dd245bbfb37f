using Hub.Consent.Relationships;

namespace Hub.Consent.Decisions;

public enum Verdict { Permit, Deny, NotFound }

/// <summary>The answer to "may this caller see this child's record, for this purpose?", with why.</summary>
public sealed record Decision(Verdict Verdict, RequesterRole Role, string Reason)
{
    public bool Permitted => Verdict == Verdict.Permit;
}

/// <summary>
/// The foundation's access rule: a caller sees a child's record only through a relationship to the child.
/// The full rule table of reference/consent.md §3 (purposes, data classes, consents) replaces this in the consent issue.
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
