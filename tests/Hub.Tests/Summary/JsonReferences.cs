using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hub.Mappers.Summary;

namespace Hub.Tests.Summary;

/// <summary>
/// The tests' oracle for references: every `reference` string anywhere in a resource's JSON form, where a Reference is
/// an object with one. Independent of the model walk the summary itself uses (DocumentLinks.ReferenceElements).
/// </summary>
public static class JsonReferences
{
    public static IEnumerable<string> In(Resource resource) => In(DocumentLinks.ToJson(resource));

    public static IEnumerable<string> In(JsonNode? node) => node switch
    {
        JsonObject o => (o["reference"] is JsonValue v && v.TryGetValue<string>(out var s) ? [s] : Array.Empty<string>())
            .Concat(o.Where(p => p.Key != "reference").SelectMany(p => In(p.Value))),
        JsonArray a => a.SelectMany(In),
        _ => [],
    };
}
