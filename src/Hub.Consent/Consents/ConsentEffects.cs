using System.Globalization;
using Hub.Consent.Policy;
using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;
using Hl7.Fhir.Model;

namespace Hub.Consent.Consents;

public enum VoteKind { Permit, Deny }

/// <summary>A permit or deny that covers only resources carrying one of these labels.</summary>
public sealed record ScopedVote(VoteKind Kind, IReadOnlySet<string> Labels);

/// <summary>
/// What one Consent says about one request: a base vote for all data (or none), and label-scoped exceptions.
/// "Only N data" is a base deny with a permit exception (PCF's forbid-all, permit N).
/// </summary>
public sealed record ConsentEffect(string Consent, string Performer, DateTimeOffset Recorded, VoteKind? Base, IReadOnlyList<ScopedVote> Exceptions);

/// <summary>Reads CLAConsent (R4, IHE PCF shaped) provisions against a request.</summary>
public static class ConsentEffects
{
    /// <summary>Active, recorded by now, and its root period covers now.</summary>
    public static bool InForce(Hl7.Fhir.Model.Consent c, DateTimeOffset now) =>
        c.Status == Hl7.Fhir.Model.Consent.ConsentState.Active
        && c.Provision?.Type is not null
        && Instant(c.DateTime) is { } recorded && recorded <= now
        && Covers(c.Provision.Period, now);

    /// <summary>The Consent's effect on this request, or null when it does not apply (not in force, other purpose or actor).</summary>
    public static ConsentEffect? For(Hl7.Fhir.Model.Consent c, AccessRequest request, Purpose purpose, ConsentPolicy policy, DateTimeOffset now)
    {
        if (!InForce(c, now)) return null;
        var root = c.Provision!;
        if (!PurposeMatches(root.Purpose, purpose, policy) || !ActorMatches(root.Actor, request)) return null;

        var rootType = Kind(root.Type!.Value);
        var rootLabels = Labels(root.SecurityLabel);
        VoteKind? baseVote = rootType;
        var exceptions = new List<ScopedVote>();
        // Root securityLabel scopes the consent: a permit of only these labels forbids the rest; a deny of them leaves the rest alone.
        if (rootLabels.Count > 0)
        {
            baseVote = rootType == VoteKind.Permit ? VoteKind.Deny : null;
            exceptions.Add(new ScopedVote(rootType, rootLabels));
        }
        foreach (var nested in root.Provision)
        {
            if (!Covers(nested.Period, now) || !PurposeMatches(nested.Purpose, purpose, policy) || !ActorMatches(nested.Actor, request)) continue;
            var kind = nested.Type is { } t ? Kind(t) : Opposite(rootType);
            var labels = Labels(nested.SecurityLabel);
            // Scoping the hub cannot apply (class, code, data, dataPeriod): a deny covers everything, a permit nothing.
            var unsupported = nested.Class.Count > 0 || nested.Code.Count > 0 || nested.Data.Count > 0 || nested.DataPeriod is not null;
            if (unsupported && kind == VoteKind.Permit) continue;
            if (labels.Count == 0 || unsupported) baseVote = kind; // an unscoped exception flips the decision (LEAP)
            else exceptions.Add(new ScopedVote(kind, labels));
        }
        var performer = c.Performer.FirstOrDefault()?.Reference ?? "";
        return new ConsentEffect("Consent/" + c.Id, performer, Instant(c.DateTime)!.Value, baseVote, exceptions);
    }

    static VoteKind Kind(Hl7.Fhir.Model.Consent.ConsentProvisionType t) =>
        t == Hl7.Fhir.Model.Consent.ConsentProvisionType.Permit ? VoteKind.Permit : VoteKind.Deny;

    static VoteKind Opposite(VoteKind k) => k == VoteKind.Permit ? VoteKind.Deny : VoteKind.Permit;

    static HashSet<string> Labels(List<Coding> codings) =>
        codings.Select(c => c.Code).OfType<string>().ToHashSet(StringComparer.Ordinal);

    /// <summary>No purpose means any purpose; otherwise our purpose-of-use code or its v3 ActReason must be listed.</summary>
    internal static bool PurposeMatches(List<Coding> purposes, Purpose purpose, ConsentPolicy policy) =>
        purposes.Count == 0 || purposes.Any(p =>
            p.System == LabelSystems.PurposeOfUse && p.Code == policy.CodeOf(purpose)
            || p.System == LabelSystems.ActReason && p.Code == policy.PurposeV3[purpose]);

    /// <summary>No actor means everyone; an actor names the caller's organisation or the ICB that commissions it.</summary>
    internal static bool ActorMatches(List<Hl7.Fhir.Model.Consent.provisionActorComponent> actors, AccessRequest request) =>
        actors.Count == 0 || actors.Any(a => Names(a.Reference, request.Org) || request.CallerParentIcb is { } icb && Names(a.Reference, icb));

    static bool Names(ResourceReference? r, string org) =>
        r is not null && (r.Reference == "Organization/" + org || r.Identifier?.Value == org);

    internal static bool Covers(Period? p, DateTimeOffset now) =>
        p is null || (string.IsNullOrEmpty(p.Start) || Start(p.Start) is { } s && s <= now)
                  && (string.IsNullOrEmpty(p.End) || End(p.End) is { } e && now < e);

    /// <summary>The instant a FHIR dateTime names, read as its earliest moment.</summary>
    internal static DateTimeOffset? Instant(string? v) => Start(v);

    /// <summary>Null for a missing or unreadable value, so a malformed Consent is simply not in force.</summary>
    static DateTimeOffset? Start(string? v)
    {
        string[] partial = ["yyyy", "yyyy-MM", "yyyy-MM-dd"];
        if (string.IsNullOrEmpty(v)) return null;
        if (v.Length <= 10)
            return DateTime.TryParseExact(v, partial, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d)
                ? new DateTimeOffset(d, TimeSpan.Zero) : null;
        return DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
    }

    /// <summary>A period's end is inclusive at its precision: "2026-02-03" runs to the end of that day.</summary>
    internal static DateTimeOffset? End(string? v) => Start(v) is not { } s ? null : v!.Length switch
    {
        4 => s.AddYears(1),
        7 => s.AddMonths(1),
        10 => s.AddDays(1),
        _ => s,
    };
}
