namespace Hub.Api.Auth;

/// <summary>SMART on FHIR resource scopes: v2 (<c>system/Patient.rs</c>, <c>system/*.cruds</c>) and the v1 forms
/// <c>.read</c> (= rs), <c>.write</c> (= cud) and <c>.*</c> (= cruds). Interactions are the letters c, r, u, d, s.</summary>
public static class Scopes
{
    /// <summary>The interaction letters in the order SMART v2 writes them.</summary>
    public const string Interactions = "cruds";

    public const char Create = 'c', Read = 'r', Update = 'u', Delete = 'd', Search = 's';

    public static IReadOnlyList<string> Parse(string? scope) =>
        (scope ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Whether any of the caller's scopes lets it take <paramref name="interaction"/> on <paramref name="resourceType"/>.
    /// <c>system/</c> scopes count for everyone; <c>patient/</c> scopes only for a young person, whose token is about
    /// their own record; <c>user/</c> scopes and granular scopes (<c>?category=…</c>) grant nothing here.</summary>
    public static bool Allows(Caller caller, string resourceType, char interaction)
    {
        if (!Interactions.Contains(interaction)) throw new ArgumentOutOfRangeException(nameof(interaction), interaction, "expected one of c, r, u, d, s");
        foreach (var scope in caller.Scopes)
        {
            if (!ResourceScope.TryParse(scope, out var s)) continue;
            var context = s.Context == "system" || (s.Context == "patient" && caller.OrgType == OrgTypes.YoungPerson);
            if (context && s.Covers(resourceType) && s.Letters.Contains(interaction)) return true;
        }
        return false;
    }

    /// <summary>What a client may be granted of what it asked for: each requested resource scope narrowed to what its
    /// registered scopes allow (by context, resource type and interactions), in v2 form; any other scope only when
    /// registered exactly as asked.</summary>
    public static IReadOnlyList<string> Intersect(IEnumerable<string> requested, IEnumerable<string> registered)
    {
        var allowed = registered.ToList();
        var granted = new List<string>();
        foreach (var ask in requested)
        {
            if (!ResourceScope.TryParse(ask, out var r))
            {
                if (allowed.Contains(ask, StringComparer.Ordinal)) granted.Add(ask);
                continue;
            }
            // Per resource type, the asked letters that any registered scope allows (several may add up).
            var byType = new Dictionary<string, HashSet<char>>(StringComparer.Ordinal);
            foreach (var reg in allowed)
            {
                if (!ResourceScope.TryParse(reg, out var a) || a.Context != r.Context) continue;
                var type = r.ResourceType == "*" ? a.ResourceType : a.Covers(r.ResourceType) ? r.ResourceType : null;
                if (type is null) continue;
                if (!byType.TryGetValue(type, out var letters)) byType[type] = letters = [];
                letters.UnionWith(r.Letters.Where(a.Letters.Contains));
            }
            foreach (var (type, letters) in byType)
                if (letters.Count > 0) granted.Add(new ResourceScope(r.Context, type, new string(Interactions.Where(letters.Contains).ToArray())).ToString());
        }
        // Leave out what another granted scope already covers (system/Consent.rs beside system/*.rs).
        var parsed = granted.Distinct(StringComparer.Ordinal).Select(g => (g, ok: ResourceScope.TryParse(g, out var p), p)).ToList();
        return parsed
            .Where(x => !x.ok || !parsed.Any(y => y.ok && y.g != x.g && y.p.Context == x.p.Context && y.p.Covers(x.p.ResourceType) && x.p.Letters.All(y.p.Letters.Contains)))
            .Select(x => x.g)
            .ToList();
    }

    /// <summary>A parsed <c>context/Type.permissions</c> scope, with the permissions as v2 letters.</summary>
    readonly record struct ResourceScope(string Context, string ResourceType, string Letters)
    {
        public bool Covers(string resourceType) => ResourceType == "*" || ResourceType == resourceType;

        public override string ToString() => $"{Context}/{ResourceType}.{Letters}";

        public static bool TryParse(string scope, out ResourceScope parsed)
        {
            parsed = default;
            var slash = scope.IndexOf('/');
            var dot = scope.LastIndexOf('.');
            if (slash <= 0 || dot < slash + 2 || scope.Contains('?')) return false;

            var context = scope[..slash];
            if (context is not ("system" or "patient" or "user")) return false;
            var type = scope[(slash + 1)..dot];
            if (type != "*" && !(char.IsAsciiLetterUpper(type[0]) && type.All(char.IsAsciiLetter))) return false;

            var letters = scope[(dot + 1)..] switch
            {
                "read" => "rs",
                "write" => "cud",
                "*" => Interactions,
                var v2 when IsOrderedSubset(v2) => v2,
                _ => null,
            };
            if (letters is null) return false;
            parsed = new ResourceScope(context, type, letters);
            return true;
        }

        // SMART v2 writes permissions once each, in the order c, r, u, d, s.
        static bool IsOrderedSubset(string letters)
        {
            var at = -1;
            foreach (var l in letters)
            {
                var next = Interactions.IndexOf(l);
                if (next <= at) return false;
                at = next;
            }
            return letters.Length > 0;
        }
    }
}
