using System.Xml;
using System.Xml.Linq;
using Hub.Mappers.Ssda903.Checking;

namespace Hub.Mappers.Ssda903.Reading;

/// <summary>
/// The XML form of a return: one EXPSSDA903 file (reference/ssda903.md §3.13) read one CHILD element at a time
/// into the same tables as the CSV form. CHILDID becomes CHILD and PL becomes PLACE; empty tags are blank; the
/// header's UASC, AD1 and OC3 items become rows of those tables when given; child tables take CHILD, DOB (and SEX
/// for UASC) from the header. Rows are numbered within each table in document order, as the CSV form would be.
/// No DTD, no external entities.
/// </summary>
static class XmlReturnReader
{
    public const string Root = "EXPSSDA903";

    /// <summary>The tables an XML return supplies (so a CSV of the same table alongside it is a second copy).</summary>
    public static readonly IReadOnlyList<TableSpec> Tables =
    [
        Ssda903Tables.Header, Ssda903Tables.Episodes, Ssda903Tables.Uasc, Ssda903Tables.Reviews, Ssda903Tables.Oc2,
        Ssda903Tables.Oc3, Ssda903Tables.Ad1, Ssda903Tables.PlacedForAdoption, Ssda903Tables.PreviousPermanence, Ssda903Tables.Missing,
    ];

    static readonly Dictionary<string, TableSpec> HeaderItems = new(StringComparer.OrdinalIgnoreCase)
    {
        ["CHILDID"] = Ssda903Tables.Header, ["SEX"] = Ssda903Tables.Header, ["DOB"] = Ssda903Tables.Header,
        ["ETHNIC"] = Ssda903Tables.Header, ["UPN"] = Ssda903Tables.Header, ["MOTHER"] = Ssda903Tables.Header,
        ["MC_DOB"] = Ssda903Tables.Header, ["UASC"] = Ssda903Tables.Uasc, ["DUC"] = Ssda903Tables.Uasc,
        ["DATE_INT"] = Ssda903Tables.Ad1, ["DATE_MATCH"] = Ssda903Tables.Ad1, ["FOSTER_CARE"] = Ssda903Tables.Ad1,
        ["NB_ADOPTR"] = Ssda903Tables.Ad1, ["SEX_ADOPTR"] = Ssda903Tables.Ad1, ["LS_ADOPTR"] = Ssda903Tables.Ad1,
        ["IN_TOUCH"] = Ssda903Tables.Oc3, ["ACTIV"] = Ssda903Tables.Oc3, ["ACCOM"] = Ssda903Tables.Oc3,
    };

    static readonly Dictionary<string, TableSpec> HeaderGroups = new(StringComparer.OrdinalIgnoreCase)
    {
        ["AMISSING"] = Ssda903Tables.Missing, ["AREVIEW"] = Ssda903Tables.Reviews, ["PERMANENCE"] = Ssda903Tables.PreviousPermanence,
        ["OC2"] = Ssda903Tables.Oc2, ["AD_PLACED"] = Ssda903Tables.PlacedForAdoption,
    };

    public static IReadOnlyList<TableRows>? Read(Stream stream, FileReport report, ValueNormaliser normaliser)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            IgnoreWhitespace = true,
            CloseInput = false,
        };
        var tables = Tables.ToDictionary(t => t, t => new TableRows(t, report, normaliser));
        var reader = new ChildReader(tables, report);
        using var xml = XmlReader.Create(stream, settings);
        xml.MoveToContent();
        if (!xml.LocalName.Equals(Root, StringComparison.OrdinalIgnoreCase))
        {
            report.Reject($"not an SSDA903 return: an XML file whose root is {xml.LocalName}, not {Root}");
            return null;
        }
        if (xml.IsEmptyElement) return [.. tables.Values];
        xml.Read();
        while (!xml.EOF)
        {
            if (xml.NodeType == XmlNodeType.EndElement) break;
            if (xml.NodeType != XmlNodeType.Element) { xml.Read(); continue; }
            if (xml.LocalName.Equals("CHILD", StringComparison.OrdinalIgnoreCase)) reader.Child((XElement)XNode.ReadFrom(xml));
            else
            {
                report.UnknownElement(xml.LocalName, tables[Ssda903Tables.Header].Rows.Count + 1);
                xml.Skip();
            }
        }
        return [.. tables.Values];
    }

    sealed class ChildReader(Dictionary<TableSpec, TableRows> tables, FileReport report)
    {
        readonly Dictionary<TableSpec, int> rowNumbers = tables.Keys.ToDictionary(t => t, _ => 0);

        public void Child(XElement child)
        {
            var headerElement = child.Elements().FirstOrDefault(e => Is(e, "HEADER"));
            var items = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var headerRow = rowNumbers[Ssda903Tables.Header] + 1;
            foreach (var e in headerElement?.Elements() ?? [])
            {
                var name = e.Name.LocalName;
                if (HeaderItems.ContainsKey(name)) items[name.ToUpperInvariant()] = e.Value;
                else if (!HeaderGroups.ContainsKey(name)) report.UnknownElement(name, headerRow);
            }
            foreach (var e in child.Elements())
                if (!Is(e, "HEADER") && !Is(e, "EPISODE")) report.UnknownElement(e.Name.LocalName, headerRow);

            var header = Row(Ssda903Tables.Header, null, items);
            var uasc = Flag(items.GetValueOrDefault("UASC"), header);
            if (uasc == "1" || !string.IsNullOrWhiteSpace(items.GetValueOrDefault("DUC")))
                Row(Ssda903Tables.Uasc, header, items, copySex: true);
            if (AnyGiven(Ssda903Tables.Ad1, items)) Row(Ssda903Tables.Ad1, header, items);
            if (AnyGiven(Ssda903Tables.Oc3, items)) Row(Ssda903Tables.Oc3, header, items);
            foreach (var e in headerElement?.Elements() ?? [])
                if (HeaderGroups.TryGetValue(e.Name.LocalName, out var table)) Row(table, header, Items(e, table));
            foreach (var e in child.Elements().Where(e => Is(e, "EPISODE")))
                Row(Ssda903Tables.Episodes, header, Items(e, Ssda903Tables.Episodes, ("PL", "PLACE")));
        }

        static bool AnyGiven(TableSpec table, Dictionary<string, string> items) =>
            table.ColumnNames.Any(c => c is not ("CHILD" or "DOB") && !string.IsNullOrWhiteSpace(items.GetValueOrDefault(c)));

        /// <summary>The UASC flag decides whether the child has a UASC row; it is not a column of any table.</summary>
        string? Flag(string? raw, SourceRow header)
        {
            if (string.IsNullOrWhiteSpace(raw)) return null;
            var text = raw.Trim();
            if (text is "0" or "1") return text;
            if (text is "0.0" or "1.0") return text[..1];
            report.Add(Ssda903Rules.R105.At(report.File, header.Row, "UASC", header.Child, $"UASC \"{(text.Length > 20 ? text[..20] : text)}\" is not 0 or 1; the value is ignored"));
            return null;
        }

        Dictionary<string, string> Items(XElement group, TableSpec table, params (string From, string To)[] renames)
        {
            var items = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var row = rowNumbers[table] + 1;
            foreach (var e in group.Elements())
            {
                var name = e.Name.LocalName.ToUpperInvariant();
                foreach (var (from, to) in renames) if (name == from) name = to;
                if (table.Column(name) is not null && name is not ("CHILD" or "DOB")) items[name] = e.Value;
                else report.UnknownElement(e.Name.LocalName, row);
            }
            return items;
        }

        /// <summary>One row; child tables take CHILD and DOB (and UASC its SEX) from the child's header row.</summary>
        SourceRow Row(TableSpec table, SourceRow? header, Dictionary<string, string> items, bool copySex = false)
        {
            var rows = tables[table];
            rows.Begin(++rowNumbers[table]);
            for (var i = 0; i < table.Columns.Count; i++)
            {
                var column = table.Columns[i].Name;
                if (header is not null && (column is "CHILD" or "DOB" || (copySex && column == "SEX")))
                {
                    rows.SetNormalised(i, header[column]);
                    continue;
                }
                var key = header is null && column == "CHILD" ? "CHILDID" : column;
                if (items.TryGetValue(key, out var raw)) rows.Set(i, raw);
            }
            return rows.End();
        }

        static bool Is(XElement e, string name) => e.Name.LocalName.Equals(name, StringComparison.OrdinalIgnoreCase);
    }
}
