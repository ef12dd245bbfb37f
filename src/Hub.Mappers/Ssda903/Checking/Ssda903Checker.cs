using System.Globalization;

namespace Hub.Mappers.Ssda903.Checking;

/// <summary>
/// The strict half of the import: judges a return the reader has read. Row-level issues only, each naming its
/// child: errors (quarantine) for what cannot be mapped faithfully, warnings for every other DfE rule it checks
/// (decisions.md "SSDA903 details"; the list is RULES.md). Values the reader could not read are its issues,
/// not repeated here.
/// </summary>
public static class Ssda903Checker
{
    /// <param name="ret">The return as read.</param>
    /// <param name="codes">The year-versioned code lists (fhir-profiles/CodeSystem-ssda903-*.json).</param>
    /// <param name="sealedInYear">
    /// For a CHILD id whose record in the store is sealed (adopted, REC E11/E12): the collection year of the return
    /// that sealed it; null when it is not sealed. The id coming back in a later return is reuse (rule 199, error);
    /// in the sealing year's own return, re-imported, it is not.
    /// </param>
    public static IReadOnlyList<ImportIssue> Check(Ssda903Return ret, CodeLists codes, Func<string, int?>? sealedInYear = null) =>
        new CheckRun(ret, codes, sealedInYear).Run();
}

sealed partial class CheckRun(Ssda903Return ret, CodeLists codes, Func<string, int?>? sealedInYear)
{
    static readonly DateOnly ChildrenAct = new(1991, 10, 14);

    readonly List<ImportIssue> issues = [];
    readonly int year = ret.Year;
    readonly DateOnly start = new(ret.Year - 1, 4, 1), end = new(ret.Year, 3, 31);
    readonly Dictionary<string, SourceRow> headers = new(StringComparer.Ordinal);
    readonly Dictionary<string, DateOnly> births = new(StringComparer.Ordinal);
    readonly HashSet<(string File, int Row, string Column)> readerReported =
        [.. ret.Issues.Where(i => i.Row is not null && i.Column is not null).Select(i => (i.File, i.Row!.Value, i.Column!))];

    public IReadOnlyList<ImportIssue> Run()
    {
        Header();
        Episodes();
        Uasc();
        Reviews();
        Oc2();
        Oc3();
        Ad1();
        PlacedForAdoption();
        PreviousPermanence();
        Missing();
        SocialWorkerEpisodes();
        DeprivationOfLiberty();
        ChildIdentifiers();
        return [.. issues.OrderBy(i => i.File, StringComparer.Ordinal).ThenBy(i => i.Row ?? 0)];
    }

    void Add(Ssda903Rule rule, SourceRow row, string? column, string? detail = null) => issues.Add(rule.At(row, column, detail));

    /// <summary>
    /// The rows of a child table whose child has a header row. The others are reported once per child (the
    /// rule names the table); a repeated child (tables with one row per child) and a DOB unlike the header's are
    /// reported on the row.
    /// </summary>
    IEnumerable<SourceRow> RowsOf(TableSpec table, Ssda903Rule notInHeader, Ssda903Rule? dobDiffers, Ssda903Rule? repeated)
    {
        var orphans = new Dictionary<string, (SourceRow First, int Count)>(StringComparer.Ordinal);
        var seen = repeated is null ? null : new Dictionary<string, SourceRow>(StringComparer.Ordinal);
        foreach (var row in ret.Of(table))
        {
            var child = row["CHILD"];
            if (child is null || !headers.TryGetValue(child, out var header))
            {
                var key = child ?? "";
                orphans[key] = orphans.TryGetValue(key, out var o) ? (o.First, o.Count + 1) : (row, 1);
                continue;
            }
            if (seen is not null && repeated is not null)
            {
                if (seen.TryGetValue(child, out var first))
                {
                    Add(repeated, row, "CHILD", $"also at {At(first)}");
                    continue;
                }
                seen[child] = row;
            }
            if (dobDiffers is not null && row["DOB"] is { } dob && header["DOB"] is { } headerDob && dob != headerDob)
                Add(dobDiffers, row, "DOB");
            yield return row;
        }
        foreach (var (child, (first, count)) in orphans)
            Add(notInHeader, first, "CHILD", child.Length == 0 ? $"CHILD is blank{Rows(count)}" : count > 1 ? $"{count} rows" : null);
    }

    /// <summary>Checks a code against the year's list; blank counts as invalid only when <paramref name="required"/>.</summary>
    void Code(Ssda903Rule rule, SourceRow row, string column, string field, bool required)
    {
        var code = row[column];
        if (code is null)
        {
            if (required && !ReaderReported(row, column)) Add(rule, row, column, $"{column} is blank");
            return;
        }
        if (!codes.Has(field) && rule.Severity != IssueSeverity.Error) return;
        if (codes.IsValid(field, code, year)) return;
        Add(rule, row, column, codes.IsKnown(field, code) ? $"{column} {code} is not valid in {YearText}" : $"{column} {Quote(code)} is not a code of the list");
    }

    bool ReaderReported(SourceRow row, string column) => readerReported.Contains((row.File, row.Row, column));

    DateOnly? Birth(SourceRow row) => births.TryGetValue(row.Child, out var dob) ? dob : null;

    string YearText => $"{year - 1}/{year % 100:00}";

    static string At(SourceRow row) => $"{row.File}:{row.Row}";

    static string Rows(int count) => count > 1 ? $" on {count} rows" : "";

    static string Quote(string value) => value.Length <= 20 ? $"\"{value}\"" : $"\"{value[..20]}…\"";

    /// <summary>A date as the reader writes it (yyyy-MM-dd); null when blank or left unread.</summary>
    static DateOnly? Date(string? value) =>
        value is { Length: 10 } && DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;

    static DateOnly? Date(SourceRow row, string column) => Date(row[column]);

    /// <summary>Whole years of age on a day.</summary>
    static int Age(DateOnly birth, DateOnly on)
    {
        var age = on.Year - birth.Year;
        return birth.AddYears(age) > on ? age - 1 : age;
    }
}
