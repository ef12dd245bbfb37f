using Hub.Api.Auth;
using Hub.Api.ReferenceData;
using Hub.Api.Storage;
using Hub.Consent.Decisions;
using Hub.Consent.Relationships;

namespace Hub.Api.Access;

/// <summary>Puts together what the decision point needs (the caller, the child's facts) and asks it.</summary>
public sealed class Relationships(OrganisationDirectory organisations, TimeProvider clock)
{
    public AccessRequest RequestOf(Caller c) =>
        new(c.Org, c.OrgType, c.Role, c.Purpose, c.NhsNumber, organisations.ParentIcbOf(c.Org));

    /// <summary>A host ICB keeps its relationship for this long after the placement in its area ends (contract section 6).</summary>
    public const int HostIcbGraceDays = 90;

    public SubjectFacts FactsOf(PatientFactsRow f) =>
        new(f.PatientId, f.NhsNumber, f.ManagingLa, organisations.ParentIcbOf(f.ManagingLa), f.RegisteredGp, HostIcbs(f), f.Sealed);

    IReadOnlyList<string> HostIcbs(PatientFactsRow f)
    {
        if (f.PlacementIcb is { } now) return [now];
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        return f.LastPlacementIcb is { } last && f.LastPlacementEnded is { } ended && today.DayNumber - ended.DayNumber < HostIcbGraceDays ? [last] : [];
    }

    /// <summary>The decision for a resource in a patient's compartment; a missing patient is not found.</summary>
    public Decision Decide(Caller caller, PatientFactsRow? facts) =>
        facts is null
            ? new Decision(caller.IsAdmin ? Verdict.Deny : Verdict.NotFound, caller.IsAdmin ? RequesterRole.Admin : RequesterRole.OtherOrg, "unknown patient")
            : global::Hub.Consent.Decisions.AccessRules.Decide(RequestOf(caller), FactsOf(facts));
}
