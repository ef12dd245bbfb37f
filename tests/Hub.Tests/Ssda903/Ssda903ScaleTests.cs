using System.Diagnostics;
using System.Globalization;
using System.Text;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Checking;
using Hub.Mappers.Ssda903.Reading;
using Xunit.Abstractions;
using static Hub.Tests.Ssda903.Ssda903TestFiles;

namespace Hub.Tests.Ssda903;

/// <summary>
/// The reader and checker on a national-scale return (90,000 children, 200,000 episodes, every table). The
/// import benchmark's budget is 60 s end to end; reading and checking should take a few seconds of it.
/// </summary>
public sealed class Ssda903ScaleTests(ITestOutputHelper output)
{
    [Fact]
    public void a_national_scale_return_is_read_and_checked_in_seconds()
    {
        var files = Generate(children: 90_000, episodes: 200_000);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var ret = Ssda903Reader.Read("933", 2025, files);
        var read = clock.Elapsed;
        var issues = Ssda903Checker.Check(ret, ProfileCodes);
        var check = clock.Elapsed - read;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        var live = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"{ret.Rows.Count:N0} rows ({files.Sum(f => f.Length) / 1048576.0:N0} MiB): read {read.TotalSeconds:N2} s, checked {check.TotalSeconds:N2} s, " +
                         $"{allocated / 1048576.0:N0} MiB allocated, {live / 1048576.0:N0} MiB live after, {issues.Count:N0} issues");
        GC.KeepAlive(ret);
        foreach (var g in issues.GroupBy(i => i.Rule).OrderByDescending(g => g.Count())) output.WriteLine($"  rule {g.Key}: {g.Count():N0} e.g. {g.First().Location} {g.First().Message}");

        Assert.DoesNotContain(ret.Issues, i => i.FileLevel);
        Assert.Equal(200_000, ret.Of(Ssda903Tables.Episodes).Count());
        Assert.DoesNotContain(issues, i => i.Severity == IssueSeverity.Error);
        Assert.True(read + check < TimeSpan.FromSeconds(30), $"read and check took {(read + check).TotalSeconds:N1} s");
    }

    /// <summary>A plausible 2024/25 return: every child has a header and two or three consecutive episodes, the last open.</summary>
    static List<InputFile> Generate(int children, int episodes)
    {
        var random = new Random(903);
        var culture = CultureInfo.InvariantCulture;
        StringBuilder header = new(HeaderColumns + "\r\n"), eps = new(EpisodeColumns + "\r\n"), reviews = new("CHILD,DOB,REVIEW,REVIEW_CODE\r\n"),
            oc2 = new("CHILD,DOB,SDQ_SCORE,SDQ_REASON,CONVICTED,HEALTH_CHECK,IMMUNISATIONS,TEETH_CHECK,HEALTH_ASSESSMENT,SUBSTANCE_MISUSE,INTERVENTION_RECEIVED,INTERVENTION_OFFERED\r\n"),
            oc3 = new("CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\r\n"), perm = new("CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM\r\n"), uasc = new("CHILD,SEX,DOB,DUC\r\n"),
            missing = new("CHILD,DOB,MISSING,MIS_START,MIS_END\r\n"), sw = new("CHILD,DOB,SW_ID,SW_DECOM,SW_DEC,SW_REASON\r\n"), ids = new("CHILD,NHS_NUMBER\r\n");
        string[] places = ["U1", "U3", "U4", "U5", "U6", "K2", "R1", "A4", "K3"], ethnic = ["WBRI", "MWBA", "AIND", "BAFR", "OOTH"], legal = ["C1", "C2", "V2", "E1"];
        var yearStart = new DateOnly(2024, 4, 1);
        for (var c = 0; c < children; c++)
        {
            var id = (100000 + c).ToString(culture);
            var dob = new DateOnly(2007, 1, 1).AddDays(random.Next(0, 365 * 9));
            var dobText = dob.ToString("dd/MM/yyyy", culture);
            var sex = random.Next(2) == 0 ? "M" : "F";
            header.Append(culture, $"{id},{sex},{dobText},{ethnic[c % ethnic.Length]},A{c:D12},{(sex == "F" ? "0" : "")},\r\n");
            ids.Append(culture, $"{id},{Hub.Mappers.Identifiers.NhsNumber.FromStem(400000000 + c * 7L)}\r\n");
            perm.Append(culture, $"{id},{dobText},Z1,,\r\n");
            var count = episodes / children + (c < episodes % children ? 1 : 0);
            var start = yearStart.AddDays(random.Next(0, 120));
            for (var e = 0; e < count; e++)
            {
                var place = places[random.Next(places.Length)];
                if (place == "K3" && dob.AddYears(16) > start) place = "U4";
                var last = e == count - 1;
                var end = last ? (DateOnly?)null : start.AddDays(random.Next(5, 60));
                var provider = place is "U1" or "U3" ? "PR1" : "PR4";
                var urn = place == "R1" ? "" : "SC123456";
                eps.Append(culture, $"{id},{start:dd/MM/yyyy},{(e == 0 ? "S" : "P")},{legal[c % legal.Length]},N1,{place},{provider},{end?.ToString("dd/MM/yyyy", culture)},{(last ? "" : "X1")},{(last ? "" : "CARPL")},LS1 2AB,M1 1AE,{urn}\r\n");
                if (end is { } ended) start = ended;
            }
            for (var r = 0; r < 2 + c % 2; r++) reviews.Append(culture, $"{id},{dobText},{yearStart.AddDays(30 + r * 90):dd/MM/yyyy},PN1\r\n");
            if (c % 2 == 0)
            {
                var age = 2025 - dob.Year;
                var sdq = age is >= 5 and <= 16 ? "12," : age < 17 ? ",SDQ1" : ",";
                oc2.Append(culture, $"{id},{dobText},{sdq},{(age >= 11 ? "0" : "")},,1,1,1,0,,\r\n");
            }
            if (c % 6 == 0 && dob.AddYears(17) is var seventeen && seventeen >= yearStart && seventeen < yearStart.AddYears(1)) oc3.Append(culture, $"{id},{dobText},YES,F2,U1\r\n");
            if (c % 15 == 0) uasc.Append(culture, $"{id},{sex},{dobText},\r\n");
            if (c % 5 == 0) missing.Append(culture, $"{id},{dobText},M,{yearStart.AddDays(140):dd/MM/yyyy},{yearStart.AddDays(142):dd/MM/yyyy}\r\n");
            sw.Append(culture, $"{id},{dobText},SW{c:D6},{yearStart:dd/MM/yyyy},,\r\n");
        }
        return
        [
            .. new[] { ("header.csv", header), ("episodes.csv", eps), ("reviews.csv", reviews), ("oc2.csv", oc2), ("oc3.csv", oc3), ("previous_permanence.csv", perm),
                ("uasc.csv", uasc), ("missing.csv", missing), ("sw_episodes.csv", sw), ("child_identifiers.csv", ids) }
            .Select(f => InputFile.FromBytes(f.Item1, Encoding.UTF8.GetBytes(f.Item2.ToString())))
        ];
    }
}
