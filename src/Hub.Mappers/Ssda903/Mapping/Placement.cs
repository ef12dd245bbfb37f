namespace Hub.Mappers.Ssda903.Mapping;

/// <summary>Where a placement is, in NHS terms: its ICB, and whether the postcode told us or only the placing LA.</summary>
public sealed record PlacementIcb(string? Icb, string Method, string? PostcodeDistrict);

/// <summary>Finds the ICB of a placement from its postcode (contract section 3: the longest matching prefix wins).</summary>
public static class Placement
{
    /// <summary>
    /// Candidate prefixes of a postcode, longest first: sector ("LA1 4"), district ("LA1"), area ("LA"). A prefix only
    /// ever matches a whole area, district or sector, so "LA1" never matches "LA10 1XX" and "L" never matches "LA1 4XX".
    /// </summary>
    public static IEnumerable<string> Prefixes(string? postcode)
    {
        if (string.IsNullOrWhiteSpace(postcode)) yield break;
        var p = postcode.Trim().ToUpperInvariant();
        var space = p.IndexOf(' ');
        var outward = space > 0 ? p[..space] : p.Length > 3 ? p[..^3] : p;
        var inward = space > 0 ? p[(space + 1)..] : p.Length > 3 ? p[^3..] : "";
        if (inward.Length > 0 && char.IsAsciiDigit(inward[0])) yield return $"{outward} {inward[0]}";
        yield return outward;
        var area = new string(outward.TakeWhile(char.IsAsciiLetter).ToArray());
        if (area.Length > 0 && area != outward) yield return area;
    }

    /// <summary>The outward code ("LA1" of "LA1 4XX"): the postcode district, coarse enough to share.</summary>
    public static string? District(string? postcode) =>
        Prefixes(postcode).FirstOrDefault(p => !p.Contains(' ') && p.Any(char.IsAsciiDigit));

    public static PlacementIcb Locate(string? postcode, Func<string, string?> icbOfPrefix, string? laIcb)
    {
        foreach (var prefix in Prefixes(postcode))
            if (icbOfPrefix(prefix) is { } icb) return new(icb, "postcode", District(postcode));
        return new(laIcb, "la", District(postcode));
    }

    /// <summary>
    /// A placement known only by its postcode district (an episode written through REST, which carries the district and
    /// never the full postcode): the district, then its area; else the LA's ICB.
    /// </summary>
    public static PlacementIcb LocateDistrict(string? district, Func<string, string?> icbOfPrefix, string? laIcb)
    {
        if (string.IsNullOrWhiteSpace(district)) return new(laIcb, "la", null);
        var d = district.Trim().ToUpperInvariant();
        var area = new string(d.TakeWhile(char.IsAsciiLetter).ToArray());
        string[] prefixes = area.Length > 0 && area != d ? [d, area] : [d];
        foreach (var prefix in prefixes)
            if (icbOfPrefix(prefix) is { } icb) return new(icb, "postcode", d);
        return new(laIcb, "la", d);
    }
}
