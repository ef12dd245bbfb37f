using Hub.Mappers.Ssda903.Checking;

namespace Hub.Mappers.Ssda903.Reading;

/// <summary>
/// The rows of one table as read from one file (CSV or XML): normalises each value by its column kind, notes the
/// tolerances applied, and turns values that cannot be read into issues once the row's CHILD is known.
/// </summary>
sealed class TableRows(TableSpec table, FileReport report, ValueNormaliser normaliser)
{
    readonly ColumnMap map = new(table);
    readonly List<(int Column, string Raw)> unreadable = [];
    string?[] values = [];
    int row;

    public TableSpec Table => table;
    public ColumnMap Map => map;
    public List<SourceRow> Rows { get; } = [];

    public void Begin(int rowNumber)
    {
        row = rowNumber;
        values = new string?[map.Names.Count];
        unreadable.Clear();
    }

    public void Set(int column, ReadOnlySpan<char> raw)
    {
        var spec = table.Columns[column];
        var ok = normaliser.TryNormalise(spec.Kind, raw, out var value, out var tolerance);
        if (tolerance != Tolerance.None) report.Tolerated(spec.Name, tolerance, row);
        if (ok) values[column] = value;
        else unreadable.Add((column, raw.Trim().ToString()));
    }

    /// <summary>A value already normalised (XML copies CHILD, DOB and SEX from the header into the child tables).</summary>
    public void SetNormalised(int column, string? value) => values[column] = value;

    public SourceRow End()
    {
        var child = map.Child >= 0 ? values[map.Child] ?? "" : "";
        foreach (var (column, raw) in unreadable)
        {
            var spec = table.Columns[column];
            var rule = UnreadableRule(table, spec.Name);
            // Only what the mapper cannot do without is kept, raw, for the checker to see (and the child quarantined).
            if (rule.Severity == IssueSeverity.Error) values[column] = raw;
            report.Add(rule.At(report.File, row, spec.Name, child, Describe(spec, raw, rule.Severity)));
        }
        var sourceRow = new SourceRow(table, report.File, row, new RowValues(map, values));
        Rows.Add(sourceRow);
        return sourceRow;
    }

    static string Describe(ColumnSpec spec, string raw, IssueSeverity severity)
    {
        // Values of closed lists are echoed; dates, postcodes and ids are personal data and are not.
        var what = spec.Kind switch
        {
            ColumnKind.Date => $"{spec.Name} is not a date in dd/mm/yyyy",
            ColumnKind.PartialDate => $"{spec.Name} is not a date in dd/mm/yyyy (zz for an unknown day or month)",
            ColumnKind.Flag => $"{spec.Name} {Quote(raw)} is not 0 or 1",
            ColumnKind.Integer => $"{spec.Name} {Quote(raw)} is not a whole number",
            ColumnKind.Postcode => $"{spec.Name} is not a postcode",
            _ => $"{spec.Name} cannot be read",
        };
        return severity == IssueSeverity.Error ? what : $"{what}; the value is ignored";
    }

    static string Quote(string raw) => raw.Length <= 20 ? $"\"{raw}\"" : $"\"{raw[..20]}…\"";

    /// <summary>The DfE rule for a value that cannot be read; only DOB, DECOM and DEC are errors.</summary>
    static Ssda903Rule UnreadableRule(TableSpec table, string column) => (table.Name, column) switch
    {
        ("header", "DOB") => Ssda903Rules.R102,
        ("header", "MC_DOB") => Ssda903Rules.R171,
        ("header", "MOTHER") => Ssda903Rules.R165,
        ("episodes", "DECOM") => Ssda903Rules.R141,
        ("episodes", "DEC") => Ssda903Rules.R147,
        ("episodes", "HOME_POST" or "PL_POST") => Ssda903Rules.R392c,
        ("uasc", "DUC") => Ssda903Rules.R104,
        ("reviews", "REVIEW") => Ssda903Rules.R166,
        ("oc2", "SDQ_SCORE") => Ssda903Rules.R180,
        ("oc2", not "DOB") => Ssda903Rules.R181,
        ("ad1", "DATE_INT") => Ssda903Rules.R112,
        ("ad1", "DATE_MATCH") => Ssda903Rules.R113,
        ("ad1", "FOSTER_CARE") => Ssda903Rules.R114,
        ("ad1", "NB_ADOPTR") => Ssda903Rules.R175,
        ("placed_for_adoption", "DATE_PLACED") => Ssda903Rules.R115,
        ("placed_for_adoption", "DATE_PLACED_CEASED") => Ssda903Rules.R116,
        ("previous_permanence", "DATE_PERM") => Ssda903Rules.R632,
        ("missing", "MIS_START") => Ssda903Rules.R1004,
        ("missing", "MIS_END") => Ssda903Rules.R1005,
        ("sw_episodes", "SW_DECOM") => Ssda903Rules.SW04STG1,
        ("sw_episodes", "SW_DEC") => Ssda903Rules.SW05STG1,
        _ => Ssda903Rules.UnreadableValue,
    };
}
