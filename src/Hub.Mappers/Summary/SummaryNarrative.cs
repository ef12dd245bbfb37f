using System.Globalization;
using System.Text;
using Hl7.Fhir.Model;
using Hub.Mappers.Ssda903.Mapping;

namespace Hub.Mappers.Summary;

/// <summary>
/// The generated XHTML of each section: one line per entry, saying only what the entry itself holds, so a section's
/// narrative never carries more than its entries do.
/// </summary>
public sealed class SummaryNarrative(CodeDisplays displays, Func<string, string?> organisationName)
{
    /// <summary>The text of a withheld section: that it is withheld, and nothing about what it would have held.</summary>
    public const string Withheld = "This section is withheld.";

    /// <summary>The MARK_WITHHELD wording of reference/consent.md §3.6 (GP Connect's confidential-items warning).</summary>
    public const string ItemsExcluded = "Items excluded due to confidentiality and/or patient preferences.";

    public static Narrative Div(IEnumerable<string> paragraphs, IReadOnlyList<string>? items = null)
    {
        var html = new StringBuilder("<div xmlns=\"http://www.w3.org/1999/xhtml\">");
        foreach (var p in paragraphs) html.Append("<p>").Append(Escape(p)).Append("</p>");
        if (items is { Count: > 0 })
        {
            html.Append("<ul>");
            foreach (var i in items) html.Append("<li>").Append(Escape(i)).Append("</li>");
            html.Append("</ul>");
        }
        return new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = html.Append("</div>").ToString() };
    }

    /// <summary>Text for XHTML element content: the three characters that could start markup or an entity.</summary>
    public static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>A FHIR date or dateTime as a person writes it: "2 July 2021", "July 2021", "2021".</summary>
    public static string Date(string? fhirDate)
    {
        if (string.IsNullOrEmpty(fhirDate)) return "an unrecorded date";
        var c = CultureInfo.InvariantCulture;
        if (fhirDate.Length >= 10 && DateOnly.TryParseExact(fhirDate[..10], "yyyy-MM-dd", c, DateTimeStyles.None, out var d)) return d.ToString("d MMMM yyyy", c);
        if (fhirDate.Length == 7 && DateOnly.TryParseExact(fhirDate + "-01", "yyyy-MM-dd", c, DateTimeStyles.None, out var m)) return m.ToString("MMMM yyyy", c);
        return fhirDate;
    }

    /// <summary>An organisation by its name and code, or its code alone when the hub does not know it.</summary>
    public string Organisation(ResourceReference? r)
    {
        var code = r?.Reference is { } s ? DocumentLinks.Split(s)?.Id : r?.Identifier?.Value;
        if (code is null) return r?.Display ?? "an unnamed organisation";
        return organisationName(code) is { } name ? $"{name} ({code})" : r?.Display is { } display ? $"{display} ({code})" : code;
    }

    /// <summary>One line about one entry.</summary>
    public string Line(Resource r, string? contactRole = null) => r switch
    {
        EpisodeOfCare e => Episode(e),
        Observation o => $"{displays.Of(o.Code)}: {Value(o.Value)} (recorded for {Date(Effective(o))})",
        Encounter e => Assessment(e),
        Immunization i => $"{Or(displays.Of(i.VaccineCode), "Vaccine not named")}: {(i.Status == Immunization.ImmunizationStatusCodes.NotDone ? "not given" : "given")} on {Date(OccurrenceOf(i))}",
        Flag f => $"{displays.Of(f.Code)} since {Date(f.Period?.Start)}",
        Condition c => $"{Or(displays.Of(c.Code), "Condition not named")}{Status(c.ClinicalStatus)}",
        AllergyIntolerance a => $"Allergy or intolerance: {Or(displays.Of(a.Code), "not named")}{Status(a.ClinicalStatus)}",
        CarePlan p => $"{p.Title ?? Or(string.Join(", ", p.Category.Select(displays.Of)), "Care plan")} ({p.Status?.ToString().ToLowerInvariant() ?? "status not recorded"}){(p.Period?.Start is { } s ? ", from " + Date(s) : "")}",
        MedicationStatement m => $"Medication: {Or(displays.Of(m.Medication as CodeableConcept), "not named")} ({m.Status?.ToString().ToLowerInvariant() ?? "status not recorded"}){(EffectiveOf(m) is { } from ? ", from " + Date(from) : "")}",
        DocumentReference d => $"{Or(displays.Of(d.Type), "Document")}{(d.Description is { } text ? ": " + text : "")}{(d.Date is { } on ? ", " + Date(on.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)) : "")}{Attached(d)}",
        RelatedPerson p => $"{Or(string.Join(", ", p.Relationship.Select(displays.Of)), "Related person")}: {Name(p.Name)}",
        CareTeam t => t.Name ?? "Care team",
        Organization o => $"{contactRole ?? "Organisation"}: {o.Name ?? o.Id} ({o.Id})",
        _ => r.TypeName,
    };

    string Episode(EpisodeOfCare e)
    {
        var line = new StringBuilder(e.Status == EpisodeOfCare.EpisodeOfCareStatus.Active
            ? $"Looked after since {Date(e.Period?.Start)}"
            : $"Looked after from {Date(e.Period?.Start)} to {Date(e.Period?.End)}");
        if (e.GetExtensionValue<Coding>(Cla.Extension("cla-legal-status")) is { } ls) line.Append("; legal status: ").Append(displays.Of(ls));
        if (e.GetExtensionValue<Coding>(Cla.Extension("cla-placement-type")) is { } place) line.Append("; placement: ").Append(displays.Of(place));
        if (e.GetExtensionValue<ResourceReference>(Cla.Extension("cla-placement-icb")) is { } icb)
        {
            line.Append("; in the area of ").Append(Organisation(icb));
            // Without a placement postcode the ICB is only the LA's own: say so, as the contract asks.
            if (e.GetExtensionValue<Code>(Cla.Extension("cla-placement-located-by"))?.Value == "la") line.Append(" (located by the LA only)");
        }
        if (e.Status != EpisodeOfCare.EpisodeOfCareStatus.Active && e.GetExtensionValue<Coding>(Cla.Extension("cla-reason-episode-ceased")) is { } rec)
            line.Append("; ended: ").Append(displays.Of(rec));
        return line.ToString();
    }

    string Assessment(Encounter e)
    {
        var what = displays.Of(e.Type.FirstOrDefault(t => t.Coding.Any(c => c.System == Cla.HealthSystem)) ?? e.Type.FirstOrDefault());
        var when = e.Status switch
        {
            Encounter.EncounterStatus.Planned => e.Period?.Start is { } s ? $"planned for {Date(s)}" : "planned",
            Encounter.EncounterStatus.Finished => $"on {Date(e.Period?.Start)}",
            _ => $"{e.Status?.ToString().ToLowerInvariant()}, {Date(e.Period?.Start)}",
        };
        return e.ServiceProvider is null ? $"{what}: {when}" : $"{what}: {when}, by {Organisation(e.ServiceProvider)}";
    }

    static string Attached(DocumentReference d) =>
        d.Content.FirstOrDefault()?.Attachment is { } a ? $" ({a.Title ?? "attached"}{(a.ContentType is { } type ? ", " + type : "")})" : "";

    /// <summary>
    /// The last health assessment, from the provider's dated record when there is one: it says when and by whom, where the
    /// SSDA903 item says only yes or no for a year, so it is the better evidence and leads.
    /// </summary>
    public string? LastAssessment(IReadOnlyList<Resource> entries)
    {
        var done = entries.OfType<Encounter>()
            .Where(e => e.Status == Encounter.EncounterStatus.Finished && e.Period?.Start is not null
                && e.Type.Any(t => t.Coding.Any(c => c.System == Cla.HealthSystem && c.Code is Cla.Assessments.Initial or Cla.Assessments.Review)))
            .OrderByDescending(e => e.Period!.Start, StringComparer.Ordinal).FirstOrDefault();
        if (done is not null)
        {
            var what = displays.Of(done.Type.First(t => t.Coding.Any(c => c.System == Cla.HealthSystem)));
            var by = done.ServiceProvider is null ? "" : $", by {Organisation(done.ServiceProvider)}";
            return $"Last health assessment: {what.ToLowerInvariant()} on {Date(done.Period!.Start)}{by}.";
        }
        var reported = entries.OfType<Observation>().FirstOrDefault(o => o.Code.Coding.Any(c => c.System == Cla.HealthSystem && c.Code == "health-assessment-up-to-date"));
        return reported is null ? null
            : $"No dated health assessment is recorded by a provider; the local authority's SSDA903 return says: {Line(reported)}.";
    }

    public static string? EffectiveOf(MedicationStatement m) => m.Effective switch { FhirDateTime d => d.Value, Period p => p.Start, _ => null };

    string Value(DataType? v) => v switch
    {
        FhirBoolean b => b.Value == true ? "yes" : "no",
        Integer i => i.Value?.ToString(CultureInfo.InvariantCulture) ?? "",
        CodeableConcept c => displays.Of(c),
        Quantity q => $"{q.Value?.ToString(CultureInfo.InvariantCulture)} {q.Unit}".Trim(),
        FhirString s => s.Value ?? "",
        null => "no value",
        _ => v.ToString() ?? "",
    };

    string Status(CodeableConcept? c) => c is null ? "" : $" ({displays.Of(c).ToLowerInvariant()})";

    static string Or(string s, string otherwise) => string.IsNullOrWhiteSpace(s) ? otherwise : s;

    static string Name(IEnumerable<HumanName> names) =>
        names.Select(n => n.Text ?? string.Join(" ", n.Given.Append(n.Family).Where(x => !string.IsNullOrEmpty(x)))).FirstOrDefault(s => s.Length > 0) ?? "name not recorded";

    public static string? Effective(Observation o) => o.Effective switch
    {
        FhirDateTime d => d.Value,
        Period p => p.Start,
        Instant i => i.Value?.ToString("o", CultureInfo.InvariantCulture),
        _ => null,
    };

    public static string? OccurrenceOf(Immunization i) => i.Occurrence switch { FhirDateTime d => d.Value, FhirString s => s.Value, _ => null };
}
