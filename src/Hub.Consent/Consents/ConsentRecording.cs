using Hub.Consent.Policy;
using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;
using Hl7.Fhir.Model;

namespace Hub.Consent.Consents;

/// <summary>The answer to "may this caller record this Consent?": the problems, each an OperationOutcome issue to be.</summary>
public sealed record ConsentRecordingCheck(IReadOnlyList<string> Problems, ConsentAuthority Performer)
{
    public bool Allowed => Problems.Count == 0;
}

/// <summary>The write path's rules (§3.4, decisions.md): well-formed provisions, an entitled performer, a caller who may record for them.</summary>
public static class ConsentRecording
{
    static readonly string[] ActorTypes = ["Organization", "Practitioner", "PractitionerRole", "CareTeam", "Group", "RelatedPerson", "Patient"];

    public static ConsentRecordingCheck MayRecord(AccessRequest recorder, SubjectFacts child, Hl7.Fhir.Model.Consent consent, ConsentPolicy policy, DateTimeOffset now)
    {
        var problems = new List<string>();
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        if (consent.Patient?.Reference != "Patient/" + child.PatientId) problems.Add("Consent.patient is not this child");
        if (ConsentEffects.Instant(consent.DateTime) is not { } recorded) problems.Add("Consent.dateTime is required");
        else if (recorded > now) problems.Add("Consent.dateTime is in the future");
        if (consent.Performer.Count != 1) problems.Add("Consent.performer must name exactly one person or organisation");
        var root = consent.Provision;
        if (root?.Type is null) problems.Add("Consent.provision.type (permit | deny) is required");
        else problems.AddRange(ProvisionProblems(root, "Consent.provision", depth: 0, policy));

        var authority = ConsentAuthorities.AuthorityOf(consent.Performer.FirstOrDefault(), child);
        var categories = root is null ? [] : root.SecurityLabel.Concat(root.Provision.SelectMany(p => p.SecurityLabel)).Select(c => c.Code).OfType<string>().ToList();
        var holders = ConsentAuthorities.Holders(child, categories.Count == 0 ? ["*"] : categories, day, policy);
        if (authority == ConsentAuthority.NotEntitled) problems.Add("the performer is not the child, the LA looking after them, or a recorded PR holder");
        else if (!holders.Contains(authority))
            problems.Add($"the performer ({authority}) holds no consent authority for this child now; {string.Join(", ", holders.DefaultIfEmpty(ConsentAuthority.NotEntitled))} does");

        var role = Requester.RoleOf(recorder, child);
        var rule = policy.Recording.FirstOrDefault(r => r.Role == role);
        if (rule is null || !rule.Performers.Contains(authority))
            problems.Add($"a {role} caller may not record a Consent given by {authority}");
        // A young person records only their own Consents (decisions.md).
        if (role == RequesterRole.YoungPerson && consent.Performer.FirstOrDefault()?.Reference != "Patient/" + child.PatientId)
            problems.Add("a young person records only Consents they give themselves");
        return new ConsentRecordingCheck(problems, authority);
    }

    static IEnumerable<string> ProvisionProblems(Hl7.Fhir.Model.Consent.provisionComponent p, string path, int depth, ConsentPolicy policy)
    {
        // Compared at the coarser precision: an end of "2026-05-01" runs to the end of that day (cla-con-1).
        if (p.Period is { } period && ConsentEffects.Instant(period.End) < ConsentEffects.Instant(period.Start)
            && ConsentEffects.End(period.End) <= ConsentEffects.Instant(period.Start))
            yield return $"{path}.period ends before it starts";
        foreach (var (a, i) in p.Actor.Select((a, i) => (a, i)))
            if (a.Reference?.Reference is not { } r || !ActorTypes.Contains(ConsentAuthorities.Split(r).Type))
                yield return $"{path}.actor[{i}] names no known kind of recipient";
        foreach (var purpose in p.Purpose)
            if (!(purpose.System == LabelSystems.PurposeOfUse && policy.PurposeOf(purpose.Code) is not null
                  || purpose.System == LabelSystems.ActReason && policy.PurposeV3.Values.Contains(purpose.Code)))
                yield return $"{path}.purpose {purpose.System}|{purpose.Code} is not a purpose the hub knows";
        foreach (var label in p.SecurityLabel)
            if (label.Code is null || !policy.LabelSystems.ContainsKey(label.Code))
                yield return $"{path}.securityLabel {label.Code} is not a label the hub assigns";
        if (p.Class.Count > 0 || p.Code.Count > 0 || p.Data.Count > 0 || p.DataPeriod is not null)
            yield return $"{path}: class, code, data and dataPeriod are not supported (scope by securityLabel)";
        if (depth > 0 && p.Provision.Count > 0) yield return $"{path}.provision: at most one level of nested provisions (IHE PCF)";
        foreach (var (n, i) in p.Provision.Select((n, i) => (n, i)))
            foreach (var problem in ProvisionProblems(n, $"{path}.provision[{i}]", depth + 1, policy))
                yield return problem;
    }
}
