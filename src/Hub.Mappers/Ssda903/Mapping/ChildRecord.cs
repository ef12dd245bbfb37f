namespace Hub.Mappers.Ssda903.Mapping;

/// <summary>Everything one return says about one child.</summary>
public sealed record ChildRecord(
    string ChildId,
    SourceRow Header,
    IReadOnlyList<SourceRow> Episodes,
    SourceRow? Oc2,
    SourceRow? Oc3,
    SourceRow? Uasc,
    string? NhsNumber,
    string? GpPractice = null)
{
    /// <summary>Groups a return's rows by child; rows of children without a header row are left out (the checker names them).</summary>
    public static IReadOnlyList<ChildRecord> Group(Ssda903Return ret)
    {
        var byChild = ret.Rows.GroupBy(r => r.Child).ToDictionary(g => g.Key, g => g.ToList());
        var list = new List<ChildRecord>();
        foreach (var (child, rows) in byChild)
        {
            var header = rows.FirstOrDefault(r => r.Table == Ssda903Tables.Header);
            if (header is null || child.Length == 0) continue;
            list.Add(new ChildRecord(child, header,
                rows.Where(r => r.Table == Ssda903Tables.Episodes).OrderBy(r => r["DECOM"], StringComparer.Ordinal).ToList(),
                rows.FirstOrDefault(r => r.Table == Ssda903Tables.Oc2),
                rows.FirstOrDefault(r => r.Table == Ssda903Tables.Oc3),
                rows.FirstOrDefault(r => r.Table == Ssda903Tables.Uasc),
                rows.FirstOrDefault(r => r.Table == Ssda903Tables.ChildIdentifiers)?["NHS_NUMBER"],
                rows.FirstOrDefault(r => r.Table == Ssda903Tables.ChildIdentifiers)?["GP_PRACTICE"]));
        }
        return list;
    }

    public DateOnly BirthDate => DateOnly.ParseExact(Header["DOB"]!, "yyyy-MM-dd");
}
