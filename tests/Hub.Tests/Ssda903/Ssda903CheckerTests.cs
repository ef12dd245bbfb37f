using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Checking;
using static Hub.Tests.Ssda903.Ssda903TestFiles;

namespace Hub.Tests.Ssda903;

public sealed class Ssda903CheckerTests
{
    static string Headers(int year, params string[] children) =>
        HeaderColumns + "\n" + string.Concat(children.Select(c => $"{c},{(year >= 2025 ? "F" : "2")},01/05/2005,WBRI,A123456789012,,\n"));

    static IReadOnlyList<ImportIssue> Check(int year, string episodes, string? header = null, Func<string, int?>? sealedInYear = null, CodeLists? codes = null)
    {
        var ret = Read(year, ("header.csv", header ?? Headers(year, "1001", "1002")), ("episodes.csv", EpisodeColumns + "\n" + episodes));
        Assert.DoesNotContain(ret.Issues, i => i.FileLevel);
        return Ssda903Checker.Check(ret, codes ?? FixtureCodes, sealedInYear);
    }

    static ImportIssue Only(IEnumerable<ImportIssue> issues, string rule) => Assert.Single(issues, i => i.Rule == rule);

    static string[] Errors(IEnumerable<ImportIssue> issues) => [.. issues.Where(i => i.Severity == IssueSeverity.Error).Select(i => $"{i.Location} {i.Rule}")];

    [Fact]
    public void a_clean_return_has_no_issues()
    {
        var issues = Check(2019, "1001,01/04/2017,S,C2,N1,U4,PR1,01/06/2018,X1,CARPL,,,\n1001,01/06/2018,P,C2,N1,U5,PR4,,,,,,\n1002,01/05/2018,S,V2,N2,K2,PR1,,,,,,\n");
        Assert.Empty(issues);
    }

    [Fact]
    public void overlapping_episodes_quarantine_the_child()
    {
        var issues = Check(2019, "1001,01/04/2018,S,C2,N1,U4,PR1,01/09/2018,X1,CARPL,,,\n1001,01/08/2018,P,C2,N1,U5,PR4,,,,,,\n1002,01/05/2018,S,V2,N2,K2,PR1,,,,,,\n");
        var overlap = Only(issues, "501");
        Assert.Equal((IssueSeverity.Error, "episodes.csv:2:DECOM", "1001"), (overlap.Severity, overlap.Location, overlap.Child));
        Assert.Contains("episodes.csv:1", overlap.Message);
    }

    [Fact]
    public void two_episodes_starting_the_same_day_overlap()
    {
        var issues = Check(2019, "1001,01/04/2018,S,C2,N1,U4,PR1,01/04/2018,X1,,,,\n1001,01/04/2018,P,C2,N1,U5,PR4,,,,,,\n");
        Assert.Equal(["episodes.csv:2:DECOM 501"], Errors(issues));
    }

    [Fact]
    public void more_than_one_open_episode_quarantines_the_child()
    {
        var issues = Check(2019, "1001,01/04/2018,S,C2,N1,U4,PR1,,,,,,\n1001,01/08/2018,P,C2,N1,U5,PR4,,,,,,\n");
        Assert.Equal(["episodes.csv:1:DEC 142"], Errors(issues));
        Assert.Equal("1001", Only(issues, "142").Child);
    }

    [Fact]
    public void an_open_episode_with_a_rec_stays_open_and_warns()
    {
        var issues = Check(2019, "1001,01/04/2018,S,C2,N1,U4,PR1,,E8,,,,\n");
        var rec = Only(issues, "148");
        Assert.Equal((IssueSeverity.Warning, "episodes.csv:1:REC"), (rec.Severity, rec.Location));
        Assert.Contains("REC is ignored", rec.Message);
    }

    [Fact]
    public void dec_before_decom_is_an_error_and_the_same_day_a_warning()
    {
        var issues = Check(2019, "1001,01/06/2018,S,C2,N1,U4,PR1,01/05/2018,E8,,,,\n1002,01/06/2018,S,C2,N1,U4,PR1,01/06/2018,E8,,,,\n");
        Assert.Equal(IssueSeverity.Error, Only(issues, "356").Severity);
        Assert.Equal((IssueSeverity.Warning, "1002"), (Only(issues, "355").Severity, Only(issues, "355").Child));
    }

    [Fact]
    public void rows_of_a_child_without_a_header_row_quarantine_it()
    {
        var ret = Read(2019, ("header.csv", Headers(2019, "1001")),
            ("episodes.csv", EpisodeColumns + "\n1001,01/04/2018,S,C2,N1,U4,PR1,,,,,,\n1003,01/04/2018,S,C2,N1,U4,PR1,01/05/2018,X1,,,,\n1003,01/05/2018,P,C2,N1,U4,PR1,,,,,,\n"),
            ("reviews.csv", "CHILD,DOB,REVIEW,REVIEW_CODE\n1004,01/05/2005,01/10/2018,PN1\n"),
            ("ids.csv", "CHILD,NHS_NUMBER\n1005,9434765919\n"));
        var issues = Ssda903Checker.Check(ret, FixtureCodes);
        Assert.Equal(["episodes.csv:2:CHILD INT03", "reviews.csv:1:CHILD INT08"], Errors(issues));
        Assert.Contains("2 rows", Only(issues, "INT03").Message);
        Assert.Equal(["1003", "1004"], issues.Where(i => i.Severity == IssueSeverity.Error).Select(i => i.Child));
        Assert.Equal(IssueSeverity.Warning, Assert.Single(issues, i => i.File == "ids.csv").Severity);
    }

    [Fact]
    public void a_child_repeated_in_the_header_or_without_an_id_is_quarantined()
    {
        var header = Headers(2019, "1001", "1002", "1001") + "  ,2,01/05/2005,WBRI,A123456789012,,\n";
        var issues = Check(2019, "", header);
        Assert.Equal(["header.csv:3:CHILD INT32", "header.csv:4:CHILD "], Errors(issues));
        Assert.All(issues, i => Assert.False(i.FileLevel));
    }

    [Fact]
    public void a_sealed_child_id_coming_back_in_a_later_return_is_quarantined()
    {
        int? SealedBy2018(string child) => child == "1002" ? 2018 : null;
        var later = Check(2019, "1002,01/06/2018,S,C2,N1,U4,PR1,,,,,,\n", sealedInYear: SealedBy2018);
        var reuse = Only(later, "199");
        Assert.Equal((IssueSeverity.Error, "header.csv:2:CHILD", "1002"), (reuse.Severity, reuse.Location, reuse.Child));
        var reimport = Check(2018, "1002,01/06/2017,S,C2,N1,A4,PR1,01/02/2018,E11,,,,\n", sealedInYear: SealedBy2018);
        Assert.DoesNotContain(reimport, i => i.Rule == "199");
    }

    [Fact]
    public void dob_missing_or_after_the_year_and_decom_before_birth_are_errors()
    {
        var header = HeaderColumns + "\n1001,2,,WBRI,A123456789012,,\n1002,2,01/05/2019,WBRI,A123456789012,,\n1003,2,01/05/2010,WBRI,A123456789012,,\n";
        var issues = Check(2019, "1003,01/04/2010,S,C2,N1,U4,PR1,,,,,,\n1002,,S,C2,N1,U4,PR1,,,,,,\n", header);
        Assert.Equal(["episodes.csv:1:DECOM 302", "episodes.csv:2:DECOM 141", "header.csv:1:DOB 102", "header.csv:2:DOB 301"], Errors(issues).Order());
    }

    [Theory]
    [InlineData("LS", "ZZ", "144")]
    [InlineData("PLACE", "Q9", "146")]
    [InlineData("RNE", "", "143")]
    [InlineData("REC", "E99", "149")]
    public void codes_that_decide_the_mapping_are_errors_when_not_in_the_years_list(string column, string code, string rule)
    {
        var cells = "1001,01/04/2018,S,C2,N1,U4,PR1,01/05/2018,E8,,,,".Split(',');
        cells[Array.IndexOf(EpisodeColumns.Split(','), column)] = code;
        var issues = Check(2019, string.Join(",", cells) + "\n");
        var issue = Only(issues, rule);
        Assert.Equal((IssueSeverity.Error, $"episodes.csv:1:{column}"), (issue.Severity, issue.Location));
    }

    [Theory]
    [InlineData(2024, "K3", false)]
    [InlineData(2025, "K3", true)]
    [InlineData(2025, "Z1", true)]
    [InlineData(2026, "Z1", false)]
    [InlineData(2025, "Z11", false)]
    [InlineData(2026, "Z11", true)]
    [InlineData(2024, "H5", true)]
    [InlineData(2025, "H5", false)]
    public void placement_types_are_valid_by_collection_year(int year, string place, bool valid)
    {
        foreach (var codes in new[] { FixtureCodes, ProfileCodes })
        {
            var decom = $"01/06/{year - 1}";
            var provider = place.StartsWith('Z') ? "" : "PR4";
            var issues = Check(year, $"1001,{decom},S,C2,N1,{place},{provider},,,,,,\n", codes: codes);
            Assert.Equal(!valid, issues.Any(i => i.Rule == "146" && i.Severity == IssueSeverity.Error));
        }
    }

    [Theory]
    [InlineData(2024, "1", true)]
    [InlineData(2025, "1", false)]
    [InlineData(2024, "M", false)]
    [InlineData(2025, "M", true)]
    public void sex_codes_change_in_2025_and_an_invalid_sex_only_warns(int year, string sex, bool valid)
    {
        var header = HeaderColumns + $"\n1001,{sex},01/05/2005,WBRI,A123456789012,,\n";
        var issues = Check(year, "", header);
        Assert.Equal(valid, !issues.Any(i => i.Rule == "101"));
        Assert.DoesNotContain(issues, i => i.Severity == IssueSeverity.Error);
    }

    [Fact]
    public void everything_else_only_warns()
    {
        var header = HeaderColumns + "\n1001,1,01/05/2005,ZZZZ,BAD,1,01/01/2018\n1002,2,01/05/2015,WBRI,UN1,,\n";
        var episodes = "1001,01/04/2018,S,C2,N9,R5,PR0,01/05/2018,X1,NOPE,LS1 2AB,LS1 2AB,SC1\n1001,01/05/2018,P,C2,N1,T1,PR1,,,,,,\n1002,01/04/2018,S,C2,N1,S1,,,,,,,\n";
        var ret = Read(2019, ("header.csv", header), ("episodes.csv", EpisodeColumns + "\n" + episodes),
            ("oc2.csv", "CHILD,DOB,SDQ_SCORE,SDQ_REASON,CONVICTED,HEALTH_CHECK,IMMUNISATIONS,TEETH_CHECK,HEALTH_ASSESSMENT,SUBSTANCE_MISUSE,INTERVENTION_RECEIVED,INTERVENTION_OFFERED\n1002,01/05/2015,41,SDQ1,1,1,1,1,1,1,,\n"),
            ("oc3.csv", "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\n1001,01/05/2005,DIED,F1,\n"),
            ("missing.csv", "CHILD,DOB,MISSING,MIS_START,MIS_END\n1001,01/05/2005,Q,01/06/2018,01/05/2018\n"));
        var issues = Ssda903Checker.Check(ret, FixtureCodes);
        Assert.DoesNotContain(issues, i => i.Severity == IssueSeverity.Error);
        string[] expected = ["103", "168", "165", "174", "145", "1009", "392d", "1008", "550", "213", "526", "373", "180", "197a", "188", "542", "192", "153", "344", "391", "1006", "567"];
        Assert.Equal(expected.Order(), issues.Select(i => i.Rule!).Distinct().Order());
        Assert.All(issues, i => Assert.NotNull(i.Child));
    }

    [Fact]
    public void messages_name_the_rule_in_dfe_wording()
    {
        var header = HeaderColumns + "\n1001,2,01/05/2005,XXXX,A123456789012,,\n";
        var issue = Only(Check(2019, "", header), "103");
        Assert.Equal("rule 103: The ethnicity code is either not valid or has not been entered (ETHNIC \"XXXX\" is not a code of the list)", issue.Text);
    }

    [Fact]
    public void a_code_list_the_checker_needs_to_quarantine_must_be_loaded()
    {
        var ret = Read(2019, ("header.csv", Headers(2019, "1001")), ("episodes.csv", EpisodeColumns + "\n1001,01/04/2018,S,C2,N1,U4,PR1,,,,,,\n"));
        var none = CodeLists.From([]);
        Assert.Throws<InvalidOperationException>(() => Ssda903Checker.Check(ret, none));
    }
}

/// <summary>The optional GP_PRACTICE of child_identifiers.csv: the registration the hub holds without PDS (contract §7).</summary>
public sealed class GpRegistrationFromReturnTests
{
    static Ssda903Return Return(string identifiers) => Read(2025,
        ("header.csv", HeaderColumns + "\n1001,F,01/05/2005,WBRI,A123456789012,,\n1002,F,01/05/2006,WBRI,A123456789013,,\n"),
        ("episodes.csv", EpisodeColumns + "\n1001,01/06/2024,S,C2,N1,U4,PR1,,,,,,\n1002,01/06/2024,S,C2,N1,U4,PR1,,,,,,\n"),
        ("child_identifiers.csv", "CHILD,NHS_NUMBER,GP_PRACTICE\n" + identifiers));

    static Hl7.Fhir.Model.Patient PatientOf(Ssda903Return ret, string child) =>
        Hub.Mappers.Ssda903.Mapping.ChildMapper.MapPatient(
            Hub.Mappers.Ssda903.Mapping.ChildRecord.Group(ret).Single(c => c.ChildId == child),
            new Hub.Mappers.Ssda903.Mapping.MappingContext("933", 2025, "QSL", _ => "QSL"));

    [Fact]
    public void a_practice_code_becomes_the_childs_registered_GP_and_a_bad_one_only_warns_and_is_not_recorded()
    {
        var ret = Return("1001,9434765919, l85001 \n1002,9434765870,NOTAPRACTICE\n");
        var issues = Ssda903Checker.Check(ret, FixtureCodes, null);
        var bad = Assert.Single(issues, i => i.Message.Contains("GP_PRACTICE", StringComparison.Ordinal));
        Assert.Equal((IssueSeverity.Warning, "child_identifiers.csv:2:GP_PRACTICE", "1002"), (bad.Severity, bad.Location, bad.Child));

        var registered = Assert.Single(PatientOf(ret, "1001").GeneralPractitioner);
        Assert.Equal(("Organization/L85001", "L85001"), (registered.Reference, registered.Identifier.Value));
        Assert.Empty(PatientOf(ret, "1002").GeneralPractitioner);
    }

    [Fact]
    public void a_return_without_the_column_registers_no_one()
    {
        var ret = Read(2025, ("header.csv", HeaderColumns + "\n1001,F,01/05/2005,WBRI,A123456789012,,\n"),
            ("episodes.csv", EpisodeColumns + "\n1001,01/06/2024,S,C2,N1,U4,PR1,,,,,,\n"), ("child_identifiers.csv", "CHILD,NHS_NUMBER\n1001,9434765919\n"));
        Assert.DoesNotContain(Ssda903Checker.Check(ret, FixtureCodes, null), i => i.Location?.StartsWith("child_identifiers", StringComparison.Ordinal) == true);
        Assert.Empty(PatientOf(ret, "1001").GeneralPractitioner);
    }
}
