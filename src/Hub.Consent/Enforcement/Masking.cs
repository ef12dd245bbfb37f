using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Consent.Decisions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Hub.Consent.Enforcement;

/// <summary>What masking made of a resource: withheld (no view of its type), unchanged, or a masked copy.</summary>
public sealed record MaskResult(JsonObject? Released, bool Changed)
{
    public bool Withheld => Released is null;
}

/// <summary>
/// MASK(elementPath) of reference/consent.md §3.6: the named views of the policy's "masks", applied to a released resource.
/// Every view is a whitelist per resource type, so an element nobody thought of is dropped, never passed; a mask with no
/// view for a type withholds the resource (fail closed). A view never keeps `text` or `contained`: the narrative and
/// contained resources may repeat what the view removes. Pure: JSON in, JSON out, no clock.
/// </summary>
public static class Masking
{
    /// <summary>v3-ObservationValue MASKED: the resource is released with elements removed (DS4P).</summary>
    public const string ObservationValueSystem = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", Masked = "MASKED";

    static readonly JsonSerializerOptions Fhir = new JsonSerializerOptions().ForFhir();

    /// <summary>Applies the masks to a resource (one after another: what is released is what every view keeps).</summary>
    public static Resource? Apply(Resource resource, IReadOnlyList<string> masks, WithheldMarking marking = WithheldMarking.Mark)
    {
        var json = JsonSerializer.SerializeToNode(resource, resource.GetType(), Fhir)!.AsObject();
        var result = Apply(json, masks, marking);
        return result.Released is null ? null : result.Changed ? result.Released.Deserialize<Resource>(Fhir) : resource;
    }

    /// <summary>
    /// Applies the masks to a resource's JSON (left untouched). A copy that lost anything is marked MASKED in
    /// meta.security unless the decision says withheld data must be left out silently (S-flag, adoption: §3.6).
    /// </summary>
    public static MaskResult Apply(JsonObject resource, IReadOnlyList<string> masks, WithheldMarking marking = WithheldMarking.Mark)
    {
        if (masks.Count == 0) return new(resource, false);
        var type = resource["resourceType"]?.GetValue<string>() ?? "";
        var current = resource;
        foreach (var mask in masks)
        {
            if (!MaskViews.All.TryGetValue(mask, out var views) || !views.TryGetValue(type, out var choose)) return new(null, false);
            if (choose(current) is not { } view) return new(null, false);
            var source = view.Prepare is null ? current : view.Prepare((JsonObject)current.DeepClone());
            if (Project(source, view.Root, topLevel: true) is not { } projected) return new(null, false);
            current = projected;
        }
        var changed = !JsonNode.DeepEquals(current, resource);
        if (changed && marking == WithheldMarking.Mark) MarkMasked(current);
        return new(changed ? current : resource, changed);
    }

    /// <summary>Whether a view of <paramref name="mask"/> exists for the type at all (a test and documentation aid).</summary>
    public static bool Defines(string mask, string resourceType) =>
        MaskViews.All.TryGetValue(mask, out var views) && views.ContainsKey(resourceType);

    /// <summary>The resource types a mask has a view of.</summary>
    public static IReadOnlyCollection<string> TypesOf(string mask) =>
        MaskViews.All.TryGetValue(mask, out var views) ? views.Keys.ToList() : [];

    /// <summary>The masks Masking knows; a test holds them equal to the policy's "masks".</summary>
    public static IReadOnlyCollection<string> Known => MaskViews.All.Keys.ToList();

    /// <summary>
    /// A record the caller's own organisation holds or wrote (its managingOrganization, author, sender or performer: an
    /// LA's CLAPatient, episodes, OC2/OC3 items, flags and placement notifications) is its own, not a disclosure to it;
    /// masking it would also make a read-modify-update lose data.
    /// </summary>
    public static bool OwnedBy(JsonObject resource, string organisationId)
    {
        var own = "Organization/" + organisationId;
        bool Names(JsonNode? reference) => reference is JsonObject r && r["reference"] is JsonValue v && v.TryGetValue<string>(out var s) && s == own;
        static IEnumerable<JsonNode?> Each(JsonNode? n) => n is JsonArray a ? a : [n];
        return Names(resource["managingOrganization"]) || Names(resource["author"]) || Names(resource["sender"])
            || Each(resource["performer"]).Any(p => Names(p) || Names(p?["actor"]));
    }

    static void MarkMasked(JsonObject resource)
    {
        var meta = resource["meta"] as JsonObject ?? new JsonObject();
        resource["meta"] = meta;
        var security = meta["security"] as JsonArray ?? new JsonArray();
        meta["security"] = security;
        if (!security.Any(s => s?["system"]?.GetValue<string>() == ObservationValueSystem && s["code"]?.GetValue<string>() == Masked))
            security.Add(new JsonObject { ["system"] = ObservationValueSystem, ["code"] = Masked, ["display"] = "masked" });
    }

    /// <summary>
    /// The properties of <paramref name="node"/> that <paramref name="keep"/> names, recursively; empty objects and
    /// arrays disappear. Null when a dropped part is a modifierExtension: without it the rest could mean the opposite.
    /// </summary>
    static JsonObject? Project(JsonObject node, KeepTree keep, bool topLevel)
    {
        var result = new JsonObject();
        foreach (var (name, value) in node)
        {
            if (value is null) continue;
            if (topLevel && name is "resourceType" or "id" or "meta" or "language" or "_language") { result[name] = value.DeepClone(); continue; }
            var element = name.StartsWith('_') ? name[1..] : name;
            if (!keep.Match(element, out var sub))
            {
                if (element == "modifierExtension") return null;
                continue;
            }
            if (element == "extension" && keep.Extensions is { } urls && !name.StartsWith('_'))
            {
                var kept = new JsonArray([.. value.AsArray().Where(e => e?["url"]?.GetValue<string>() is { } u && urls.Contains(u)).Select(e => e!.DeepClone())]);
                if (kept.Count > 0) result[name] = kept;
                continue;
            }
            if (sub is null || name.StartsWith('_')) { result[name] = value.DeepClone(); continue; }
            switch (value)
            {
                case JsonObject o:
                    if (Project(o, sub, false) is not { } p) return null;
                    if (p.Count > 0) result[name] = p;
                    break;
                case JsonArray a:
                    var items = new JsonArray();
                    foreach (var item in a)
                    {
                        if (item is not JsonObject io) continue;
                        if (Project(io, sub, false) is not { } p2) return null;
                        if (p2.Count > 0) items.Add(p2);
                    }
                    if (items.Count > 0) result[name] = items;
                    break;
                default:
                    result[name] = value.DeepClone();
                    break;
            }
        }
        return result;
    }
}

/// <summary>
/// Which elements a view keeps: names (a choice element as `value[x]`), each with what it keeps inside (null: all of it),
/// and for `extension` which URLs.
/// </summary>
sealed class KeepTree
{
    readonly Dictionary<string, KeepTree?> names = new(StringComparer.Ordinal);
    readonly List<(string Prefix, KeepTree? Sub)> choices = [];
    public IReadOnlySet<string>? Extensions { get; private set; }

    public static KeepTree Of(IEnumerable<string> paths, IEnumerable<string>? extensions = null)
    {
        var root = new KeepTree();
        foreach (var path in paths) root.Add(path.Split('.'));
        if (extensions is not null)
        {
            root.Extensions = extensions.ToHashSet(StringComparer.Ordinal);
            root.names["extension"] = null;
        }
        return root;
    }

    void Add(string[] parts)
    {
        var (head, rest) = (parts[0], parts[1..]);
        if (head.EndsWith("[x]", StringComparison.Ordinal))
        {
            var prefix = head[..^3];
            var i = choices.FindIndex(c => c.Prefix == prefix);
            if (rest.Length == 0) { if (i >= 0) choices[i] = (prefix, null); else choices.Add((prefix, null)); return; }
            if (i < 0) { choices.Add((prefix, new KeepTree())); i = choices.Count - 1; }
            choices[i].Sub?.Add(rest);
            return;
        }
        if (rest.Length == 0) { names[head] = null; return; }
        if (!names.TryGetValue(head, out var sub)) names[head] = sub = new KeepTree();
        sub?.Add(rest);
    }

    public bool Match(string element, out KeepTree? sub)
    {
        if (names.TryGetValue(element, out sub)) return true;
        foreach (var (prefix, s) in choices)
            if (element.Length > prefix.Length && element.StartsWith(prefix, StringComparison.Ordinal) && char.IsUpper(element[prefix.Length]))
            { sub = s; return true; }
        sub = null;
        return false;
    }
}

/// <summary>One view of one resource type: what it keeps, after an optional step that drops list items (history).</summary>
sealed record MaskView(KeepTree Root, Func<JsonObject, JsonObject>? Prepare = null)
{
    public static MaskView Keep(string[] paths, string[]? extensions = null, Func<JsonObject, JsonObject>? prepare = null) =>
        new(KeepTree.Of(paths, extensions), prepare);
}
