using System.Text;
using System.Text.RegularExpressions;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Checking;
using static Hub.Tests.Ssda903.Ssda903TestFiles;

namespace Hub.Tests.Ssda903;

public sealed partial class Ssda903RulesTests
{
    static string RulesMarkdown => Path.Combine(RepoRoot, "src", "Hub.Mappers", "Ssda903", "Checking", "RULES.md");

    /// <summary>Rule code → DfE messages (a rule's wording may change between years), from the rule lists in reference/dfe903-rules.</summary>
    static Dictionary<string, HashSet<string>> DfeMessages()
    {
        var messages = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(DfeRules, "*_rule_info.csv"))
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                var comma = line.IndexOf(',');
                var rest = line[(comma + 1)..];
                var message = rest.StartsWith('"') ? rest[1..rest.IndexOf("\",", 1, StringComparison.Ordinal)].Replace("\"\"", "\"") : rest[..rest.IndexOf(',')];
                var code = line[..comma];
                (messages.TryGetValue(code, out var set) ? set : messages[code] = []).Add(Note().Replace(message, "").Trim().TrimEnd('.').Trim());
            }
        return messages;
    }

    [GeneratedRegex(@"\s*\[?NOTE:.*?(\]|$)")]
    private static partial Regex Note();

    [Fact]
    public void every_dfe_rule_code_exists_and_keeps_the_dfe_wording()
    {
        var dfe = DfeMessages();
        foreach (var rule in Ssda903Rules.All.Where(r => r.Code is not null))
        {
            Assert.True(dfe.TryGetValue(rule.Code!, out var messages), $"rule {rule.Code} is not in the DfE lists");
            Assert.Contains(rule.Message, messages);
        }
    }

    [Fact]
    public void only_the_decided_checks_quarantine()
    {
        string[] errors = ["INT32", "199", "102", "301", "141", "147", "302", "353", "356", "143", "144", "146", "149", "501", "142",
            "INT01", "INT02", "INT03", "INT04", "INT05", "INT06", "INT07", "INT08", "INT09"];
        Assert.Equal(errors.Order(), Ssda903Rules.All.Where(r => r.Severity == IssueSeverity.Error && r.Code is not null).Select(r => r.Code!).Order());
    }

    [Fact]
    public void rules_md_lists_every_rule()
    {
        var md = new StringBuilder();
        md.Append("# SSDA903 checks\n\n");
        md.Append("What the import checks in a return, generated from `Ssda903Rules` (a test keeps this file in step: run the tests with\n");
        md.Append("`UPDATE_GOLDEN=1` after changing a rule). Rule codes and wording are the DfE's (reference/dfe903-rules/); rows\n");
        md.Append("without a code are the hub's own checks. **Error** quarantines the child (none of its rows are written);\n");
        md.Append("**warning** is reported and blocks nothing (decisions.md, \"SSDA903 details\"). Problems with whole files (not a\n");
        md.Append("table, missing required columns, empty, too large, a table twice or outside its years, no header table, zip\n");
        md.Append("bombs and unsafe zip paths) are file-level errors that reject the import; the tolerances the reader applies\n");
        md.Append("(BOM, CRLF, case, spaces, `1.0` flags, `zz` dates in DATE_PERM, postcode spacing) are warnings counted per file\n");
        md.Append("and column.\n\n");
        md.Append("| Rule | Severity | Message (the DfE's wording where there is a rule code) | What is checked |\n");
        md.Append("| --- | --- | --- | --- |\n");
        foreach (var rule in Ssda903Rules.All.OrderBy(r => r.Severity))
            md.Append($"| {rule.Code ?? "—"} | {rule.Severity.ToString().ToLowerInvariant()} | {rule.Message.Replace("|", "\\|")} | {rule.Checks.Replace("|", "\\|")} |\n");
        AssertGolden(RulesMarkdown, md.ToString());
    }
}
