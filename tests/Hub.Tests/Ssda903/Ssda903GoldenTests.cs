using Hub.Mappers.Ssda903.Checking;
using Hub.Mappers.Ssda903.Reading;
using static Hub.Tests.Ssda903.Ssda903TestFiles;

namespace Hub.Tests.Ssda903;

/// <summary>
/// Golden/cases/{name}-{year}/: a return as files (CSV or XML) under input/, and expected.txt, the issues the reader and the
/// checker report on it (one line each: severity, file:row:column, rule, child, message). UPDATE_GOLDEN=1 rewrites.
/// </summary>
public sealed class Ssda903GoldenTests
{
    public static TheoryData<string> Cases() => [.. Directory.EnumerateDirectories(Path.Combine(Golden, "cases")).Select(Path.GetFileName).Order()!];

    [Theory]
    [MemberData(nameof(Cases))]
    public void issues_match_the_golden_file(string name)
    {
        var folder = Path.Combine(Golden, "cases", name);
        var year = int.Parse(name[(name.LastIndexOf('-') + 1)..]);
        var ret = Ssda903Reader.ReadFolder("933", year, Path.Combine(folder, "input"));
        var issues = ret.Issues.Concat(Ssda903Checker.Check(ret, FixtureCodes)).OrderBy(i => i.File, StringComparer.Ordinal).ThenBy(i => i.Row ?? 0);
        AssertGolden(Path.Combine(folder, "expected.txt"), Format(issues));
    }
}
