using System.Reflection;
using System.Text.Json;
using Hub.Consent.Policy;
using Hub.Consent.Vocabulary;
using Hl7.Fhir.Model;

namespace Hub.Consent.Labels;

/// <summary>What the labeller found for a resource: its data classes and the labels it added.</summary>
public sealed record LabelResult(IReadOnlySet<DataClass> Classes, IReadOnlyList<Coding> Added);

/// <summary>
/// The security labelling service (reference/consent.md §1.3, §3.8): assigns data classes and meta.security labels from the
/// codes found anywhere in a resource, using the tables in Labels/label-rules.v1.json. Labels that arrive are kept; the
/// confidentiality is a high-water mark, so it is raised, never lowered. Pure: the caller decides whether to keep the change.
/// </summary>
public sealed class SecurityLabeller
{
    public const string EmbeddedName = "label-rules.v1.json";

    sealed record CodeRule(IReadOnlySet<DataClass> Classes, IReadOnlySet<string> Labels);

    readonly Dictionary<(string System, string Code), CodeRule> codes;
    readonly Dictionary<string, CodeRule> types;
    readonly IReadOnlySet<DataClass> defaults;
    readonly ConsentPolicy policy;
    public string Version { get; }

    SecurityLabeller(string version, Dictionary<(string, string), CodeRule> codes, Dictionary<string, CodeRule> types, IReadOnlySet<DataClass> defaults, ConsentPolicy policy)
    {
        Version = version; this.codes = codes; this.types = types; this.defaults = defaults; this.policy = policy;
    }

    static SecurityLabeller? _shipped;
    public static SecurityLabeller Shipped => _shipped ??= LoadEmbedded(ConsentPolicy.Shipped);

    public static SecurityLabeller LoadEmbedded(ConsentPolicy policy)
    {
        var asm = typeof(SecurityLabeller).Assembly;
        var name = asm.GetManifestResourceNames().Single(n => n.EndsWith(EmbeddedName, StringComparison.Ordinal));
        using var r = new StreamReader(asm.GetManifestResourceStream(name)!);
        return Parse(r.ReadToEnd(), EmbeddedName, policy);
    }

    public static SecurityLabeller Load(string path, ConsentPolicy policy) => Parse(File.ReadAllText(path), Path.GetFileName(path), policy);

    public static SecurityLabeller Parse(string json, string file, ConsentPolicy policy)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        InvalidDataException Bad(string where, string what) => new($"{file}: {where}: {what}");
        CodeRule Rule(JsonElement e, string where) => new(
            e.GetProperty("classes").EnumerateArray().Select(c =>
            {
                try { return DataClasses.Parse(c.GetString() ?? ""); }
                catch (FormatException x) { throw Bad(where + ".classes", x.Message); }
            }).ToHashSet(),
            e.TryGetProperty("labels", out var l)
                ? l.EnumerateArray().Select(x => x.GetString() is { } s && policy.LabelSystems.ContainsKey(s) ? s : throw Bad(where + ".labels", $"unknown label '{x.GetString()}'")).ToHashSet(StringComparer.Ordinal)
                : new HashSet<string>(StringComparer.Ordinal));
        if (!root.TryGetProperty("version", out var v) || v.GetString() is not { Length: > 0 } version) throw Bad("root", "missing version");
        var codes = new Dictionary<(string, string), CodeRule>();
        foreach (var table in new[] { "codes", "icd10" })
        {
            if (!root.TryGetProperty(table, out var list)) throw Bad("root", $"missing '{table}'");
            var i = 0;
            foreach (var e in list.EnumerateArray())
            {
                var where = $"{table}[{i++}]";
                var system = e.TryGetProperty("system", out var s) ? s.GetString() : null;
                var code = e.TryGetProperty("code", out var c) ? c.GetString() : null;
                if (string.IsNullOrEmpty(system) || string.IsNullOrEmpty(code)) throw Bad(where, "needs system and code");
                if (!e.TryGetProperty("source", out _)) throw Bad(where, "needs a source: only codes the reference documents name belong here");
                if (!codes.TryAdd((system, code), Rule(e, where))) throw Bad(where, $"{system}|{code} listed twice");
            }
        }
        var types = root.GetProperty("resourceTypes").EnumerateArray().Select((e, i) => (Type: e.GetProperty("type").GetString()!, Rule: Rule(e, $"resourceTypes[{i}]")))
            .ToDictionary(t => t.Type, t => t.Rule, StringComparer.Ordinal);
        var defaults = root.GetProperty("defaultClasses").EnumerateArray().Select(c => DataClasses.Parse(c.GetString() ?? "")).ToHashSet();
        return new SecurityLabeller(version, codes, types, defaults, policy);
    }

    /// <summary>The classes and labels the codes in a resource call for, and the labels it already carries.</summary>
    public LabelResult Classify(Resource resource)
    {
        var classes = new SortedSet<DataClass>();
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var coding in CodingsIn(resource))
            if (coding.System is { } s && coding.Code is { } c && codes.TryGetValue((s, c), out var rule))
            {
                classes.UnionWith(rule.Classes);
                labels.UnionWith(rule.Labels);
            }
        if (types.TryGetValue(resource.TypeName, out var typeRule))
        {
            classes.UnionWith(typeRule.Classes);
            labels.UnionWith(typeRule.Labels);
        }
        // Our own data-class tags say which class a resource is in; without them, labels that arrived do (a provider's SEX makes it D3).
        var security = resource.Meta?.Security ?? [];
        var tagged = security.Where(s => s.System == LabelSystems.DataClass && s.Code is not null).Select(s => DataClasses.Parse(s.Code!)).ToList();
        classes.UnionWith(tagged);
        if (tagged.Count == 0)
            foreach (var existing in security)
                if (existing.Code is { } code && policy.ClassOfLabel(code) is { } cls) classes.Add(cls);
        if (classes.Count == 0) classes.UnionWith(defaults);
        var added = new List<Coding>();
        var present = (resource.Meta?.Security ?? []).Select(s => (s.System, s.Code)).ToHashSet();
        void Add(string system, string code) { if (present.Add((system, code))) added.Add(new Coding(system, code)); }

        foreach (var cls in classes) Add(LabelSystems.DataClass, cls.Code());
        foreach (var l in labels) Add(policy.LabelSystems[l], l);
        return new LabelResult(classes, added);
    }

    /// <summary>Labels a resource in place: data classes, sensitivity labels, and the confidentiality high-water mark.</summary>
    public LabelResult Label(Resource resource)
    {
        var result = Classify(resource);
        resource.Meta ??= new Meta();
        var security = resource.Meta.Security;
        var existingConf = security.Where(s => s.System == LabelSystems.Confidentiality && s.Code is not null).ToList();
        var computed = result.Classes.Select(c => policy.DataClasses[c].Confidentiality)
            .Concat(existingConf.Select(s => s.Code!)).MaxBy(LabelSystems.ConfidentialityRank)!;
        security.AddRange(result.Added.Where(a => a.System != LabelSystems.Confidentiality));
        // Exactly one confidentiality code, the highest (DS4P).
        if (existingConf.Count != 1 || existingConf[0].Code != computed)
        {
            security.RemoveAll(s => s.System == LabelSystems.Confidentiality);
            security.Insert(0, new Coding(LabelSystems.Confidentiality, computed));
        }
        return result;
    }

    /// <summary>Every Coding in the resource except its own security labels (LEAP's $..coding).</summary>
    static IEnumerable<Coding> CodingsIn(Base node)
    {
        foreach (var (name, value) in node.EnumerateElements())
        {
            if (name == "meta") continue;
            IEnumerable<Base> items = value switch { IEnumerable<Base> list => list, Base b => [b], _ => [] };
            foreach (var child in items)
            {
                if (child is Coding c) yield return c;
                foreach (var inner in CodingsIn(child)) yield return inner;
            }
        }
    }
}
