using Hl7.Fhir.Model;
using Hub.Api.Fhir;

namespace Hub.Api.Search;

/// <summary>One search parameter the hub indexes: its code, kind and the FhirPath that extracts its values.</summary>
public sealed record SearchParameterDef(string ResourceType, string Code, SearchParamType Type, string Expression, string Url);

/// <summary>
/// The search parameters the hub supports, read from fhir-profiles/SearchParameter-bundle.json; the index,
/// the query parser and the CapabilityStatement all come from this one list.
/// </summary>
public sealed class SearchParameters
{
    readonly Dictionary<string, Dictionary<string, SearchParameterDef>> byType = new(StringComparer.Ordinal);

    public SearchParameters(IEnumerable<SearchParameterDef> defs)
    {
        foreach (var d in defs)
        {
            if (!byType.TryGetValue(d.ResourceType, out var map)) byType[d.ResourceType] = map = new(StringComparer.Ordinal);
            map[d.Code] = d;
        }
    }

    public static SearchParameters Load(string profilesFolder)
    {
        var path = Path.Combine(profilesFolder, "SearchParameter-bundle.json");
        var bundle = (Bundle)FhirFormat.ParseJson(File.ReadAllText(path));
        var defs = new List<SearchParameterDef>();
        foreach (var sp in bundle.Entry.Select(e => e.Resource).OfType<SearchParameter>())
        {
            if (sp.Type is not { } type || string.IsNullOrEmpty(sp.Expression) || sp.Code is null) continue;
            foreach (var b in sp.Base)
            {
                if (b is null) continue;
                var typeName = b.Value.ToString();
                defs.Add(new SearchParameterDef(typeName, sp.Code, type, ForBase(sp.Expression, typeName), sp.Url ?? $"https://fhir.carehub.org.uk/SearchParameter/{typeName}-{sp.Code}"));
            }
        }
        return new SearchParameters(defs);
    }

    // A core expression shared by many bases ("Observation.subject | Encounter.subject") is cut to the part for one base.
    static string ForBase(string expression, string type)
    {
        var parts = expression.Split('|', StringSplitOptions.TrimEntries);
        if (parts.Length == 1) return expression;
        var mine = parts.Where(p => p.StartsWith(type + ".", StringComparison.Ordinal) || p.StartsWith("(" + type + ".", StringComparison.Ordinal)).ToArray();
        return mine.Length == 0 ? expression : string.Join(" | ", mine);
    }

    public IReadOnlyCollection<SearchParameterDef> For(string resourceType) =>
        byType.TryGetValue(resourceType, out var map) ? map.Values : [];

    public SearchParameterDef? Find(string resourceType, string code) =>
        byType.TryGetValue(resourceType, out var map) && map.TryGetValue(code, out var d) ? d : null;

    public IEnumerable<string> Types => byType.Keys;
}
