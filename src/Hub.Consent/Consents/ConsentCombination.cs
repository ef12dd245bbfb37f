using Hub.Consent.Decisions;
using Hub.Consent.Policy;
using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;

namespace Hub.Consent.Consents;

/// <summary>An entitled permit: the labels it opens (null for all data) and who gave it.</summary>
public sealed record Permission(ConsentAuthority Authority, IReadOnlySet<string>? Labels, string Consent);

/// <summary>What the child's Consents add up to for one request (G7).</summary>
public sealed record ConsentOutcome
{
    /// <summary>Consents that refuse this request outright.</summary>
    public IReadOnlyList<string> DeniedBy { get; init; } = [];
    public IReadOnlySet<string> WithheldLabels { get; init; } = new HashSet<string>();
    public IReadOnlySet<string>? ReleaseOnlyLabels { get; init; }
    public IReadOnlyList<Permission> Permissions { get; init; } = [];
    public IReadOnlyList<string> Used { get; init; } = [];
    public IReadOnlyList<DecisionReason> Reasons { get; init; } = [];
}

/// <summary>
/// The combination rules of §3.4: the same performer's latest Consent wins; across performers and the policy deny overrides;
/// only those who hold consent authority for the category count (so a competent young person's objection beats a PR holder's
/// permit); safeguarding and break-glass set objections aside.
/// </summary>
public static class ConsentCombination
{
    public static ConsentOutcome Combine(IReadOnlyList<Hl7.Fhir.Model.Consent> consents, AccessRequest request, SubjectFacts child,
        Purpose purpose, ConsentPolicy policy, DateTimeOffset now)
    {
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        var reasons = new List<DecisionReason>();
        var effects = consents
            .Where(c => c.Patient?.Reference is null || c.Patient.Reference == "Patient/" + child.PatientId)
            .Select(c => (Consent: c, Effect: ConsentEffects.For(c, request, purpose, policy, now)))
            .Where(x => x.Effect is not null)
            .Select(x => (x.Effect!, Authority: ConsentAuthorities.AuthorityOf(x.Consent.Performer.FirstOrDefault(), child)))
            .ToList();

        // A Consent from someone who holds no consent authority for anything it says is as if never recorded: it cannot supersede.
        effects = effects.Where(e =>
        {
            if (Scopes(e.Item1).Any(labels => ConsentAuthorities.Holders(child, labels?.ToList() ?? ["*"], day, policy).Contains(e.Authority))) return true;
            reasons.Add(new(e.Item1.Consent, $"{e.Authority} holds no consent authority for what it says; ignored"));
            return false;
        }).ToList();

        // The same performer's latest wins (ties by id, so the answer never depends on list order).
        var latest = effects.GroupBy(e => e.Item1.Performer)
            .Select(g => g.OrderByDescending(e => e.Item1.Recorded).ThenBy(e => e.Item1.Consent, StringComparer.Ordinal).First())
            .OrderBy(e => e.Item1.Consent, StringComparer.Ordinal)
            .ToList();
        foreach (var superseded in effects.Except(latest))
            reasons.Add(new(superseded.Item1.Consent, "superseded by a later Consent of the same performer"));

        var votes = new List<(ConsentEffect Effect, ConsentAuthority Authority, VoteKind Kind, IReadOnlySet<string>? Labels, bool Base)>();
        foreach (var (effect, authority) in latest)
        {
            if (effect.Base is { } b) votes.Add((effect, authority, b, null, true));
            foreach (var x in effect.Exceptions) votes.Add((effect, authority, x.Kind, x.Labels, false));
        }

        // Only whoever holds consent authority for the category may grant or object.
        votes = votes.Where(v =>
        {
            var holders = ConsentAuthorities.Holders(child, v.Labels?.ToList() ?? ["*"], day, policy);
            if (holders.Contains(v.Authority)) return true;
            reasons.Add(new(v.Effect.Consent, $"{v.Authority} holds no consent authority for {Scope(v.Labels)}; ignored"));
            return false;
        }).ToList();

        // s33(3)(b): where the LA has limited the parents' PR, the LA prevails over them, on what the LA has decided:
        // an LA Consent about some labels sets aside a parent's view of those labels, not of the whole record.
        var laScopes = votes.Where(v => v.Authority == ConsentAuthority.LocalAuthority).Select(v => v.Labels).ToList();
        bool LaDecided(IReadOnlySet<string>? labels) =>
            laScopes.Any(la => la is null || labels is not null && labels.All(la.Contains));
        if (child.ParentalResponsibilityLimited && laScopes.Count > 0)
            votes.RemoveAll(v =>
            {
                if (v.Authority != ConsentAuthority.Parent || !LaDecided(v.Labels)) return false;
                reasons.Add(new(v.Effect.Consent, "parents' PR limited under s33(3)(b); the LA's view prevails"));
                return true;
            });

        // The Consents the decision is based on (BALP basedOn), including objections set aside below.
        var used = votes.Select(v => v.Effect.Consent).Distinct().Order(StringComparer.Ordinal).ToList();
        var overrides = policy.Check("G7").Purposes.Contains(purpose);
        var denies = votes.Where(v => v.Kind == VoteKind.Deny).ToList();
        if (overrides && denies.Count > 0)
        {
            reasons.AddRange(denies.Select(d => new DecisionReason(d.Effect.Consent, $"objection set aside for {policy.CodeOf(purpose)}")));
            denies.Clear();
        }

        // A base deny with permitted exceptions is "release only these labels"; without, a refusal.
        var deniedBy = new List<string>();
        IReadOnlySet<string>? releaseOnly = null;
        foreach (var d in denies.Where(d => d.Base))
        {
            var permitted = votes.Where(v => v.Effect == d.Effect && v.Kind == VoteKind.Permit && !v.Base).SelectMany(v => v.Labels!).ToHashSet(StringComparer.Ordinal);
            if (permitted.Count == 0) { deniedBy.Add(d.Effect.Consent); reasons.Add(new(d.Effect.Consent, "refuses this request")); continue; }
            releaseOnly = releaseOnly is null ? permitted : releaseOnly.Intersect(permitted).ToHashSet(StringComparer.Ordinal);
            reasons.Add(new(d.Effect.Consent, "releases only " + Scope(permitted)));
        }
        var withheld = denies.Where(d => !d.Base).SelectMany(d => d.Labels!).ToHashSet(StringComparer.Ordinal);
        foreach (var d in denies.Where(d => !d.Base)) reasons.Add(new(d.Effect.Consent, "withholds " + Scope(d.Labels)));

        var permissions = votes.Where(v => v.Kind == VoteKind.Permit).Select(v => new Permission(v.Authority, v.Labels, v.Effect.Consent)).ToList();
        return new ConsentOutcome
        {
            DeniedBy = deniedBy, WithheldLabels = withheld, ReleaseOnlyLabels = releaseOnly,
            Permissions = permissions, Used = used, Reasons = reasons,
        };
    }

    /// <summary>The labels of a class the entitled permits open (all of them when the class has none and a permit covers all data).</summary>
    public static IReadOnlySet<string> Opened(ConsentOutcome outcome, IReadOnlySet<string> classLabels, SubjectFacts child, ConsentPolicy policy, DateOnly day)
    {
        IEnumerable<string> wanted = classLabels.Count == 0 ? ["*"] : classLabels;
        return wanted.Where(l => outcome.Permissions.Any(p =>
                (p.Labels is null || p.Labels.Contains(l)) && (p.Labels is null && l == "*" || ConsentAuthorities.Holders(child, [l], day, policy).Contains(p.Authority))))
            .ToHashSet(StringComparer.Ordinal);
    }

    static IEnumerable<IReadOnlySet<string>?> Scopes(ConsentEffect e) =>
        (e.Base is null ? [] : new IReadOnlySet<string>?[] { null }).Concat(e.Exceptions.Select(x => x.Labels));

    static string Scope(IReadOnlySet<string>? labels) => labels is null ? "all data" : string.Join(",", labels.Order(StringComparer.Ordinal));
}
