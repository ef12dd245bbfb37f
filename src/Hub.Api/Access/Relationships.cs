using Hub.Api.Auth;
using Hub.Api.ReferenceData;
using Hub.Api.Storage;
using Hub.Consent.Decisions;
using Hub.Consent.Relationships;

namespace Hub.Api.Access;

/// <summary>Puts together what the decision point needs (the caller, the child's facts) and asks it.</summary>
public sealed class Relationships(OrganisationDirectory organisations)
{
    public AccessRequest RequestOf(Caller c) =>
        new(c.Org, c.OrgType, c.Role, c.Purpose, c.NhsNumber, organisations.ParentIcbOf(c.Org));

    public SubjectFacts FactsOf(PatientFactsRow f) =>
        new(f.PatientId, f.NhsNumber, f.ManagingLa, organisations.ParentIcbOf(f.ManagingLa), f.RegisteredGp, [], f.Sealed);

    /// <summary>The decision for a resource in a patient's compartment; a missing patient is not found.</summary>
    public Decision Decide(Caller caller, PatientFactsRow? facts) =>
        facts is null
            ? new Decision(caller.IsAdmin ? Verdict.Deny : Verdict.NotFound, caller.IsAdmin ? RequesterRole.Admin : RequesterRole.OtherOrg, "unknown patient")
            : global::Hub.Consent.Decisions.AccessRules.Decide(RequestOf(caller), FactsOf(facts));
}
