using System.Text;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Reading;

namespace Hub.Tests.Ssda903;

/// <summary>Where the SSDA903 test inputs live, and how issues are written for golden comparison.</summary>
static class Ssda903TestFiles
{
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string Golden => Path.Combine(RepoRoot, "tests", "Hub.Tests", "Ssda903", "Golden");
    public static string FixtureCodeSystems => Path.Combine(Golden, "codesystems");
    public static string Profiles => Path.Combine(RepoRoot, "fhir-profiles");
    public static string Synthetic => Path.Combine(RepoRoot, "..", "shared", "data", "ssda903");
    public static string DfeRules => Path.Combine(RepoRoot, "..", "shared", "reference", "dfe903-rules");

    static readonly Lazy<CodeLists> FixtureLists = new(() => CodeLists.Load(FixtureCodeSystems));
    static readonly Lazy<CodeLists> ProfileLists = new(() => CodeLists.Load(Profiles));

    /// <summary>The small CodeSystems under Golden/codesystems (same convention as fhir-profiles).</summary>
    public static CodeLists FixtureCodes => FixtureLists.Value;

    /// <summary>The hub's own CodeSystems in fhir-profiles/.</summary>
    public static CodeLists ProfileCodes => ProfileLists.Value;

    public static bool UpdateGolden => Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1";

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CareHub.sln"))) return dir.FullName;
        throw new InvalidOperationException("CareHub.sln not found above " + AppContext.BaseDirectory);
    }

    public static InputFile Csv(string name, string text, bool bom = false) =>
        InputFile.FromBytes(name, bom ? [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text)] : Encoding.UTF8.GetBytes(text));

    /// <summary>A return from CSV texts given as (name, content), e.g. ("header.csv", "CHILD,SEX,…\n…").</summary>
    public static Ssda903Return Read(int year, params (string Name, string Text)[] files) =>
        Ssda903Reader.Read("933", year, files.Select(f => Csv(f.Name, f.Text)));

    /// <summary>One line per issue: severity, location, rule, child, message.</summary>
    public static string Format(IEnumerable<ImportIssue> issues) =>
        string.Concat(issues.Select(i => $"{i.Severity.ToString().ToLowerInvariant()} {i.Location} {(i.Rule is null ? "-" : "rule " + i.Rule)} child={i.Child ?? "-"} {i.Message}\n"));

    /// <summary>Compares with a golden text file; UPDATE_GOLDEN=1 rewrites it instead.</summary>
    public static void AssertGolden(string path, string actual)
    {
        if (UpdateGolden || !File.Exists(path))
        {
            File.WriteAllText(path, actual);
            if (!UpdateGolden) Assert.Fail($"golden file {path} was missing and has been written; review it and run again");
            return;
        }
        var expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        Assert.Equal(expected, actual.ReplaceLineEndings("\n"));
    }

    public const string HeaderColumns = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB";
    public const string EpisodeColumns = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN";
}
