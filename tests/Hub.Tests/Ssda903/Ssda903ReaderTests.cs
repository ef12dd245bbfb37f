using System.Text;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Reading;
using static Hub.Tests.Ssda903.Ssda903TestFiles;

namespace Hub.Tests.Ssda903;

public sealed class Ssda903ReaderTests
{
    const string Header = HeaderColumns + "\n1001,1,01/05/2005,WBRI,A123456789012,,\n";

    static ImportIssue FileError(Ssda903Return ret, string file) =>
        Assert.Single(ret.Issues, i => i.FileLevel && i.File == file);

    [Fact]
    public void tables_are_recognised_by_their_columns_not_their_file_names()
    {
        var ret = Read(2019,
            ("a.csv", "CHILD,DOB,REVIEW,REVIEW_CODE\n1001,01/05/2005,01/10/2018,PN1\n"),
            ("b.csv", Header),
            ("c.csv", "CHILD,SEX,DOB,DUC\n1001,1,01/05/2005,\n"),
            ("d.csv", "CHILD,NHS_NUMBER\n1001,9434765919\n"),
            ("e.csv", EpisodeColumns + "\n1001,01/04/2018,S,C2,N1,U4,PR1,,,,,,\n"));
        Assert.DoesNotContain(ret.Issues, i => i.FileLevel);
        Assert.Equal("b.csv", Assert.Single(ret.Of(Ssda903Tables.Header)).File);
        Assert.Equal("c.csv", Assert.Single(ret.Of(Ssda903Tables.Uasc)).File);
        Assert.Equal("a.csv", Assert.Single(ret.Of(Ssda903Tables.Reviews)).File);
        Assert.Equal("d.csv", Assert.Single(ret.Of(Ssda903Tables.ChildIdentifiers)).File);
        Assert.Equal("e.csv", Assert.Single(ret.Of(Ssda903Tables.Episodes)).File);
    }

    [Fact]
    public void values_are_normalised_by_column_kind()
    {
        var ret = Read(2019,
            ("header.csv", HeaderColumns + "\n 1001 ,1,1/5/2005,wbri, A123456789012 ,1.0,03/06/2018\n"),
            ("episodes.csv", EpisodeColumns + "\n1001,2018-04-01,s,c2,n1,u4,pr1,15/09/2018 00:00:00,x1,carpl,ls12ab, la1 2ab ,SC123456\n"),
            ("previous_permanence.csv", "CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM\n1001,01/05/2005,P2,316,zz/05/2012\n"));
        var header = Assert.Single(ret.Of(Ssda903Tables.Header));
        Assert.Equal(("1001", "2005-05-01", "WBRI", "A123456789012", "1", "2018-06-03"), (header["CHILD"], header["DOB"], header["ETHNIC"], header["UPN"], header["MOTHER"], header["MC_DOB"]));
        var episode = Assert.Single(ret.Of(Ssda903Tables.Episodes));
        Assert.Equal(("2018-04-01", "S", "C2", "U4", "PR1", "2018-09-15", "X1", "CARPL", "LS1 2AB", "LA1 2AB", "SC123456"),
            (episode["DECOM"], episode["RNE"], episode["LS"], episode["PLACE"], episode["PLACE_PROVIDER"], episode["DEC"], episode["REC"], episode["REASON_PLACE_CHANGE"], episode["HOME_POST"], episode["PL_POST"], episode["URN"]));
        Assert.Equal("2012-05", Assert.Single(ret.Of(Ssda903Tables.PreviousPermanence))["DATE_PERM"]);
        Assert.All(ret.Issues, i => Assert.Equal(IssueSeverity.Warning, i.Severity));
    }

    [Fact]
    public void each_tolerance_is_one_warning_per_file_and_column_located_at_its_first_row()
    {
        var rows = string.Concat(Enumerable.Range(1, 12).Select(i => $"{1000 + i},1,01/05/2005,{(i > 2 ? "wbri" : "WBRI")},A123456789012,,\r\n"));
        var ret = Ssda903Reader.Read("933", 2019, [Csv("header.csv", HeaderColumns + "\r\n" + rows, bom: true)]);
        var lower = Assert.Single(ret.Issues, i => i.Column == "ETHNIC");
        Assert.Equal((IssueSeverity.Warning, "header.csv:3:ETHNIC", null as string), (lower.Severity, lower.Location, lower.Child));
        Assert.Equal("10 values in ETHNIC were lower case and were upper-cased", lower.Message);
        Assert.Contains(ret.Issues, i => i.Message.Contains("byte order mark"));
        Assert.Contains(ret.Issues, i => i.Message.Contains("CR LF"));
        Assert.Equal(12, ret.Of(Ssda903Tables.Header).Count());
    }

    [Fact]
    public void quoted_fields_may_hold_commas_quotes_and_line_breaks()
    {
        var ret = Read(2019, ("header.csv", HeaderColumns + "\n\"1001\",\"1\",\"01/05/2005\",\"WBRI\",\"A12345678901\"\"2\",,\n\"10,02\",1,01/05/2005,WBRI,\"A1234\n56789012\",,\n"));
        var rows = ret.Of(Ssda903Tables.Header).ToList();
        Assert.Equal(["1001", "10,02"], rows.Select(r => r.Child));
        Assert.Equal("A12345678901\"2", rows[0]["UPN"]);
        Assert.Equal(2, rows[1].Row);
    }

    [Fact]
    public void partial_dates_are_read_only_in_date_perm()
    {
        var ret = Read(2019,
            ("header.csv", Header),
            ("episodes.csv", EpisodeColumns + "\n1001,zz/04/2018,S,C2,N1,U4,PR1,,,,,,\n"),
            ("previous_permanence.csv", "CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM\n1001,01/05/2005,P2,,zz/zz/2015\n1001,01/05/2005,P2,,zz/zz/zzzz\n"));
        Assert.Equal(["2015", null], ret.Of(Ssda903Tables.PreviousPermanence).Select(r => r["DATE_PERM"]));
        var decom = Assert.Single(ret.Issues, i => i.Column == "DECOM");
        Assert.Equal((IssueSeverity.Error, "141", "1001", "episodes.csv:1:DECOM"), (decom.Severity, decom.Rule, decom.Child, decom.Location));
        Assert.Equal("zz/04/2018", Assert.Single(ret.Of(Ssda903Tables.Episodes))["DECOM"]);
    }

    [Theory]
    [InlineData("header.csv", "DOB", "31/02/2019", IssueSeverity.Error, "102")]
    [InlineData("episodes.csv", "DECOM", "29/02/2019", IssueSeverity.Error, "141")]
    [InlineData("episodes.csv", "DEC", "2019/13/01", IssueSeverity.Error, "147")]
    [InlineData("header.csv", "MC_DOB", "00/01/2018", IssueSeverity.Warning, "171")]
    [InlineData("oc2.csv", "IMMUNISATIONS", "maybe", IssueSeverity.Warning, "181")]
    [InlineData("oc2.csv", "SDQ_SCORE", "twelve", IssueSeverity.Warning, "180")]
    [InlineData("episodes.csv", "PL_POST", "2TR", IssueSeverity.Warning, "392c")]
    [InlineData("missing.csv", "MIS_START", "yesterday", IssueSeverity.Warning, "1004")]
    public void a_value_that_cannot_be_read_is_an_issue_on_its_cell(string file, string column, string value, IssueSeverity severity, string rule)
    {
        var tables = new Dictionary<string, string>
        {
            ["header.csv"] = HeaderColumns + "\n1001,1,01/05/2005,WBRI,A123456789012,,\n",
            ["episodes.csv"] = EpisodeColumns + "\n1001,01/04/2018,S,C2,N1,U4,PR1,01/05/2018,X1,,,,\n",
            ["oc2.csv"] = "CHILD,DOB,SDQ_SCORE,SDQ_REASON,CONVICTED,HEALTH_CHECK,IMMUNISATIONS,TEETH_CHECK,HEALTH_ASSESSMENT,SUBSTANCE_MISUSE,INTERVENTION_RECEIVED,INTERVENTION_OFFERED\n1001,01/05/2005,10,,0,,1,1,1,0,,\n",
            ["missing.csv"] = "CHILD,DOB,MISSING,MIS_START,MIS_END\n1001,01/05/2005,M,01/06/2018,\n",
        };
        var lines = tables[file].Split('\n');
        var columns = lines[0].Split(',');
        var cells = lines[1].Split(',');
        cells[Array.IndexOf(columns, column)] = value;
        tables[file] = $"{lines[0]}\n{string.Join(",", cells)}\n";

        var ret = Read(2019, [.. tables.Select(t => (t.Key, t.Value))]);

        var issue = Assert.Single(ret.Issues);
        Assert.Equal((severity, rule, "1001", $"{file}:1:{column}"), (issue.Severity, issue.Rule, issue.Child, issue.Location));
        var row = ret.Rows.Single(r => r.File == file);
        Assert.Equal(severity == IssueSeverity.Error ? value : null, row[column]);
    }

    [Fact]
    public void an_unknown_extra_column_is_a_warning_and_ignored()
    {
        var ret = Read(2019, ("header.csv", HeaderColumns + ",LA,YEAR\n1001,1,01/05/2005,WBRI,A123456789012,,,933,2019\n"));
        Assert.Equal(["LA", "YEAR"], ret.Issues.Where(i => i.Severity == IssueSeverity.Warning).Select(i => i.Column));
        Assert.DoesNotContain(ret.Issues, i => i.FileLevel);
        Assert.False(Assert.Single(ret.Of(Ssda903Tables.Header)).Values.ContainsKey("LA"));
    }

    [Fact]
    public void xml_tag_names_as_csv_columns_are_read_with_a_warning()
    {
        var ret = Read(2019, ("header.csv", "CHILDID,SEX,DOB,ETHNIC\n1001,1,01/05/2005,WBRI\n"), ("episodes.csv", "CHILD,DECOM,RNE,LS,CIN,PL\n1001,01/04/2018,S,C2,N1,U4\n"));
        Assert.Equal("U4", Assert.Single(ret.Of(Ssda903Tables.Episodes))["PLACE"]);
        Assert.Equal("1001", Assert.Single(ret.Of(Ssda903Tables.Header)).Child);
        Assert.Equal(2, ret.Issues.Count(i => i.Severity == IssueSeverity.Warning && i.Message.Contains("XML spelling")));
    }

    [Fact]
    public void missing_required_columns_are_a_file_level_error()
    {
        var ret = Read(2019, ("header.csv", Header), ("eps.csv", "CHILD,DECOM,RNE,CIN,PLACE,DEC,REC\n1001,01/04/2018,S,N1,U4,,\n"));
        Assert.Equal("the episodes table lacks required column LS", FileError(ret, "eps.csv").Message);
        Assert.Empty(ret.Of(Ssda903Tables.Episodes));
    }

    [Theory]
    [InlineData("NAME,ADDRESS\nBob,Here\n", "not an SSDA903 table")]
    [InlineData("CHILD,DOB\n1001,01/05/2005\n", "not an SSDA903 table")]
    [InlineData("", "the file is empty")]
    [InlineData("\r\n  \n", "the file is empty")]
    [InlineData("\n\n", "the file is empty")]
    public void an_unrecognisable_or_empty_file_is_a_file_level_error(string content, string message)
    {
        var ret = Read(2019, ("header.csv", Header), ("mystery.csv", content));
        Assert.StartsWith(message, FileError(ret, "mystery.csv").Message);
        Assert.Null(FileError(ret, "mystery.csv").Child);
    }

    [Fact]
    public void the_same_table_twice_is_a_file_level_error()
    {
        var ret = Read(2019, ("header.csv", Header), ("header (1).csv", Header));
        Assert.Equal("a second header table: header.csv already holds it", FileError(ret, "header (1).csv").Message);
    }

    [Fact]
    public void no_header_table_is_a_file_level_error()
    {
        var ret = Read(2019, ("episodes.csv", EpisodeColumns + "\n"));
        Assert.StartsWith("no header table", FileError(ret, Ssda903Reader.ReturnLocation).Message);
    }

    [Theory]
    [InlineData(2023, "CHILD,DOB,SW_ID,SW_DECOM,SW_DEC,SW_REASON", true)]
    [InlineData(2024, "CHILD,DOB,SW_ID,SW_DECOM,SW_DEC,SW_REASON", false)]
    [InlineData(2026, "CHILD,DOB,DOLO_START,DOLO_END", true)]
    [InlineData(2027, "CHILD,DOB,DOLO_START,DOLO_END", false)]
    public void a_table_outside_its_years_is_a_file_level_error(int year, string columns, bool rejected)
    {
        var ret = Read(year, ("header.csv", Header), ("extra.csv", columns + "\n"));
        Assert.Equal(rejected, ret.Issues.Any(i => i.FileLevel && i.File == "extra.csv" && i.Message.Contains("is not part of the")));
    }

    [Theory]
    [InlineData(2016)]
    [InlineData(2028)]
    public void a_year_without_a_code_list_is_a_file_level_error(int year) =>
        Assert.Contains("is not a collection year", FileError(Read(year, ("header.csv", Header)), Ssda903Reader.ReturnLocation).Message);

    [Fact]
    public void a_file_over_the_size_limit_is_a_file_level_error_whatever_its_declared_length()
    {
        var big = Encoding.UTF8.GetBytes(Header + string.Concat(Enumerable.Repeat("1001,1,01/05/2005,WBRI,A123456789012,,\n", 100)));
        var options = new Ssda903ReaderOptions { MaxFileBytes = 1000 };
        var declared = Ssda903Reader.Read("933", 2019, [InputFile.FromBytes("header.csv", big)], options);
        Assert.Contains("over the limit", FileError(declared, "header.csv").Message);
        var lying = Ssda903Reader.Read("933", 2019, [new InputFile("header.csv", () => new MemoryStream(big), 10)], options);
        Assert.Contains("over the limit", FileError(lying, "header.csv").Message);
        Assert.Empty(lying.Rows);
    }

    [Fact]
    public void utf16_and_endless_lines_are_rejected()
    {
        var utf16 = InputFile.FromBytes("header.csv", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(Header)]);
        var endless = Csv("episodes.csv", new string('x', 5000));
        var ret = Ssda903Reader.Read("933", 2019, [utf16, endless], new Ssda903ReaderOptions { MaxRecordChars = 4096 });
        Assert.Contains("UTF-16", FileError(ret, "header.csv").Message);
        Assert.Contains("longer than", FileError(ret, "episodes.csv").Message);
    }

    [Fact]
    public void the_xml_form_fills_the_same_tables()
    {
        var ret = Ssda903Reader.ReadFolder("933", 2019, Path.Combine(Golden, "cases", "xml-2019", "input"));
        Assert.DoesNotContain(ret.Issues, i => i.FileLevel);
        var counts = ret.Rows.GroupBy(r => r.Table.Name).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<string, int>
        {
            ["header"] = 2, ["episodes"] = 2, ["uasc"] = 1, ["reviews"] = 2, ["oc2"] = 1, ["oc3"] = 1,
            ["placed_for_adoption"] = 1, ["previous_permanence"] = 1, ["missing"] = 1,
        }, counts);
        var episode = ret.Of(Ssda903Tables.Episodes).Last();
        Assert.Equal(("3002", "K3", "2018-09-01", "E4A", 2), (episode.Child, episode["PLACE"], episode["DEC"], episode["REC"], episode.Row));
        var uasc = Assert.Single(ret.Of(Ssda903Tables.Uasc));
        Assert.Equal(("3001", "2", "2005-05-01", "2019-01-01"), (uasc.Child, uasc["SEX"], uasc["DOB"], uasc["DUC"]));
        Assert.Null(ret.Of(Ssda903Tables.Header).First()["MC_DOB"]);
    }

    [Theory]
    [InlineData("<?xml version=\"1.0\"?><!DOCTYPE EXPSSDA903 [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><EXPSSDA903><CHILD><HEADER><CHILDID>&x;</CHILDID></HEADER></CHILD></EXPSSDA903>", "not well-formed XML")]
    [InlineData("<Bundle xmlns=\"http://hl7.org/fhir\"/>", "not an SSDA903 return")]
    [InlineData("<EXPSSDA903><CHILD><HEADER>", "not well-formed XML")]
    public void xml_with_a_dtd_another_root_or_broken_is_a_file_level_error(string xml, string message) =>
        Assert.StartsWith(message, FileError(Read(2019, ("return.xml", xml)), "return.xml").Message);

    [Fact]
    public void a_folder_is_read_in_name_order_skipping_other_files()
    {
        var ret = Ssda903Reader.ReadFolder("933", 2019, Path.Combine(Golden, "cases", "tolerant-csv-2019", "input"));
        Assert.DoesNotContain(ret.Issues, i => i.FileLevel);
        Assert.Contains(ret.Issues, i => i.File == "notes.txt" && i.Severity == IssueSeverity.Warning);
        Assert.Equal(3, ret.Of(Ssda903Tables.Header).Count());
    }
}
