using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Hub.Mappers.Ssda903;

/// <summary>The SSDA903 fields that have a code list, by the {field} of their CodeSystem url (contract §3).</summary>
public static class Ssda903Field
{
    public const string LegalStatus = "legal-status", PlacementType = "placement-type", PlacementProvider = "placement-provider",
        ReasonNewEpisode = "reason-new-episode", ReasonEpisodeCeased = "reason-episode-ceased", CategoryOfNeed = "category-of-need",
        ReasonPlaceChange = "reason-place-change", Ethnicity = "ethnicity", Sex = "sex", SdqReason = "sdq-reason", InTouch = "in-touch",
        Activity = "activity", Accommodation = "accommodation", ReviewCode = "review-code", MissingType = "missing-type",
        PreviousPermanence = "previous-permanence", ReasonPlacedCeased = "reason-placed-ceased", AdopterSex = "adopter-sex",
        AdopterLegalStatus = "adopter-legal-status", SwReason = "sw-reason", UpnUnknown = "upn-unknown";
}

/// <summary>
/// The SSDA903 code lists, one CodeSystem per field (`https://fhir.carehub.org.uk/CodeSystem/ssda903-{field}`),
/// each code valid from and to a collection year (properties `valid-from`/`valid-to`, valueInteger, years by
/// their ending: 2025 = 2024/25; absent = always, or still, valid).
/// </summary>
public sealed class CodeLists
{
    public const string UrlPrefix = "https://fhir.carehub.org.uk/CodeSystem/ssda903-";
    public const string ValidFrom = "valid-from", ValidTo = "valid-to";

    sealed record Concept(string Code, string? Display, int? From, int? To)
    {
        public bool ValidIn(int year) => (From is null || year >= From) && (To is null || year <= To);
    }

    readonly Dictionary<string, Dictionary<string, Concept>> fields;

    CodeLists(Dictionary<string, Dictionary<string, Concept>> fields) => this.fields = fields;

    /// <summary>Every `CodeSystem-ssda903-*.json` in the folder (the FHIR package in fhir-profiles/).</summary>
    public static CodeLists Load(string profilesFolder)
    {
        var deserializer = new FhirJsonDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable));
        var systems = Directory.EnumerateFiles(profilesFolder, "CodeSystem-ssda903-*.json")
            .Order(StringComparer.Ordinal)
            .Select(path => deserializer.Deserialize<CodeSystem>(File.ReadAllText(path)));
        return From(systems);
    }

    /// <summary>From CodeSystems already parsed; those whose url is not an SSDA903 code list are ignored.</summary>
    public static CodeLists From(IEnumerable<CodeSystem> systems)
    {
        var fields = new Dictionary<string, Dictionary<string, Concept>>(StringComparer.Ordinal);
        foreach (var system in systems)
        {
            if (system.Url is not { } url || !url.StartsWith(UrlPrefix, StringComparison.Ordinal)) continue;
            var concepts = new Dictionary<string, Concept>(StringComparer.OrdinalIgnoreCase);
            Add(concepts, system.Concept);
            fields[url[UrlPrefix.Length..]] = concepts;
        }
        return new CodeLists(fields);
    }

    static void Add(Dictionary<string, Concept> concepts, IEnumerable<CodeSystem.ConceptDefinitionComponent> definitions)
    {
        foreach (var c in definitions)
        {
            if (!string.IsNullOrEmpty(c.Code))
                concepts[c.Code] = new Concept(c.Code, c.Display, Year(c, ValidFrom), Year(c, ValidTo));
            Add(concepts, c.Concept);
        }
    }

    static int? Year(CodeSystem.ConceptDefinitionComponent concept, string property) =>
        concept.Property.FirstOrDefault(p => p.Code == property)?.Value switch
        {
            Integer i => i.Value,
            Code or FhirString or FhirDecimal when int.TryParse(concept.Property.First(p => p.Code == property).Value.ToString(), out var y) => y,
            _ => null,
        };

    /// <summary>The fields loaded.</summary>
    public IReadOnlyCollection<string> Fields => fields.Keys;

    public bool Has(string field) => fields.ContainsKey(field);

    /// <summary>True when the code is in the field's list and valid in the collection year (case ignored: the reader upper-cases codes).</summary>
    public bool IsValid(string field, string? code, int year) =>
        code is not null && List(field).TryGetValue(code, out var concept) && concept.ValidIn(year);

    /// <summary>True when the code is in the field's list in some year (an out-of-year code, rather than garbage).</summary>
    public bool IsKnown(string field, string? code) => code is not null && List(field).ContainsKey(code);

    public string? Display(string field, string code) => List(field).TryGetValue(code, out var concept) ? concept.Display : null;

    /// <summary>The codes valid in a year, in no particular order.</summary>
    public IEnumerable<string> Codes(string field, int year) => List(field).Values.Where(c => c.ValidIn(year)).Select(c => c.Code);

    Dictionary<string, Concept> List(string field) =>
        fields.TryGetValue(field, out var list) ? list : throw new InvalidOperationException($"no code list for the SSDA903 field {field} (expected CodeSystem {UrlPrefix}{field})");
}
