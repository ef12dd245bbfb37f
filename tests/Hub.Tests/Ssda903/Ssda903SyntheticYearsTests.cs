using System.Diagnostics;
using System.Text;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Checking;
using Hub.Mappers.Ssda903.Reading;
using Xunit.Abstractions;
using static Hub.Tests.Ssda903.Ssda903TestFiles;

namespace Hub.Tests.Ssda903;

/// <summary>
/// The two synthetic years in ../shared/data/ssda903, checked against the hub's own code lists. They are known
/// to break rules (overlapping episodes, open episodes with a REC, adopted children whose CHILD id comes back);
/// Golden/synthetic-quarantine.txt records which children each year would quarantine and why.
/// </summary>
public sealed class Ssda903SyntheticYearsTests(ITestOutputHelper output)
{
    static Ssda903Return ReadYear(int year) => Ssda903Reader.ReadFolder("933", year, Path.Combine(Synthetic, year.ToString()));

    [Fact]
    public void both_years_read_without_a_file_level_error()
    {
        var clock = Stopwatch.StartNew();
        var years = new[] { ReadYear(2018), ReadYear(2019) };
        var read = clock.Elapsed;
        foreach (var ret in years)
        {
            Assert.DoesNotContain(ret.Issues, i => i.FileLevel);
            Assert.DoesNotContain(ret.Issues, i => i.Severity == IssueSeverity.Error);
            Assert.Equal(8, ret.Rows.Select(r => r.Table).Distinct().Count());
        }
        output.WriteLine($"read both years ({years.Sum(y => y.Rows.Count):N0} rows) in {read.TotalMilliseconds:N0} ms");
    }

    [Fact]
    public void quarantined_children_by_rule_match_the_golden_summary()
    {
        var y2018 = ReadYear(2018);
        var y2019 = ReadYear(2019);
        var adopted = y2018.Of(Ssda903Tables.Episodes).Where(e => e["REC"] is "E11" or "E12" && e["DEC"] is not null).Select(e => e.Child).ToHashSet();
        var clock = Stopwatch.StartNew();
        var issues2018 = Ssda903Checker.Check(y2018, ProfileCodes);
        var issues2019 = Ssda903Checker.Check(y2019, ProfileCodes, child => adopted.Contains(child) ? 2018 : null);
        output.WriteLine($"checked both years in {clock.Elapsed.TotalMilliseconds:N0} ms");

        Assert.Equal(3, issues2019.Count(i => i.Rule == "199"));
        var summary = new StringBuilder();
        summary.Append(Summary(y2018, issues2018)).Append('\n').Append(Summary(y2019, issues2019));
        output.WriteLine(summary.ToString());
        AssertGolden(Path.Combine(Golden, "synthetic-quarantine.txt"), summary.ToString());
    }

    /// <summary>Children, quarantined children, and per error rule how many children it quarantines; then warnings by rule.</summary>
    static string Summary(Ssda903Return ret, IReadOnlyList<ImportIssue> issues)
    {
        var all = ret.Issues.Concat(issues).ToList();
        var children = ret.Of(Ssda903Tables.Header).Select(r => r.Child).Distinct().Count();
        var quarantined = all.Where(i => i.Severity == IssueSeverity.Error && i.Child is not null).Select(i => i.Child).Distinct().Count();
        var text = new StringBuilder($"{ret.Year}: {children} children, {quarantined} quarantined, {children - quarantined} imported\n");
        text.Append("  errors (children quarantined by rule):\n");
        foreach (var g in all.Where(i => i.Severity == IssueSeverity.Error).GroupBy(i => i.Rule ?? "-").OrderByDescending(g => g.Select(i => i.Child).Distinct().Count()).ThenBy(g => g.Key))
            text.Append($"    rule {g.Key}: {g.Select(i => i.Child).Distinct().Count()} children ({g.Count()} issues) — {g.First().Message.Split(" (")[0]}\n");
        text.Append("  warnings (issues by rule):\n");
        foreach (var g in all.Where(i => i.Severity == IssueSeverity.Warning).GroupBy(i => i.Rule ?? "-").OrderByDescending(g => g.Count()).ThenBy(g => g.Key))
            text.Append($"    rule {g.Key}: {g.Count()}\n");
        return text.ToString();
    }
}
