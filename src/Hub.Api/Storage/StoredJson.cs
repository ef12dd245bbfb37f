using System.Text;
using Hl7.Fhir.Serialization;

namespace Hub.Api.Storage;

/// <summary>
/// Stamps a version and date into a resource's JSON as serialised without them, so a write serialises once for both
/// its content hash and its stored form. FHIR JSON puts resourceType, id and meta first and versionId, lastUpdated
/// first within meta, so the place is known; anything else answers null and the caller serialises again.
/// ResourceStoreTests holds the result to the serialiser's own output byte for byte.
/// </summary>
public static class StoredJson
{
    public static string? WithVersion(string json, string type, string id, string versionId, DateTimeOffset lastUpdated)
    {
        var head = $"{{\"resourceType\":\"{type}\",\"id\":\"{id}\"";
        if (!json.StartsWith(head, StringComparison.Ordinal)) return null;
        // Escaped as the serialiser escapes it ('+' becomes \u002B), so stamped and serialised JSON are the same bytes.
        var instant = System.Text.Json.JsonEncodedText.Encode(PrimitiveTypeConverter.ConvertTo<string>(lastUpdated)).ToString();
        var stamp = $"\"versionId\":\"{versionId}\",\"lastUpdated\":\"{instant}\"";
        const string meta = ",\"meta\":{";
        var rest = json.AsSpan(head.Length);
        if (rest.StartsWith(meta, StringComparison.Ordinal))
        {
            var at = head.Length + meta.Length;
            return string.Concat(json.AsSpan(0, at), stamp, json[at] == '}' ? "" : ",", json.AsSpan(at));
        }
        return head + meta + stamp + "}" + json[head.Length..];
    }
}
