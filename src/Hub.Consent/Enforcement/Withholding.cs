using Hub.Consent.Decisions;
using Hub.Consent.Policy;
using Hub.Consent.Vocabulary;
using Hl7.Fhir.Model;

namespace Hub.Consent.Enforcement;

/// <summary>
/// The pure half of the enforcement point: given a resource's security labels (as the labeller left them) and a decision,
/// is the resource withheld, and which masks apply to it? Unlabelled resources are withheld: label before deciding.
/// </summary>
public static class Withholding
{
    public static bool IsWithheld(IEnumerable<Coding> security, Decision decision, ConsentPolicy policy)
    {
        if (!decision.Permitted) return true;
        var labels = security.Where(s => s.Code is not null).ToList();
        var classes = ClassesOf(labels, policy);
        if (classes.Count == 0) return true;
        var o = decision.Obligations;
        if (classes.Any(o.HoldsBack)) return true;
        if (labels.Any(l => o.WithheldLabels.Contains(l.Code!))) return true;
        return o.ReleaseOnlyLabels is { } only && !labels.Any(l => only.Contains(l.Code!));
    }

    public static bool IsWithheld(Resource resource, Decision decision, ConsentPolicy policy) =>
        IsWithheld(resource.Meta?.Security ?? [], decision, policy);

    /// <summary>The masks (keys of the policy's masks) to apply to a released resource, one per masked class it is in.</summary>
    public static IReadOnlyList<string> MasksFor(IEnumerable<Coding> security, Decision decision, ConsentPolicy policy) =>
        ClassesOf(security.Where(s => s.Code is not null).ToList(), policy)
            .Select(c => decision.Obligations.Masks.GetValueOrDefault(c)).OfType<string>().Distinct().ToList();

    /// <summary>The labeller's data-class tags; for a resource without them, the classes its labels imply.</summary>
    public static SortedSet<DataClass> ClassesOf(IReadOnlyList<Coding> labels, ConsentPolicy policy)
    {
        var tagged = new SortedSet<DataClass>(labels.Where(l => l.System == LabelSystems.DataClass).Select(l => DataClasses.Parse(l.Code!)));
        if (tagged.Count > 0) return tagged;
        return new SortedSet<DataClass>(labels.Select(l => policy.ClassOfLabel(l.Code!)).OfType<DataClass>());
    }
}
