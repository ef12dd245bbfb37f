using System.Text;

namespace Hub.Mappers.Ssda903.Reading;

/// <summary>One CSV file of a return: its header line names the table, its rows are read one at a time.</summary>
static class CsvTableReader
{
    static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>The XML form's tag names, sometimes carried over into CSV exports.</summary>
    static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal) { ["CHILDID"] = "CHILD", ["PL"] = "PLACE" };

    public static TableRows? Read(Stream stream, FileReport report, ValueNormaliser normaliser, int maxRecordChars)
    {
        using var text = new StreamReader(stream, Utf8, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16, leaveOpen: true);
        var csv = new CsvRecordReader(text, maxRecordChars);
        while (csv.Read() && csv.IsBlank) { }
        if (csv.RecordIndex < 0 || csv.IsBlank)
        {
            report.Reject("the file is empty: no column names");
            return null;
        }

        var names = new string[csv.FieldCount];
        var respelt = new List<(string Raw, string Name)>();
        for (var i = 0; i < names.Length; i++)
        {
            var raw = csv[i];
            var name = raw.Trim().ToString().ToUpperInvariant();
            name = Aliases.GetValueOrDefault(name, name);
            if (name.Length > 0 && !raw.SequenceEqual(name)) respelt.Add((raw.ToString(), name));
            names[i] = name;
        }
        var present = names.Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);
        var match = TableRecognition.Recognise(present);
        if (match.Table is null)
        {
            report.Reject(match.Tied.Count > 0
                ? $"the columns ({Columns(names)}) fit the {string.Join(" and the ", match.Tied.Select(t => t.Name))} tables equally; cannot tell which table this is"
                : $"not an SSDA903 table: its columns ({Columns(names)}) match none of the tables");
            return null;
        }
        var table = match.Table;
        if (match.MissingRequired.Count > 0)
        {
            report.Reject($"the {table.Name} table lacks required column{(match.MissingRequired.Count == 1 ? "" : "s")} {string.Join(", ", match.MissingRequired)}");
            return null;
        }
        foreach (var repeated in names.Where(n => n.Length > 0).GroupBy(n => n).Where(g => g.Count() > 1))
            report.Reject($"column {repeated.Key} appears {repeated.Count()} times");
        if (report.Rejected) return null;

        var rows = new TableRows(table, report, normaliser);
        var positions = names.Select(n => n.Length == 0 ? -1 : rows.Map.IndexOf(n)).ToArray();
        if (respelt.Count > 0)
            report.Warn($"column names were read regardless of case, spaces and XML spelling: {string.Join(", ", respelt.Select(r => $"\"{r.Raw}\" as {r.Name}"))}");
        for (var i = 0; i < names.Length; i++)
        {
            if (positions[i] >= 0) continue;
            report.Warn(names[i].Length == 0 ? $"column {i + 1} has no name and was ignored" : $"unknown column {names[i]} in the {table.Name} table was ignored", names[i].Length == 0 ? null : names[i]);
        }

        var (shortRows, longRows, firstShort, firstLong) = (0, 0, 0, 0);
        while (csv.Read())
        {
            if (csv.IsBlank) continue;
            var row = csv.RecordIndex;
            rows.Begin(row);
            var fields = Math.Min(csv.FieldCount, positions.Length);
            for (var i = 0; i < fields; i++)
                if (positions[i] >= 0) rows.Set(positions[i], csv[i]);
            if (csv.FieldCount < positions.Length && shortRows++ == 0) firstShort = row;
            if (csv.FieldCount > positions.Length && HasValuesBeyond(csv, positions.Length) && longRows++ == 0) firstLong = row;
            rows.End();
        }

        if (csv.SawByteOrderMark) report.Warn("the file starts with a UTF-8 byte order mark, which was skipped");
        if (csv.SawCrLf) report.Warn("lines end with CR LF (Windows); read as line ends");
        if (csv.SawUnclosedQuote) report.Warn("the last field opens a quote that is never closed; read to the end of the file");
        if (shortRows > 0) report.Add(new ImportIssue(IssueSeverity.Warning, report.File, firstShort, null, null, $"{shortRows:N0} row{(shortRows == 1 ? " has" : "s have")} fewer values than there are columns; the missing values were read as blank"));
        if (longRows > 0) report.Add(new ImportIssue(IssueSeverity.Warning, report.File, firstLong, null, null, $"{longRows:N0} row{(longRows == 1 ? " has" : "s have")} more values than there are columns; the values beyond the last column were ignored"));
        return rows;
    }

    static bool HasValuesBeyond(CsvRecordReader csv, int count)
    {
        for (var i = count; i < csv.FieldCount; i++)
            if (!csv[i].IsWhiteSpace()) return true;
        return false;
    }

    static string Columns(string[] names) => string.Join(",", names.Select(n => n.Length > 40 ? n[..40] + "…" : n).Take(20));
}
