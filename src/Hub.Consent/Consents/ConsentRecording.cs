using Hub.Consent.Policy;
using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;
using Hl7.Fhir.Model;
using FhirConsent = Hl7.Fhir.Model.Consent;

namespace Hub.Consent.Consents;

/// <summary>
/// What is wrong with a Consent someone wants recorded. The enforcement point answers NotEntitled with 403 (the caller may
/// not record it, whatever it says) and every other kind with 422 (the Consent itself cannot be right).
/// </summary>
public enum RecordingIssueKind
{
    /// <summary>A provision that cannot mean anything: missing type, a period ending before it starts, an exception that can never apply.</summary>
    Impossible,
    /// <summary>A purpose or security label code the hub does not know.</summary>
    UnknownCode,
    /// <summary>A recipient or performer the hub does not hold.</summary>
    UnknownReference,
    /// <summary>The caller may not record this Consent for this child.</summary>
    NotEntitled,
}

/// <summary>One problem, with the element it is about as a FHIRPath expression (OperationOutcome.issue.expression).</summary>
public sealed record RecordingIssue(RecordingIssueKind Kind, string Expression, string Text);

/// <summary>The answer to "may this caller record this Consent?": the problems, each an OperationOutcome issue to be.</summary>
public sealed record ConsentRecordingCheck(IReadOnlyList<RecordingIssue> Issues, ConsentAuthority Performer)
{
    public bool Allowed => Issues.Count == 0;
    public IReadOnlyList<string> Problems => Issues.Select(i => i.Text).ToList();
    /// <summary>Refused for who is asking, not for what the Consent says (403 rather than 422).</summary>
    public bool CallerNotEntitled => Issues.Any(i => i.Kind == RecordingIssueKind.NotEntitled);
}

/// <summary>
/// The write path's rules (§3.4, decisions.md): well-formed provisions (ContentIssues), recipients the hub knows
/// (ActorIssues), an entitled performer and a caller who may record for them (AuthorityIssues).
/// </summary>
public static class ConsentRecording
{
    static readonly string[] ActorTypes = ["Organization", "Practitioner", "PractitionerRole", "CareTeam", "Group", "RelatedPerson", "Patient"];

    /// <summary>Every check at once; an organisation is taken as known unless a lookup into the reference data is given.</summary>
    public static ConsentRecordingCheck MayRecord(AccessRequest recorder, SubjectFacts child, FhirConsent consent, ConsentPolicy policy, DateTimeOffset now,
        Func<string, bool>? isKnownOrganisation = null)
    {
        var issues = ContentIssues(consent, policy, now)
            .Concat(ActorIssues(consent, isKnownOrganisation ?? (_ => true)))
            .Concat(AuthorityIssues(recorder, child, consent, policy, now, out var authority))
            .ToList();
        return new ConsentRecordingCheck(issues, authority);
    }

    /// <summary>What the Consent says, judged on its own (no child, no caller, no reference data).</summary>
    public static IReadOnlyList<RecordingIssue> ContentIssues(FhirConsent consent, ConsentPolicy policy, DateTimeOffset now)
    {
        var issues = new List<RecordingIssue>();
        if (ConsentEffects.Instant(consent.DateTime) is not { } recorded)
            issues.Add(new(RecordingIssueKind.Impossible, "Consent.dateTime", "Consent.dateTime is required"));
        else if (recorded > now)
            issues.Add(new(RecordingIssueKind.Impossible, "Consent.dateTime", "Consent.dateTime is in the future"));
        if (consent.Performer.Count != 1)
            issues.Add(new(RecordingIssueKind.Impossible, "Consent.performer", "Consent.performer must name exactly one person or organisation"));
        var root = consent.Provision;
        if (root?.Type is null)
            issues.Add(new(RecordingIssueKind.Impossible, "Consent.provision.type", "Consent.provision.type (permit | deny) is required"));
        if (root is not null)
        {
            issues.AddRange(ProvisionIssues(root, "Consent.provision", depth: 0, policy));
            issues.AddRange(ExceptionIssues(root, policy));
        }
        return issues;
    }

    /// <summary>Every actor names a kind of recipient the engine can match, and an organisation the reference data holds.</summary>
    public static IReadOnlyList<RecordingIssue> ActorIssues(FhirConsent consent, Func<string, bool> isKnownOrganisation) =>
        consent.Provision is null ? [] : ActorIssues(consent.Provision, "Consent.provision", isKnownOrganisation).ToList();

    /// <summary>The Consent is about this child, its performer may consent for the child now, and the caller may record for that performer.</summary>
    public static IReadOnlyList<RecordingIssue> AuthorityIssues(AccessRequest recorder, SubjectFacts child, FhirConsent consent, ConsentPolicy policy,
        DateTimeOffset now, out ConsentAuthority authority)
    {
        var issues = new List<RecordingIssue>();
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        if (consent.Patient?.Reference != "Patient/" + child.PatientId)
            issues.Add(new(RecordingIssueKind.Impossible, "Consent.patient", "Consent.patient is not this child"));

        var performer = consent.Performer.FirstOrDefault();
        authority = ConsentAuthorities.AuthorityOf(performer, child);
        var root = consent.Provision;
        var categories = root is null ? [] : root.SecurityLabel.Concat(root.Provision.SelectMany(p => p.SecurityLabel)).Select(c => c.Code).OfType<string>().ToList();
        if (authority == ConsentAuthority.NotEntitled)
            issues.Add(new(RecordingIssueKind.UnknownReference, "Consent.performer[0]", "the performer is not the child, the LA looking after them, or a recorded PR holder"));
        else
        {
            var holders = ConsentAuthorities.Holders(child, categories.Count == 0 ? ["*"] : categories, day, policy);
            if (!holders.Contains(authority))
                issues.Add(new(RecordingIssueKind.NotEntitled, "Consent.performer[0]",
                    $"the performer ({authority}) holds no consent authority for this child now; {string.Join(", ", holders.DefaultIfEmpty(ConsentAuthority.NotEntitled))} does"));
        }

        var role = Requester.RoleOf(recorder, child);
        var rule = policy.Recording.FirstOrDefault(r => r.Role == role);
        // An unrecognised performer is already reported; a caller with no recording rule at all is refused for that alone.
        if (rule is null || authority != ConsentAuthority.NotEntitled && !rule.Performers.Contains(authority))
            issues.Add(new(RecordingIssueKind.NotEntitled, "Consent.performer[0]", $"a {role} caller may not record a Consent given by {authority}"));
        // A young person records only their own Consents (decisions.md).
        if (role == RequesterRole.YoungPerson && performer?.Reference != "Patient/" + child.PatientId)
            issues.Add(new(RecordingIssueKind.NotEntitled, "Consent.performer[0]", "a young person records only Consents they give themselves"));
        return issues;
    }

    static IEnumerable<RecordingIssue> ProvisionIssues(FhirConsent.provisionComponent p, string path, int depth, ConsentPolicy policy)
    {
        // Compared at the coarser precision: an end of "2026-05-01" runs to the end of that day (cla-con-1).
        if (p.Period is { } period && ConsentEffects.Instant(period.End) < ConsentEffects.Instant(period.Start)
            && ConsentEffects.End(period.End) <= ConsentEffects.Instant(period.Start))
            yield return new(RecordingIssueKind.Impossible, $"{path}.period", $"{path}.period ends before it starts");
        foreach (var (purpose, i) in p.Purpose.Select((x, i) => (x, i)))
            if (PurposesOf(purpose, policy).Count == 0)
                yield return new(RecordingIssueKind.UnknownCode, $"{path}.purpose[{i}]", $"{path}.purpose {purpose.System}|{purpose.Code} is not a purpose the hub knows");
        foreach (var (label, i) in p.SecurityLabel.Select((x, i) => (x, i)))
            if (label.Code is null || !policy.LabelSystems.TryGetValue(label.Code, out var system) || label.System is { } s && s != system)
                yield return new(RecordingIssueKind.UnknownCode, $"{path}.securityLabel[{i}]", $"{path}.securityLabel {label.Code} ({label.System}) is not a label the hub assigns");
        if (p.Class.Count > 0 || p.Code.Count > 0 || p.Data.Count > 0 || p.DataPeriod is not null)
            yield return new(RecordingIssueKind.Impossible, path, $"{path}: class, code, data and dataPeriod are not supported (scope by securityLabel)");
        if (depth > 0 && p.Provision.Count > 0)
            yield return new(RecordingIssueKind.Impossible, $"{path}.provision", $"{path}.provision: at most one level of nested provisions (IHE PCF)");
        foreach (var (n, i) in p.Provision.Select((n, i) => (n, i)))
            foreach (var issue in ProvisionIssues(n, $"{path}.provision[{i}]", depth + 1, policy))
                yield return issue;
    }

    /// <summary>
    /// Nested provisions are exceptions to the base decision (IHE PCF), ANDed with it on purpose and period: one that
    /// repeats the base decision for all data, falls outside the base's purposes or period, or is reversed by a sibling
    /// with the very same scope, can never do what whoever gave the Consent meant.
    /// </summary>
    static IEnumerable<RecordingIssue> ExceptionIssues(FhirConsent.provisionComponent root, ConsentPolicy policy)
    {
        var rootPurposes = root.Purpose.SelectMany(p => PurposesOf(p, policy)).ToHashSet();
        for (var i = 0; i < root.Provision.Count; i++)
        {
            var n = root.Provision[i];
            var path = $"Consent.provision.provision[{i}]";
            // A label-scoped root turns a same-typed exception into a real one ("permit only SEX" + "permit MH" for someone).
            if (n.Type is { } t && t == root.Type && root.SecurityLabel.Count == 0)
                yield return new(RecordingIssueKind.Impossible, $"{path}.type", $"{path}.type repeats the base decision ({t}): an exception must reverse it");
            if (rootPurposes.Count > 0)
                foreach (var (purpose, j) in n.Purpose.Select((x, j) => (x, j)))
                    if (PurposesOf(purpose, policy) is { Count: > 0 } ps && !ps.Overlaps(rootPurposes))
                        yield return new(RecordingIssueKind.Impossible, $"{path}.purpose[{j}]", $"{path}.purpose {purpose.Code} is outside the base provision's purposes, so the exception never applies");
            if (!Overlap(root.Period, n.Period))
                yield return new(RecordingIssueKind.Impossible, $"{path}.period", $"{path}.period lies outside Consent.provision.period, so the exception never applies");
            for (var j = 0; j < i; j++)
                if (root.Provision[j].Type is { } other && n.Type is { } mine && other != mine && SameScope(root.Provision[j], n))
                    yield return new(RecordingIssueKind.Impossible, $"{path}.type", $"{path} contradicts Consent.provision.provision[{j}]: the same scope, the opposite decision");
        }
    }

    static IEnumerable<RecordingIssue> ActorIssues(FhirConsent.provisionComponent p, string path, Func<string, bool> isKnownOrganisation)
    {
        foreach (var (a, i) in p.Actor.Select((a, i) => (a, i)))
        {
            var at = $"{path}.actor[{i}].reference";
            if (a.Reference?.Reference is not { } r || !ActorTypes.Contains(ConsentAuthorities.Split(r).Type))
                yield return new(RecordingIssueKind.UnknownReference, at, $"{path}.actor[{i}] names no known kind of recipient");
            else if (ConsentAuthorities.Split(r) is ("Organization", var code) && !isKnownOrganisation(code))
                yield return new(RecordingIssueKind.UnknownReference, at, $"{path}.actor[{i}]: {r} is not an organisation in the hub's reference data");
        }
        foreach (var (n, i) in p.Provision.Select((n, i) => (n, i)))
            foreach (var issue in ActorIssues(n, $"{path}.provision[{i}]", isKnownOrganisation))
                yield return issue;
    }

    /// <summary>The purposes a coding names: our purpose-of-use code, or every purpose mapped to that v3 ActReason.</summary>
    static HashSet<Purpose> PurposesOf(Coding c, ConsentPolicy policy) =>
        c.System == LabelSystems.PurposeOfUse && policy.PurposeOf(c.Code) is { } p ? [p]
        : c.System == LabelSystems.ActReason ? policy.PurposeV3.Where(kv => kv.Value == c.Code).Select(kv => kv.Key).ToHashSet()
        : [];

    /// <summary>Whether two periods share a moment; an open or unreadable bound is unbounded.</summary>
    static bool Overlap(Period? a, Period? b)
    {
        var (aStart, aEnd) = (ConsentEffects.Instant(a?.Start), ConsentEffects.End(a?.End));
        var (bStart, bEnd) = (ConsentEffects.Instant(b?.Start), ConsentEffects.End(b?.End));
        return !(aEnd is { } ae && bStart is { } bs && ae <= bs) && !(bEnd is { } be && aStart is { } ast && be <= ast);
    }

    static bool SameScope(FhirConsent.provisionComponent a, FhirConsent.provisionComponent b) =>
        Set(a.Actor.Select(x => x.Reference?.Reference)).SetEquals(Set(b.Actor.Select(x => x.Reference?.Reference)))
        && Set(a.Purpose.Select(x => $"{x.System}|{x.Code}")).SetEquals(Set(b.Purpose.Select(x => $"{x.System}|{x.Code}")))
        && Set(a.SecurityLabel.Select(x => x.Code)).SetEquals(Set(b.SecurityLabel.Select(x => x.Code)))
        && a.Period?.Start == b.Period?.Start && a.Period?.End == b.Period?.End;

    static HashSet<string> Set(IEnumerable<string?> values) => values.OfType<string>().ToHashSet(StringComparer.Ordinal);
}
