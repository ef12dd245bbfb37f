using Hub.Consent.Vocabulary;

namespace Hub.Consent.Decisions;

/// <summary>Whether the enforcement point may say that something was withheld (reference/consent.md §3.6 MARK_WITHHELD).</summary>
public enum WithheldMarking
{
    /// <summary>Tag the Bundle REDACTED / the section emptyReason withheld.</summary>
    Mark,
    /// <summary>Leave withheld data out silently: saying so would itself disclose (S-flag, adoption).</summary>
    Silent,
}

/// <summary>
/// What the enforcement point must do with a permitted response (reference/consent.md §3.6).
/// A resource is withheld when it falls in a withheld class or carries a withheld label; see <see cref="Enforcement.Withholding"/>.
/// </summary>
public sealed record Obligations
{
    public static readonly Obligations None = new();

    /// <summary>REDACT: whole resources of these data classes are removed.</summary>
    public IReadOnlySet<DataClass> WithheldClasses { get; init; } = new SortedSet<DataClass>();
    /// <summary>MASK: resources of the class are released with only the named view (a key of the policy's masks).</summary>
    public IReadOnlyDictionary<DataClass, string> Masks { get; init; } = new SortedDictionary<DataClass, string>();
    /// <summary>REDACT(codes): resources carrying any of these security label codes are removed. Always holds V (G8).</summary>
    public IReadOnlySet<string> WithheldLabels { get; init; } = new SortedSet<string>(StringComparer.Ordinal);
    /// <summary>REDACT(exceptAnyOfCodes): when set, only resources carrying one of these labels are released.</summary>
    public IReadOnlySet<string>? ReleaseOnlyLabels { get; init; }
    /// <summary>REVIEW_BEFORE_RELEASE: held for an appropriate health professional (DPA 2018 Sch 3).</summary>
    public IReadOnlySet<DataClass> ReviewBeforeRelease { get; init; } = new SortedSet<DataClass>();

    /// <summary>
    /// Whether nothing of this class may go out now: withheld, or waiting for a review before release that the hub has no
    /// workflow for yet (until one releases it, it is held back, never sent unreviewed).
    /// </summary>
    public bool HoldsBack(DataClass c) => WithheldClasses.Contains(c) || ReviewBeforeRelease.Contains(c);

    /// <summary>SUPPRESS_TOTAL: no Bundle.total, no _summary=count.</summary>
    public bool SuppressTotal { get; init; }
    public WithheldMarking Marking { get; init; } = WithheldMarking.Mark;
    /// <summary>NOTIFY(role), e.g. caldicott-guardian, designated-nurse, young-person-unless-unsafe.</summary>
    public IReadOnlyList<string> Notify { get; init; } = [];
    /// <summary>IG alerts raised even when the caller is told nothing (G1).</summary>
    public IReadOnlyList<string> Alerts { get; init; } = [];
    public bool ReasonRequired { get; init; }
    /// <summary>Break-glass access lasts this long.</summary>
    public TimeSpan? TimeBox { get; init; }
    public bool PostHocReview { get; init; }
    /// <summary>AGGREGATE_ONLY: counts of 1–4 suppressed; NHS-originated data filtered by the national data opt-out.</summary>
    public bool SmallNumberSuppression { get; init; }
    public bool OptOutFilter { get; init; }

    /// <summary>One line per obligation, for AuditEvent.outcomeDesc.</summary>
    public IEnumerable<string> Describe()
    {
        foreach (var c in WithheldClasses) yield return $"withhold:{c.Code()}";
        foreach (var (c, m) in Masks) yield return $"mask:{c.Code()}:{m}";
        foreach (var l in WithheldLabels) yield return $"redact-label:{l}";
        if (ReleaseOnlyLabels is { } only) yield return $"release-only:{string.Join(',', only.Order(StringComparer.Ordinal))}";
        foreach (var c in ReviewBeforeRelease) yield return $"review-before-release:{c.Code()}";
        if (SuppressTotal) yield return "suppress-total";
        yield return Marking == WithheldMarking.Mark ? "mark-withheld" : "withhold-silently";
        foreach (var n in Notify) yield return $"notify:{n}";
        foreach (var a in Alerts) yield return $"alert:{a}";
        if (ReasonRequired) yield return "reason-required";
        if (TimeBox is { } t) yield return $"time-box:{System.Xml.XmlConvert.ToString(t)}";
        if (PostHocReview) yield return "post-hoc-review";
        if (SmallNumberSuppression) yield return "small-number-suppression";
        if (OptOutFilter) yield return "opt-out-filter";
    }
}
