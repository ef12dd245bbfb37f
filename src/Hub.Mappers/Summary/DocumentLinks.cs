using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Hub.Mappers.Summary;

/// <summary>What becomes of one reference when a resource goes into a document Bundle.</summary>
public abstract record LinkTarget
{
    /// <summary>The target is in the Bundle: point at its fullUrl.</summary>
    public sealed record Local(string FullUrl) : LinkTarget;
    /// <summary>The target is not in the Bundle and may be named: keep its identifier and display, drop the literal reference.</summary>
    public sealed record Named(string? Type, string? Id) : LinkTarget;
    /// <summary>The target was held back (or is another person): the reference goes, so not even its display is left.</summary>
    public sealed record Hidden : LinkTarget;
    /// <summary>A reference to a contained resource: it resolves inside its own resource already.</summary>
    public sealed record Contained : LinkTarget;
}

/// <summary>
/// The links of a document Bundle: stable urn:uuid fullUrls, and copies of resources whose every reference resolves inside
/// the Bundle or is no literal reference at all. Works on the JSON form, where every Reference is an object with a
/// string `reference`, so no resource type needs code of its own.
/// </summary>
public static partial class DocumentLinks
{
    static readonly JsonSerializerOptions Fhir = new JsonSerializerOptions().ForFhir();

    /// <summary>The fullUrl of a resource in every summary: the same resource, the same urn:uuid.</summary>
    public static string FullUrl(string type, string id) => "urn:uuid:" + StableUuid($"{type}/{id}");

    /// <summary>A name-based UUID (RFC 4122 version 5 layout over SHA-1).</summary>
    public static Guid StableUuid(string name)
    {
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes(name));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    [GeneratedRegex(@"(?:^|/)(?<type>[A-Z][A-Za-z]+)/(?<id>[A-Za-z0-9\-\.]{1,64})(?:/_history/[^/]+)?$")]
    private static partial Regex Literal();

    /// <summary>The resource type and id a literal reference names (relative or absolute), or null.</summary>
    public static (string Type, string Id)? Split(string reference)
    {
        var m = Literal().Match(reference);
        return m.Success && ModelInfo.IsKnownResource(m.Groups["type"].Value) ? (m.Groups["type"].Value, m.Groups["id"].Value) : null;
    }

    /// <summary>The resource as JSON, a copy the caller may change freely.</summary>
    public static JsonObject ToJson(Resource r) => JsonSerializer.SerializeToNode(r, r.GetType(), Fhir)!.AsObject();

    public static Resource FromJson(JsonObject json) => json.Deserialize<Resource>(Fhir)!;

    /// <summary>Every Reference element in a resource (contained resources and extensions included), walked over the model.</summary>
    public static IEnumerable<ResourceReference> ReferenceElements(Base node) =>
        node.EnumerateElements().SelectMany(e => e.Value switch
        {
            IEnumerable<Base> list => list.SelectMany(ReferencesAt),
            Base b => ReferencesAt(b),
            _ => [], // a primitive's own value
        });

    static IEnumerable<ResourceReference> ReferencesAt(Base value) => value switch
    {
        // An identifier's assigner inside a Reference is a Reference too.
        ResourceReference r => ReferenceElements(r).Prepend(r),
        _ => ReferenceElements(value), // a primitive too: an extension on it may hold a reference
    };

    /// <summary>
    /// The resource as it goes into the document: a copy with every reference rewritten as <paramref name="resolve"/> says.
    /// When every reference only points somewhere new (the usual case) the copy is made and rewritten over the model;
    /// when some must go, over the JSON form, where removing a reference and whatever it leaves empty is generic.
    /// </summary>
    public static Resource Linked(Resource r, Func<string, LinkTarget> resolve)
    {
        if (ReferenceElements(r).All(x => x.Reference is not { } s || resolve(s) is LinkTarget.Local or LinkTarget.Contained))
        {
            var copy = (Resource)r.DeepCopy();
            foreach (var x in ReferenceElements(copy))
                if (x.Reference is { } s && resolve(s) is LinkTarget.Local local) x.Reference = local.FullUrl;
            return copy;
        }
        var json = ToJson(r);
        Rewrite(json, resolve);
        return FromJson(json);
    }

    /// <summary>Rewrites every reference in the JSON as <paramref name="resolve"/> says; removes those that must go.</summary>
    public static void Rewrite(JsonNode? node, Func<string, LinkTarget> resolve)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o.ToList())
                    if (name != "reference" && Rewrites(child, resolve) == Keep.No) o.Remove(name);
                break;
            case JsonArray a:
                for (var i = a.Count - 1; i >= 0; i--)
                    if (Rewrites(a[i], resolve) == Keep.No) a.RemoveAt(i);
                break;
        }
    }

    enum Keep { Yes, No }

    static Keep Rewrites(JsonNode? node, Func<string, LinkTarget> resolve)
    {
        if (node is JsonObject o && o["reference"] is JsonValue v && v.TryGetValue<string>(out var reference))
        {
            switch (resolve(reference))
            {
                case LinkTarget.Contained: break;
                case LinkTarget.Local local: o["reference"] = local.FullUrl; break;
                case LinkTarget.Hidden: return Keep.No;
                case LinkTarget.Named named:
                    o.Remove("reference");
                    o.Remove("_reference");
                    // An organisation's code is public and says who it is; the Bundle just does not carry the resource.
                    if (named.Type == "Organization" && named.Id is { } code && o["identifier"] is null)
                        o["identifier"] = new JsonObject { ["system"] = OrganisationSystem(code), ["value"] = code };
                    if (o["identifier"] is null && o["display"] is null) return Keep.No;
                    break;
            }
        }
        Rewrite(node, resolve);
        // An element left with nothing in it is no element (FHIR ele-1).
        return node is JsonObject { Count: 0 } or JsonArray { Count: 0 } ? Keep.No : Keep.Yes;
    }

    /// <summary>The hub's Organizations have their code as id: a DfE LA number (3 digits) or an ODS code (contract §3).</summary>
    public static string OrganisationSystem(string code) =>
        code.Length == 3 && code.All(char.IsAsciiDigit) ? Hub.Mappers.Ssda903.Mapping.Cla.LaNumberSystem : "https://fhir.nhs.uk/Id/ods-organization-code";
}
