using System.Linq.Expressions;
using Hl7.Fhir.Model;
using Expression = System.Linq.Expressions.Expression;
using Hub.Api.Fhir;
using Hub.Api.Storage;

namespace Hub.Api.Search;

/// <summary>A search request taken apart: criteria on the index, and the result controls (_count, _include …).</summary>
public sealed record ParsedSearch(
    string Type,
    List<Expression<Func<ResourceRow, bool>>> Criteria,
    int Count,
    int Offset,
    List<(string SourceType, string Param, string? TargetType)> Includes,
    bool CountOnly,
    bool SortAscending,
    List<string> Ignored,
    List<(string Name, string Value)> Used);

/// <summary>Turns FHIR search parameters into a query over the search-index tables.</summary>
public sealed class SearchQuery(SearchParameters parameters)
{
    public const int DefaultCount = 50, MaxCount = 500;

    static readonly HashSet<string> ResultParameters = ["_count", "_offset", "_include", "_summary", "_sort", "_format", "_total", "_pretty", "_elements"];

    public ParsedSearch Parse(HubDb db, string type, IEnumerable<(string Name, string Value)> query, bool strict)
    {
        var p = new ParsedSearch(type, [], DefaultCount, 0, [], false, false, [], []);
        var count = DefaultCount; var offset = 0; var countOnly = false; var ascending = false;
        foreach (var (rawName, value) in query)
        {
            if (string.IsNullOrEmpty(value) && rawName != "_summary") continue;
            var name = rawName;
            switch (name)
            {
                case "_count":
                    if (!int.TryParse(value, out count) || count < 0) throw FhirProblem.Invalid($"_count must be a whole number, not '{value}'", "_count");
                    count = Math.Min(count, MaxCount); continue; // paging links add _count and _offset themselves
                case "_offset":
                    if (!int.TryParse(value, out offset) || offset < 0) throw FhirProblem.Invalid($"_offset must be a whole number, not '{value}'", "_offset");
                    continue;
                case "_summary":
                    if (value == "count") { countOnly = true; p.Used.Add((name, value)); }
                    else p.Ignored.Add(name);
                    continue;
                case "_sort":
                    if (value is "_lastUpdated") ascending = true;
                    else if (value is not "-_lastUpdated") { Reject(p, strict, name, $"only _lastUpdated can be sorted on"); continue; }
                    p.Used.Add((name, value)); continue;
                case "_include":
                    p.Includes.Add(ParseInclude(value, type)); p.Used.Add((name, value)); continue;
                case "_format" or "_pretty": continue;
                case "_total" or "_elements": p.Ignored.Add(name); continue;
            }
            if (ResultParameters.Contains(name)) { p.Ignored.Add(name); continue; }
            var criterion = Criterion(db, type, name, value, strict, p);
            if (criterion is not null) { p.Criteria.Add(criterion); p.Used.Add((rawName, value)); }
        }
        return p with { Count = count, Offset = offset, CountOnly = countOnly, SortAscending = ascending };
    }

    static void Reject(ParsedSearch p, bool strict, string name, string why)
    {
        if (strict) throw FhirProblem.Invalid($"Search parameter '{name}': {why}", name);
        p.Ignored.Add(name);
    }

    (string, string, string?) ParseInclude(string value, string type)
    {
        var parts = value.Split(':');
        if (parts.Length < 2 || parts[0] != type) throw FhirProblem.Invalid($"_include '{value}' must be {type}:param[:TargetType]", "_include");
        var def = parameters.Find(type, parts[1]);
        if (def is null || def.Type != SearchParamType.Reference) throw FhirProblem.Invalid($"_include '{value}': {parts[1]} is not a reference parameter of {type}", "_include");
        return (type, parts[1], parts.Length > 2 ? parts[2] : null);
    }

    Expression<Func<ResourceRow, bool>>? Criterion(HubDb db, string type, string name, string value, bool strict, ParsedSearch p)
    {
        var values = SplitOr(value);
        if (name == "_id") return r => values.Contains(r.Id);
        if (name == "_lastUpdated") return Or(values.Select(v => LastUpdated(v)));

        string? modifier = null, chain = null;
        var dot = name.IndexOf('.');
        if (dot > 0) { chain = name[(dot + 1)..]; name = name[..dot]; }
        var colon = name.IndexOf(':');
        if (colon > 0) { modifier = name[(colon + 1)..]; name = name[..colon]; }

        var def = parameters.Find(type, name) ?? (name is "_tag" or "_security" or "_profile" ? new SearchParameterDef(type, name, SearchParamType.Token, "", "") : null);
        if (def is null) { Reject(p, strict, name, $"not a supported search parameter of {type}"); return null; }

        if (chain is not null)
        {
            if (def.Type != SearchParamType.Reference) throw FhirProblem.Invalid($"'{name}' is not a reference parameter, so it cannot be chained", name);
            var targetType = modifier ?? "Patient";
            var target = parameters.Find(targetType, chain);
            if (target is null || target.Type != SearchParamType.Token) throw FhirProblem.Invalid($"Chained parameter '{name}.{chain}' is not supported", name);
            return Or(values.Select(v => ChainedToken(db, type, name, targetType, chain, v)));
        }

        return def.Type switch
        {
            SearchParamType.Token or SearchParamType.Uri => Or(values.Select(v => Token(db, type, def.Code, v))),
            SearchParamType.Reference => Or(values.Select(v => Reference(db, type, def.Code, v, modifier))),
            SearchParamType.Date => Or(values.Select(v => Date(db, type, def.Code, v))),
            SearchParamType.String => Or(values.Select(v => StringValue(db, type, def.Code, v, modifier))),
            _ => null,
        };
    }

    static List<string> SplitOr(string value) =>
        value.Split(',').Select(v => v.Replace("\\,", ",")).Where(v => v.Length > 0).ToList();

    static (string? System, string Code, bool AnySystem) SplitToken(string v)
    {
        var bar = v.IndexOf('|');
        if (bar < 0) return (null, v, true);
        var system = v[..bar];
        return (system.Length == 0 ? null : system, v[(bar + 1)..], false);
    }

    // Criteria are written as `Id IN (index rows that match)`, not as a correlated EXISTS: SQLite can only run an EXISTS
    // by walking every resource of the type and probing the index for each, while the IN list starts from the index
    // lookup (PostgreSQL plans both as the same semi-join).
    static Expression<Func<ResourceRow, bool>> Token(HubDb db, string type, string param, string v)
    {
        var (system, code, any) = SplitToken(v);
        var stored = system ?? ""; // the index keeps "no system" as empty
        if (any) return r => db.Tokens.Where(t => t.Type == type && t.Param == param && t.Code == code).Select(t => t.Id).Contains(r.Id);
        if (code.Length == 0) return r => db.Tokens.Where(t => t.Type == type && t.Param == param && t.System == stored).Select(t => t.Id).Contains(r.Id);
        return r => db.Tokens.Where(t => t.Type == type && t.Param == param && t.Code == code && t.System == stored).Select(t => t.Id).Contains(r.Id);
    }

    static Expression<Func<ResourceRow, bool>> ChainedToken(HubDb db, string type, string param, string targetType, string targetParam, string v)
    {
        var (system, code, any) = SplitToken(v);
        var stored = system ?? "";
        var targets = db.Tokens.Where(t => t.Type == targetType && t.Param == targetParam && t.Code == code && (any || t.System == stored)).Select(t => t.Id);
        return r => db.References.Where(x => x.Type == type && x.Param == param && x.TargetType == targetType && targets.Contains(x.TargetId))
            .Select(x => x.Id).Contains(r.Id);
    }

    static Expression<Func<ResourceRow, bool>> Reference(HubDb db, string type, string param, string v, string? modifier)
    {
        var split = SearchIndexer.Split(v);
        var targetId = split?.Id ?? v;
        var targetType = split?.Type ?? modifier;
        if (targetType is null) return r => db.References.Where(x => x.Type == type && x.Param == param && x.TargetId == targetId).Select(x => x.Id).Contains(r.Id);
        return r => db.References.Where(x => x.Type == type && x.Param == param && x.TargetId == targetId && x.TargetType == targetType).Select(x => x.Id).Contains(r.Id);
    }

    static (string Prefix, DateTime Start, DateTime End) DateValue(string v, string param)
    {
        var prefix = v.Length > 2 && char.IsLetter(v[0]) && char.IsLetter(v[1]) ? v[..2] : "eq";
        var text = prefix == "eq" && !v.StartsWith("eq", StringComparison.Ordinal) ? v : v[2..];
        var range = Dates.Parse(text) ?? throw FhirProblem.Invalid($"'{v}' is not a FHIR date for {param}", param);
        if (prefix is not ("eq" or "ne" or "gt" or "lt" or "ge" or "le" or "sa" or "eb")) throw FhirProblem.Invalid($"Unknown date prefix '{prefix}'", param);
        return (prefix, range.Start, range.End);
    }

    static Expression<Func<ResourceRow, bool>> Date(HubDb db, string type, string param, string v)
    {
        var (prefix, s, e) = DateValue(v, param);
        return prefix switch
        {
            "eq" => r => db.Dates.Any(d => d.Type == type && d.Id == r.Id && d.Param == param && d.Start >= s && d.End <= e),
            "ne" => r => !db.Dates.Any(d => d.Type == type && d.Id == r.Id && d.Param == param && d.Start >= s && d.End <= e),
            "gt" => r => db.Dates.Any(d => d.Type == type && d.Id == r.Id && d.Param == param && d.End > e),
            "lt" => r => db.Dates.Any(d => d.Type == type && d.Id == r.Id && d.Param == param && d.Start < s),
            "ge" => r => db.Dates.Any(d => d.Type == type && d.Id == r.Id && d.Param == param && d.End > s),
            "le" => r => db.Dates.Any(d => d.Type == type && d.Id == r.Id && d.Param == param && d.Start < e),
            "sa" => r => db.Dates.Any(d => d.Type == type && d.Id == r.Id && d.Param == param && d.Start >= e),
            _ => r => db.Dates.Any(d => d.Type == type && d.Id == r.Id && d.Param == param && d.End <= s),
        };
    }

    static Expression<Func<ResourceRow, bool>> LastUpdated(string v)
    {
        var (prefix, s, e) = DateValue(v, "_lastUpdated");
        return prefix switch
        {
            "eq" => r => r.LastUpdated >= s && r.LastUpdated < e,
            "ne" => r => r.LastUpdated < s || r.LastUpdated >= e,
            "gt" or "sa" => r => r.LastUpdated >= e,
            "lt" or "eb" => r => r.LastUpdated < s,
            "ge" => r => r.LastUpdated >= s,
            _ => r => r.LastUpdated < e,
        };
    }

    static Expression<Func<ResourceRow, bool>> StringValue(HubDb db, string type, string param, string v, string? modifier)
    {
        var n = SearchIndexer.Normalise(v);
        return modifier switch
        {
            "exact" => r => db.Strings.Any(x => x.Type == type && x.Id == r.Id && x.Param == param && x.Value == n),
            "contains" => r => db.Strings.Any(x => x.Type == type && x.Id == r.Id && x.Param == param && x.Value.Contains(n)),
            _ => r => db.Strings.Any(x => x.Type == type && x.Id == r.Id && x.Param == param && x.Value.StartsWith(n)),
        };
    }

    static Expression<Func<ResourceRow, bool>> Or(IEnumerable<Expression<Func<ResourceRow, bool>>> parts)
    {
        Expression<Func<ResourceRow, bool>>? result = null;
        foreach (var part in parts)
        {
            if (result is null) { result = part; continue; }
            var body = Expression.OrElse(result.Body, new Rebind(part.Parameters[0], result.Parameters[0]).Visit(part.Body));
            result = Expression.Lambda<Func<ResourceRow, bool>>(body, result.Parameters);
        }
        return result ?? (r => false);
    }

    sealed class Rebind(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }
}
