namespace Hub.Mappers.Ssda903.Reading;

/// <summary>
/// Which table a file is, from its column names alone (reference/ssda903.md §3: never from the file name).
/// The table sharing the most columns with the file wins, CHILD and DOB aside since every table has them; a tie
/// goes to the table whose required columns are all there, then to the table with fewer columns of its own
/// missing. A tie after that, or no shared column beyond CHILD and DOB, leaves the file unrecognised.
/// </summary>
static class TableRecognition
{
    public sealed record Match(TableSpec? Table, IReadOnlyList<string> MissingRequired, IReadOnlyList<TableSpec> Tied);

    public static Match Recognise(IReadOnlyCollection<string> columns)
    {
        var scored = Ssda903Tables.All
            .Select(t => (
                Table: t,
                Shared: t.Columns.Count(c => c.Name is not ("CHILD" or "DOB") && columns.Contains(c.Name)),
                MissingRequired: t.Columns.Where(c => c.Required && !columns.Contains(c.Name)).Select(c => c.Name).ToList(),
                MissingOwn: t.Columns.Count(c => !columns.Contains(c.Name))))
            .Where(s => s.Shared > 0)
            .OrderByDescending(s => s.Shared).ThenBy(s => s.MissingRequired.Count).ThenBy(s => s.MissingOwn)
            .ToList();
        if (scored.Count == 0) return new Match(null, [], []);
        var best = scored[0];
        var tied = scored.Where(s => s.Shared == best.Shared && s.MissingRequired.Count == best.MissingRequired.Count && s.MissingOwn == best.MissingOwn).ToList();
        if (tied.Count > 1) return new Match(null, [], [.. tied.Select(s => s.Table)]);
        return new Match(best.Table, best.MissingRequired, []);
    }
}
