using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Hub.Mappers.Summary;

/// <summary>The display of every code in the hub's CodeSystems (fhir-profiles/), so narratives name codes as the code lists do.</summary>
public sealed class CodeDisplays
{
    readonly Dictionary<(string System, string Code), string> displays;

    CodeDisplays(Dictionary<(string, string), string> displays) => this.displays = displays;

    public static readonly CodeDisplays Empty = new([]);

    /// <summary>Every `CodeSystem-*.json` in the folder.</summary>
    public static CodeDisplays Load(string profilesFolder)
    {
        var deserializer = new FhirJsonDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable));
        return From(Directory.EnumerateFiles(profilesFolder, "CodeSystem-*.json").Order(StringComparer.Ordinal)
            .Select(path => deserializer.Deserialize<CodeSystem>(File.ReadAllText(path))));
    }

    public static CodeDisplays From(IEnumerable<CodeSystem> systems)
    {
        var map = new Dictionary<(string, string), string>();
        void Add(string url, IEnumerable<CodeSystem.ConceptDefinitionComponent> concepts)
        {
            foreach (var c in concepts)
            {
                if (c.Code is { Length: > 0 } code && c.Display is { Length: > 0 } display) map[(url, code)] = display;
                Add(url, c.Concept);
            }
        }
        foreach (var s in systems.Where(s => s.Url is not null)) Add(s.Url!, s.Concept);
        return new CodeDisplays(map);
    }

    public string? Find(string? system, string? code) =>
        system is not null && code is not null && displays.TryGetValue((system, code), out var d) ? d : null;

    /// <summary>What a person reads for a coding: its own display, else the code list's, else the code.</summary>
    public string Of(Coding c) => c.Display ?? Find(c.System, c.Code) ?? c.Code ?? "";

    /// <summary>What a person reads for a concept: its text, else its first coding that has a name.</summary>
    public string Of(CodeableConcept? c) =>
        c is null ? "" : c.Text ?? c.Coding.Select(Of).FirstOrDefault(s => s.Length > 0) ?? "";
}
