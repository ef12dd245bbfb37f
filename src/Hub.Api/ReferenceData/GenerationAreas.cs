using Hub.Mappers.Ssda903.Generation;

namespace Hub.Api.ReferenceData;

/// <summary>What the return generator needs to know of an LA from a reference data folder: where its children live, where else they may be placed, and which CLA health teams serve where.</summary>
public sealed record GenerationAreas(string La, string? Icb, IReadOnlyList<string> Home, IReadOnlyList<string> Away, IReadOnlyList<HealthTeam> HealthTeams,
    IReadOnlyList<GpPracticeArea> Practices)
{
    /// <summary>
    /// From organisations.csv and postcode-icb.csv: the postcode prefixes of the LA's ICB (home), all the others
    /// (out of area), and each provider with the postcode prefixes of its commissioning ICB.
    /// </summary>
    public static GenerationAreas For(string folder, string la)
    {
        var organisations = Csv(Path.Combine(folder, "organisations.csv")).ToList();
        var icb = organisations.FirstOrDefault(r => r.GetValueOrDefault("code") == la && r.GetValueOrDefault("kind") == "la")?.GetValueOrDefault("parent_icb");
        var prefixes = Csv(Path.Combine(folder, "postcode-icb.csv"))
            .Select(r => (Prefix: r.GetValueOrDefault("postcode_prefix") ?? "", Icb: r.GetValueOrDefault("icb") ?? ""))
            .Where(p => p.Prefix.Length > 0).ToList();
        var teams = organisations
            .Where(r => r.GetValueOrDefault("kind") == "provider" && r.GetValueOrDefault("parent_icb") is { Length: > 0 })
            .Select(r => new HealthTeam(r["code"], [.. prefixes.Where(p => p.Icb == r["parent_icb"]).Select(p => p.Prefix)]))
            .Where(t => t.PostcodeAreas.Count > 0)
            .OrderBy(t => t.Ods, StringComparer.Ordinal).ToList();
        var practices = organisations
            .Where(r => r.GetValueOrDefault("kind") == "gp" && r.GetValueOrDefault("parent_icb") is { Length: > 0 })
            .Select(r => new GpPracticeArea(r["code"], [.. prefixes.Where(p => p.Icb == r["parent_icb"]).Select(p => p.Prefix)]))
            .Where(p => p.PostcodeAreas.Count > 0)
            .OrderBy(p => p.Ods, StringComparer.Ordinal).ToList();
        return new GenerationAreas(la, icb,
            [.. prefixes.Where(p => p.Icb == icb).Select(p => p.Prefix)], [.. prefixes.Where(p => p.Icb != icb).Select(p => p.Prefix)], teams, practices);
    }

    /// <summary>A simple reference CSV (no quoted commas): rows as column → value.</summary>
    static IEnumerable<Dictionary<string, string>> Csv(string path)
    {
        using var lines = File.ReadLines(path).GetEnumerator();
        if (!lines.MoveNext()) yield break;
        var columns = lines.Current.Split(',').Select(c => c.Trim()).ToArray();
        while (lines.MoveNext())
        {
            if (string.IsNullOrWhiteSpace(lines.Current)) continue;
            var values = lines.Current.Split(',');
            yield return columns.Select((c, i) => (c, v: i < values.Length ? values[i].Trim() : "")).ToDictionary(p => p.c, p => p.v);
        }
    }
}
