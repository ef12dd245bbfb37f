namespace Hub.Mappers.Ssda903.Reading;

/// <summary>
/// What the reader noticed in one file: file-level problems, row-level issues, and the tolerances it applied,
/// counted per column so that 20,000 lower-case codes make one warning, located at the first.
/// </summary>
sealed class FileReport(string file)
{
    readonly List<ImportIssue> issues = [];
    readonly Dictionary<(string Column, Tolerance Tolerance), (int Count, int FirstRow)> tolerances = [];
    readonly Dictionary<string, (int Count, int FirstRow)> unknownElements = new(StringComparer.Ordinal);

    public string File => file;
    public bool Rejected { get; private set; }

    public void Reject(string message)
    {
        Rejected = true;
        issues.Add(new ImportIssue(IssueSeverity.Error, file, null, null, null, message));
    }

    public void Warn(string message, string? column = null) => issues.Add(new ImportIssue(IssueSeverity.Warning, file, null, column, null, message));

    public void Add(ImportIssue issue) => issues.Add(issue);

    public void Tolerated(string column, Tolerance applied, int row)
    {
        for (var bit = 1; applied != 0 && bit <= (int)applied; bit <<= 1)
        {
            var one = (Tolerance)bit;
            if ((applied & one) == 0) continue;
            ref var seen = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(tolerances, (column, one), out var existed);
            seen = existed ? (seen.Count + 1, seen.FirstRow) : (1, row);
        }
    }

    public void UnknownElement(string name, int row)
    {
        ref var seen = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(unknownElements, name, out var existed);
        seen = existed ? (seen.Count + 1, seen.FirstRow) : (1, row);
    }

    /// <summary>The issues: file-level first, then by row.</summary>
    public IReadOnlyList<ImportIssue> Finish()
    {
        foreach (var ((column, tolerance), (count, first)) in tolerances)
            issues.Add(new ImportIssue(IssueSeverity.Warning, file, first, column, null, Describe(tolerance, column, count)));
        foreach (var (name, (count, first)) in unknownElements)
            issues.Add(new ImportIssue(IssueSeverity.Warning, file, first, name, null,
                $"{Count(count, "element", "elements")} {name} {(count == 1 ? "is" : "are")} not part of EXPSSDA903 and {(count == 1 ? "was" : "were")} ignored"));
        return [.. issues.OrderBy(i => i.Row ?? 0)];
    }

    static string Describe(Tolerance tolerance, string column, int count)
    {
        var one = count == 1;
        var (values, were, them, s) = (one ? $"1 value in {column}" : $"{count:N0} values in {column}", one ? "was" : "were", one ? "it" : "them", one ? "" : "s");
        return tolerance switch
        {
            Tolerance.Spaces => $"{values} had spaces around {them}, which were trimmed",
            Tolerance.LowerCase => $"{values} {were} lower case and {were} upper-cased",
            Tolerance.Decimal => $"{values} {were} written as {(one ? "a decimal" : "decimals")} (1.0) and {were} read as {(one ? "a whole number" : "whole numbers")}",
            Tolerance.WordFlag => $"{values} {were} written as true/false and {were} read as 1/0",
            Tolerance.DateUnpadded => $"{values} had a one-digit day or month and {were} read as dd/mm/yyyy",
            Tolerance.DateIso => $"{values} {were} written yyyy-mm-dd instead of dd/mm/yyyy and {were} read as such",
            Tolerance.DateTime => $"{values} carried a time of day, which was ignored",
            Tolerance.DateSeparator => $"{values} used - or . instead of / between day, month and year",
            Tolerance.PartialDate => $"{values} {were} partial date{s} (zz for an unknown day or month) and {were} kept as year-month, year or unknown",
            Tolerance.PostcodeSpacing => $"{values} {were} not spaced as postcodes are (one space before the last three characters) and {were} reformatted",
            _ => $"{values} {were} read with a tolerance ({tolerance})",
        };
    }

    static string Count(int n, string one, string many) => n == 1 ? $"1 {one}" : $"{n:N0} {many}";
}
