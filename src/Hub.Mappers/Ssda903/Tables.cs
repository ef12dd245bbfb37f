namespace Hub.Mappers.Ssda903;

/// <summary>How a column's text is read and normalised.</summary>
public enum ColumnKind
{
    /// <summary>The LA's child id: trimmed, kept as written (case included).</summary>
    ChildId,
    /// <summary>dd/mm/yyyy, normalised to yyyy-MM-dd.</summary>
    Date,
    /// <summary>dd/mm/yyyy where the DfE allows zz for unknown parts (DATE_PERM), normalised to yyyy-MM-dd, yyyy-MM or yyyy.</summary>
    PartialDate,
    /// <summary>A code of a closed list: trimmed and upper-cased.</summary>
    Code,
    /// <summary>0/1 (also "1.0", "0.0", "true"): normalised to 0 or 1.</summary>
    Flag,
    /// <summary>A whole number (also "12.0").</summary>
    Integer,
    /// <summary>A UK postcode: upper-cased, single space before the inward code.</summary>
    Postcode,
    /// <summary>Free text: trimmed.</summary>
    Text,
}

/// <summary>One column of an SSDA903 table.</summary>
public sealed record ColumnSpec(string Name, ColumnKind Kind, bool Required = false);

/// <summary>
/// One SSDA903 table: recognised by its columns, never by its file name (reference/ssda903.md §3).
/// Years are collection years by their ending (2025 = 2024/25).
/// </summary>
public sealed record TableSpec(string Name, IReadOnlyList<ColumnSpec> Columns, int FromYear = 2017, int? ToYear = null)
{
    public IEnumerable<string> ColumnNames => Columns.Select(c => c.Name);
    public ColumnSpec? Column(string name) => Columns.FirstOrDefault(c => c.Name == name);
    public bool InYear(int year) => year >= FromYear && (ToYear is null || year <= ToYear);
}

/// <summary>The tables of the return, as reference/ssda903.md §3 lists them.</summary>
public static class Ssda903Tables
{
    static ColumnSpec Child => new("CHILD", ColumnKind.ChildId, true);
    static ColumnSpec Dob => new("DOB", ColumnKind.Date, true);

    public static readonly TableSpec Header = new("header",
    [
        Child, new("SEX", ColumnKind.Code, true), Dob, new("ETHNIC", ColumnKind.Code, true), new("UPN", ColumnKind.Text),
        new("MOTHER", ColumnKind.Flag), new("MC_DOB", ColumnKind.Date),
    ]);

    public static readonly TableSpec Episodes = new("episodes",
    [
        Child, new("DECOM", ColumnKind.Date, true), new("RNE", ColumnKind.Code, true), new("LS", ColumnKind.Code, true),
        new("CIN", ColumnKind.Code, true), new("PLACE", ColumnKind.Code, true), new("PLACE_PROVIDER", ColumnKind.Code),
        new("DEC", ColumnKind.Date), new("REC", ColumnKind.Code), new("REASON_PLACE_CHANGE", ColumnKind.Code),
        new("HOME_POST", ColumnKind.Postcode), new("PL_POST", ColumnKind.Postcode), new("URN", ColumnKind.Text),
    ]);

    public static readonly TableSpec Uasc = new("uasc", [Child, new("SEX", ColumnKind.Code), Dob, new("DUC", ColumnKind.Date)]);

    public static readonly TableSpec Reviews = new("reviews", [Child, Dob, new("REVIEW", ColumnKind.Date, true), new("REVIEW_CODE", ColumnKind.Code)]);

    public static readonly TableSpec Oc2 = new("oc2",
    [
        Child, Dob, new("SDQ_SCORE", ColumnKind.Integer), new("SDQ_REASON", ColumnKind.Code), new("CONVICTED", ColumnKind.Flag),
        new("HEALTH_CHECK", ColumnKind.Flag), new("IMMUNISATIONS", ColumnKind.Flag), new("TEETH_CHECK", ColumnKind.Flag),
        new("HEALTH_ASSESSMENT", ColumnKind.Flag), new("SUBSTANCE_MISUSE", ColumnKind.Flag),
        new("INTERVENTION_RECEIVED", ColumnKind.Flag), new("INTERVENTION_OFFERED", ColumnKind.Flag),
    ]);

    public static readonly TableSpec Oc3 = new("oc3", [Child, Dob, new("IN_TOUCH", ColumnKind.Code), new("ACTIV", ColumnKind.Code), new("ACCOM", ColumnKind.Code)]);

    public static readonly TableSpec Ad1 = new("ad1",
    [
        Child, Dob, new("DATE_INT", ColumnKind.Date), new("DATE_MATCH", ColumnKind.Date), new("FOSTER_CARE", ColumnKind.Flag),
        new("NB_ADOPTR", ColumnKind.Integer), new("SEX_ADOPTR", ColumnKind.Code), new("LS_ADOPTR", ColumnKind.Code),
    ]);

    public static readonly TableSpec PlacedForAdoption = new("placed_for_adoption",
        [Child, Dob, new("DATE_PLACED", ColumnKind.Date), new("DATE_PLACED_CEASED", ColumnKind.Date), new("REASON_PLACED_CEASED", ColumnKind.Code)]);

    public static readonly TableSpec PreviousPermanence = new("previous_permanence",
        [Child, Dob, new("PREV_PERM", ColumnKind.Code), new("LA_PERM", ColumnKind.Code), new("DATE_PERM", ColumnKind.PartialDate)]);

    public static readonly TableSpec Missing = new("missing",
        [Child, Dob, new("MISSING", ColumnKind.Code), new("MIS_START", ColumnKind.Date), new("MIS_END", ColumnKind.Date)]);

    public static readonly TableSpec SocialWorkerEpisodes = new("sw_episodes",
        [Child, Dob, new("SW_ID", ColumnKind.Text), new("SW_DECOM", ColumnKind.Date), new("SW_DEC", ColumnKind.Date), new("SW_REASON", ColumnKind.Code)], FromYear: 2024);

    public static readonly TableSpec DeprivationOfLiberty = new("dolo",
        [Child, Dob, new("DOLO_START", ColumnKind.Date), new("DOLO_END", ColumnKind.Date)], FromYear: 2027);

    /// <summary>
    /// Not a DfE table: links the LA's children to NHS numbers (contract section 4) and, optionally, the GP practice each is
    /// registered with (its ODS code): the registration the hub holds when PDS is not configured (contract §7).
    /// </summary>
    public static readonly TableSpec ChildIdentifiers = new("child_identifiers", [Child, new("NHS_NUMBER", ColumnKind.Text, true), new("GP_PRACTICE", ColumnKind.Text)]);

    public static readonly IReadOnlyList<TableSpec> All =
        [Header, Episodes, Uasc, Reviews, Oc2, Oc3, Ad1, PlacedForAdoption, PreviousPermanence, Missing, SocialWorkerEpisodes, DeprivationOfLiberty, ChildIdentifiers];

    /// <summary>The first collection year this hub accepts, and the latest with a published code list.</summary>
    public const int FirstYear = 2017, LatestYear = 2027;
}

/// <summary>One data row as read: its table, where it came from, and its values normalised by column kind (blank = null).</summary>
public sealed record SourceRow(TableSpec Table, string File, int Row, IReadOnlyDictionary<string, string?> Values)
{
    public string? this[string column] => Values.TryGetValue(column, out var v) ? v : null;
    public string Child => this["CHILD"] ?? "";
}

public enum IssueSeverity { Error, Warning, Information }

/// <summary>
/// A problem found in a return. Row-level errors quarantine the child; file-level errors (Row null, Child null)
/// reject the import. Location is `{file}:{row}:{column}` as contract section 4 writes it.
/// </summary>
public sealed record ImportIssue(IssueSeverity Severity, string File, int? Row, string? Column, string? Rule, string Message, string? Child = null)
{
    public bool FileLevel => Severity == IssueSeverity.Error && Child is null;
    public string Location => Row is null ? File : Column is null ? $"{File}:{Row}" : $"{File}:{Row}:{Column}";
    /// <summary>"rule 103: ETHNIC not a valid code" when a DfE rule applies.</summary>
    public string Text => Rule is null ? Message : $"rule {Rule}: {Message}";
}

/// <summary>A whole return as read: rows by table, plus what the reader noticed.</summary>
public sealed record Ssda903Return(string La, int Year, IReadOnlyList<SourceRow> Rows, IReadOnlyList<ImportIssue> Issues)
{
    public IEnumerable<SourceRow> Of(TableSpec table) => Rows.Where(r => r.Table == table);
}
