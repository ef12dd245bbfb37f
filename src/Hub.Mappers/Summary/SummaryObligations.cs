using Hl7.Fhir.Model;

namespace Hub.Mappers.Summary;

/// <summary>
/// What the enforcement point tells the summary to hold back (reference/consent.md §3.6). The builder never decides
/// access; it only applies these.
/// </summary>
/// <param name="WithheldSections">cla-summary-section codes shown as withheld: present, emptyReason withheld, no entries, no detail.</param>
/// <param name="LeaveOut">Single resources to leave out of a section that is otherwise shown (REDACT).</param>
/// <param name="MarkRedacted">
/// True: the Bundle says that entries were left out (meta.security REDACTED, MARK_WITHHELD). False where saying so would
/// itself disclose something (S-flag, adoption): entries are then left out silently and the section reads as if they never were.
/// </param>
public sealed record SummaryObligations(IReadOnlySet<string> WithheldSections, Func<Resource, bool> LeaveOut, bool MarkRedacted)
{
    /// <summary>Nothing held back.</summary>
    public static readonly SummaryObligations None = new(new HashSet<string>(), _ => false, MarkRedacted: true);
}
