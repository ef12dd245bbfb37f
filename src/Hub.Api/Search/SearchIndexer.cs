using System.Globalization;
using System.Text;
using Hl7.Fhir.FhirPath;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;
using Hl7.Fhir.Model;
using Hub.Api.Storage;

namespace Hub.Api.Search;

/// <summary>The values of every search parameter of one resource, ready to be stored beside it.</summary>
public sealed record IndexEntries(
    List<(string Param, string? System, string Code)> Tokens,
    List<(string Param, string TargetType, string TargetId)> References,
    List<(string Param, DateTime Start, DateTime End)> Dates,
    List<(string Param, string Value)> Strings);

/// <summary>Extracts search values from a resource by evaluating each parameter's FhirPath expression.</summary>
public sealed class SearchIndexer
{
    // Compiled once: looking each expression up in Firely's shared cache took a lock and a scan per evaluation, which
    // cost more than evaluating it when an import indexes hundreds of thousands of resources on every core.
    static readonly FhirPathCompiler Compiler = new(new SymbolTable().AddStandardFP().AddFhirExtensions());
    readonly Dictionary<string, Evaluator[]> byType;

    /// <summary>A parameter and how to evaluate it: as a plain path over the model, or by FhirPath.</summary>
    sealed record Evaluator(SearchParameterDef Def, PlainPath? Path, CompiledExpression? Expression);

    /// <param name="plainPaths">
    /// Walk plain paths (`Type.a.b`, optionally `.where(resolve() is T)`) over the model directly. Every parameter the
    /// hub defines is one; Firely's evaluator builds a variable scope per call, which cost more than the rest of an
    /// import's indexing. False evaluates everything by FhirPath: SearchIndexerTests holds the two to the same answers.
    /// </param>
    public SearchIndexer(SearchParameters parameters, bool plainPaths = true)
    {
        byType = parameters.Types.ToDictionary(t => t, t => parameters.For(t)
            .Select(p => (plainPaths ? PlainPath.Of(p.Expression, t) : null) is { } path ? new Evaluator(p, path, null) : new Evaluator(p, null, Compile(p.Expression)))
            .ToArray());
    }

    /// <summary>An expression our model cannot compile indexes nothing rather than failing every write of its type.</summary>
    static CompiledExpression? Compile(string expression)
    {
        try { return Compiler.Compile(expression); }
        catch (Exception) { return null; }
    }

    // Core expressions such as `subject.where(resolve() is Patient)` only need the target's type, which the reference
    // itself names: resolve() answers with an empty resource of that type, and nothing is ever fetched.
    static PocoNode? ResolveByTypeOnly(string reference)
    {
        if (Split(reference) is not { } target || ModelInfo.GetTypeForFhirType(target.Type) is not { } type) return null;
        var empty = (Resource)Activator.CreateInstance(type)!;
        empty.Id = target.Id;
        return empty.ToPocoNode(ModelInfo.ModelInspector, null);
    }

    public IndexEntries Extract(Resource resource)
    {
        var entries = new IndexEntries([], [], [], []);
        if (byType.TryGetValue(resource.TypeName, out var evaluators))
        {
            PocoNode? node = null;
            FhirEvaluationContext? context = null;
            foreach (var e in evaluators)
            {
                if (e.Path is { } path)
                {
                    foreach (var v in path.Select(resource)) Add(entries, e.Def, v);
                    continue;
                }
                if (e.Expression is null) continue;
                node ??= resource.ToPocoNode(ModelInfo.ModelInspector, null);
                // A context per resource: evaluation records the resource it runs on, and imports index on several threads.
                context ??= new FhirEvaluationContext { ElementResolver = ResolveByTypeOnly };
                try
                {
                    foreach (var v in e.Expression([node], context)) if (v?.Poco is { } value) Add(entries, e.Def, value);
                }
                catch (Exception) { } // as above: a value the expression cannot evaluate on this resource indexes nothing
            }
        }
        foreach (var tag in resource.Meta?.Tag ?? []) if (tag.Code is not null) entries.Tokens.Add(("_tag", tag.System, tag.Code));
        foreach (var label in resource.Meta?.Security ?? []) if (label.Code is not null) entries.Tokens.Add(("_security", label.System, label.Code));
        foreach (var profile in resource.Meta?.Profile ?? []) if (profile is not null) entries.Tokens.Add(("_profile", null, profile));
        return entries;
    }

    static void Add(IndexEntries e, SearchParameterDef p, Base v)
    {
        switch (p.Type)
        {
            case SearchParamType.Token:
            case SearchParamType.Uri:
                foreach (var (system, code) in Tokens(v)) e.Tokens.Add((p.Code, system, code));
                break;
            case SearchParamType.Reference:
                if (v is ResourceReference { Reference: { } r } && Split(r) is { } target) e.References.Add((p.Code, target.Type, target.Id));
                else if (v is Canonical { Value: { } c }) e.Tokens.Add((p.Code, null, c));
                break;
            case SearchParamType.Date:
                if (Dates.Range(v) is { } range) e.Dates.Add((p.Code, range.Start, range.End));
                break;
            case SearchParamType.String:
                foreach (var s in Strings(v)) e.Strings.Add((p.Code, Normalise(s)));
                break;
        }
    }

    static IEnumerable<(string? System, string Code)> Tokens(Base v)
    {
        switch (v)
        {
            case Identifier { Value: { } value } id: yield return (id.System, value); break;
            case CodeableConcept cc:
                foreach (var c in cc.Coding) if (c.Code is not null) yield return (c.System, c.Code);
                break;
            case Coding { Code: { } code } coding: yield return (coding.System, code); break;
            case ContactPoint { Value: { } cp }: yield return (null, cp); break;
            case FhirBoolean { Value: { } b }: yield return (null, b ? "true" : "false"); break;
            case PrimitiveType { JsonValue: { } o }: yield return (null, Convert.ToString(o, CultureInfo.InvariantCulture)!); break;
        }
    }

    static IEnumerable<string> Strings(Base v)
    {
        switch (v)
        {
            case HumanName n:
                if (n.Family is not null) yield return n.Family;
                foreach (var g in n.Given) if (g is not null) yield return g;
                if (n.Text is not null) yield return n.Text;
                break;
            case Address a:
                foreach (var l in a.Line) if (l is not null) yield return l;
                if (a.City is not null) yield return a.City;
                if (a.PostalCode is not null) yield return a.PostalCode;
                break;
            case PrimitiveType { JsonValue: { } o }: yield return Convert.ToString(o, CultureInfo.InvariantCulture)!; break;
        }
    }

    /// <summary>"Patient/123" or "https://base/fhir/Patient/123/_history/2" → (Patient, 123); contained and conditional references → null.</summary>
    public static (string Type, string Id)? Split(string reference)
    {
        if (reference.StartsWith('#') || reference.Contains('?') || reference.StartsWith("urn:", StringComparison.Ordinal)) return null;
        var parts = reference.Split('/');
        var h = Array.IndexOf(parts, "_history");
        if (h >= 0) parts = parts[..h];
        if (parts.Length < 2) return null;
        var type = parts[^2];
        if (!Hl7.Fhir.Model.ModelInfo.IsKnownResource(type)) return null;
        return (type, parts[^1]);
    }

    /// <summary>Lower case with accents removed, so "Zoë" is found by "zoe".</summary>
    public static string Normalise(string s)
    {
        var d = s.Trim().Normalize(NormalizationForm.FormD);
        var b = new StringBuilder(d.Length);
        foreach (var ch in d) if (CharUnicodeInfo.GetUnicodeCategory(ch) != UnicodeCategory.NonSpacingMark) b.Append(char.ToLowerInvariant(ch));
        return b.ToString();
    }
}

/// <summary>
/// A search expression that is only a path of element names from the resource type, with an optional
/// `.where(resolve() is Type)` on the last step: evaluated by walking the POCOs, with FhirPath's meaning (collections
/// flattened, empty steps dropped, choice elements by their name without the type suffix).
/// </summary>
public sealed record PlainPath(string[] Elements, string? TargetType)
{
    public static PlainPath? Of(string expression, string resourceType)
    {
        string? target = null;
        var e = expression.Trim();
        var where = e.IndexOf(".where(", StringComparison.Ordinal);
        if (where >= 0)
        {
            var condition = e[(where + ".where(".Length)..].Replace(" ", "", StringComparison.Ordinal);
            if (!condition.StartsWith("resolve()is", StringComparison.Ordinal) || !condition.EndsWith(')')) return null;
            target = condition["resolve()is".Length..^1];
            if (!ModelInfo.IsKnownResource(target)) return null;
            e = e[..where];
        }
        var steps = e.Split('.');
        if (steps.Length < 2 || steps[0] != resourceType) return null;
        if (!steps.Skip(1).All(s => s.Length > 0 && char.IsAsciiLetterLower(s[0]) && s.All(char.IsAsciiLetterOrDigit))) return null;
        return new PlainPath(steps[1..], target);
    }

    public IEnumerable<Base> Select(Resource resource)
    {
        IEnumerable<Base> current = [resource];
        foreach (var name in Elements) current = current.SelectMany(item => Children(item, name));
        return TargetType is null ? current
            : current.Where(v => v is ResourceReference { Reference: { } r } && SearchIndexer.Split(r)?.Type == TargetType);
    }

    static IEnumerable<Base> Children(Base item, string name) =>
        !item.TryGetValue(name, out var value) ? []
        : value switch
        {
            Base one => [one],
            IEnumerable<Base> many => many.Where(m => m is not null),
            _ => [],
        };
}
