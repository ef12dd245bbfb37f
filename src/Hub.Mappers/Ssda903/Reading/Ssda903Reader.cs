using System.Xml;

namespace Hub.Mappers.Ssda903.Reading;

/// <summary>
/// Reads an SSDA903 return (CSV tables or one EXPSSDA903 XML file) into normalised rows, tolerantly: what it had
/// to forgive is a warning, what it could not read is an issue on the row, and what makes the return unusable
/// (a file it cannot recognise, a missing header table, a file too large) is a file-level error (contract §4).
/// It judges no meaning: that is Ssda903Checker's.
/// </summary>
public static class Ssda903Reader
{
    /// <summary>Location of issues about the return as a whole rather than one of its files.</summary>
    public const string ReturnLocation = "(return)";

    public static Ssda903Return Read(string la, int year, IEnumerable<InputFile> files, Ssda903ReaderOptions? options = null)
    {
        options ??= Ssda903ReaderOptions.Default;
        var issues = new List<ImportIssue>();
        if (year is < Ssda903Tables.FirstYear or > Ssda903Tables.LatestYear)
            issues.Add(ReturnError($"{year} is not a collection year this hub accepts ({Ssda903Tables.FirstYear} to {Ssda903Tables.LatestYear}, by the year in which the collection ends)"));

        var normaliser = new ValueNormaliser(new StringPool());
        var read = new List<(string File, TableRows Rows)>();
        foreach (var file in files)
        {
            var report = new FileReport(file.Name);
            var tables = ReadFile(file, report, normaliser, options);
            issues.AddRange(report.Finish());
            if (!report.Rejected && tables is not null) read.AddRange(tables.Select(t => (file.Name, t)));
        }

        var accepted = new List<TableRows>();
        foreach (var group in read.GroupBy(r => r.Rows.Table))
        {
            var (first, firstRows) = group.First();
            foreach (var (again, _) in group.Skip(1))
                issues.Add(FileError(again, $"a second {group.Key.Name} table: {first} already holds it"));
            if (!group.Key.InYear(year))
                issues.Add(FileError(first, $"the {group.Key.Name} table is not part of the {Year(year)} return (from {Year(group.Key.FromYear)}{(group.Key.ToYear is { } to ? $" to {Year(to)}" : "")})"));
            accepted.Add(firstRows);
        }
        if (!accepted.Any(t => t.Table == Ssda903Tables.Header))
            issues.Add(ReturnError($"no header table (columns {string.Join(",", Ssda903Tables.Header.ColumnNames)}) among the files"));

        var rows = Ssda903Tables.All.SelectMany(t => accepted.Where(a => a.Table == t)).SelectMany(a => a.Rows).ToList();
        return new Ssda903Return(la, year, rows, issues);
    }

    /// <summary>Every .csv and .xml file of a folder (not its subfolders), in name order; other files are warned about and skipped.</summary>
    public static Ssda903Return ReadFolder(string la, int year, string folder, Ssda903ReaderOptions? options = null)
    {
        if (!Directory.Exists(folder))
            return new Ssda903Return(la, year, [], [ReturnError($"no folder {folder}")]);
        var skipped = new List<ImportIssue>();
        var files = new List<InputFile>();
        foreach (var path in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            if (IsReturnFile(name)) files.Add(InputFile.FromPath(path));
            else if (!name.StartsWith('.')) skipped.Add(new ImportIssue(IssueSeverity.Warning, name, null, null, null, "not a .csv or .xml file; skipped"));
        }
        var result = Read(la, year, files, options);
        return result with { Issues = [.. skipped, .. result.Issues] };
    }

    /// <summary>A zip of the return's files (subfolders allowed), checked for unsafe paths and bombs before anything is expanded.</summary>
    public static Ssda903Return ReadZip(string la, int year, Stream zip, Ssda903ReaderOptions? options = null, string name = "return.zip")
    {
        options ??= Ssda903ReaderOptions.Default;
        using var archive = ZipInput.Open(zip, name, options, out var opened);
        if (archive is null) return new Ssda903Return(la, year, [], opened);
        var (files, issues) = ZipInput.Entries(archive, name, options);
        if (issues.Any(i => i.FileLevel && i.Message.StartsWith(ZipInput.BombMessage, StringComparison.Ordinal)))
            return new Ssda903Return(la, year, [], issues);
        var result = Read(la, year, files, options);
        return result with { Issues = [.. issues, .. result.Issues] };
    }

    internal static bool IsReturnFile(string name) =>
        !name.StartsWith('.') && (name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".xml", StringComparison.OrdinalIgnoreCase));

    static IReadOnlyList<TableRows>? ReadFile(InputFile file, FileReport report, ValueNormaliser normaliser, Ssda903ReaderOptions options)
    {
        if (file.Length > options.MaxFileBytes)
        {
            report.Reject($"the file is {Size(file.Length)}, over the limit of {Size(options.MaxFileBytes)}");
            return null;
        }
        try
        {
            using var input = new InputStream(file.Open(), options.MaxFileBytes, $"the file is over the limit of {Size(options.MaxFileBytes)}");
            switch (Sniff(input))
            {
                case Kind.Empty:
                    report.Reject("the file is empty");
                    return null;
                case Kind.Utf16:
                    report.Reject("the file is UTF-16 text; save it as UTF-8");
                    return null;
                case Kind.Zip:
                    report.Reject("the file is a zip archive; send the zip itself as the return");
                    return null;
                case Kind.Xml:
                    return XmlReturnReader.Read(input, report, normaliser);
                default:
                    return CsvTableReader.Read(input, report, normaliser, options.MaxRecordChars) is { } rows ? [rows] : null;
            }
        }
        catch (InputLimitException e) { report.Reject(e.Message); }
        catch (XmlException e) { report.Reject($"not well-formed XML: {e.Message}"); }
        catch (InvalidDataException e) { report.Reject($"cannot be read: {e.Message}"); }
        catch (IOException e) { report.Reject($"cannot be read: {e.Message}"); }
        return null;
    }

    enum Kind { Empty, Utf16, Zip, Xml, Csv }

    static Kind Sniff(InputStream input)
    {
        var head = input.Peek(256);
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) return Kind.Utf16;
        if (head.StartsWith("PK\u0003\u0004"u8)) return Kind.Zip;
        var text = head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? head[3..] : head;
        var start = text.IndexOfAnyExcept(" \t\r\n"u8);
        if (start < 0) return head.Length < 256 ? Kind.Empty : Kind.Csv;
        return text[start] == (byte)'<' ? Kind.Xml : Kind.Csv;
    }

    static ImportIssue ReturnError(string message) => FileError(ReturnLocation, message);

    static ImportIssue FileError(string file, string message) => new(IssueSeverity.Error, file, null, null, null, message);

    static string Year(int year) => $"{year - 1}/{year % 100:00}";

    internal static string Size(long bytes) => bytes >= Ssda903ReaderOptions.GiB && bytes % Ssda903ReaderOptions.GiB == 0 ? $"{bytes / Ssda903ReaderOptions.GiB} GiB"
        : bytes >= Ssda903ReaderOptions.MiB ? $"{bytes / (double)Ssda903ReaderOptions.MiB:0.#} MiB" : $"{bytes:N0} bytes";
}
