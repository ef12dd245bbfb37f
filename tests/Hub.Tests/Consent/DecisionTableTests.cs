using System.Text.Json.Nodes;
using Hub.Consent.Decisions;
using Hub.Consent.Vocabulary;

namespace Hub.Tests.Consent;

/// <summary>
/// Replays Cases/decision-cases.json: every row of reference/consent.md §3.5 and every pre-check of §3.3, written from the
/// reference by hand, against the engine running the shipped policy file.
/// </summary>
public sealed class DecisionTableTests
{
    static readonly JsonObject File = JsonNode.Parse(System.IO.File.ReadAllText(ConsentTestData.CasesFile))!.AsObject();
    static JsonArray Cases => File["cases"]!.AsArray();

    public static TheoryData<string> CaseNames() => [.. Cases.Select(c => (string)c!["name"]!)];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void case_gets_the_decision_consent_md_gives(string name)
    {
        var c = Cases.Single(x => (string)x!["name"]! == name)!;
        var decision = Decide(c);
        var expect = c["expect"]!;

        Assert.Equal((string)expect["decision"]!, Name(decision.Verdict));
        var source = (string)expect["source"]!;
        Assert.Contains(decision.Reasons, r => r.Source == source);
        Assert.Equal("1.0.0", decision.PolicyVersion);
        Assert.Equal(Strings(expect["consentsUsed"]), decision.ConsentsUsed.Order(StringComparer.Ordinal));
        Assert.Equal(Strings(expect["alerts"]), decision.Obligations.Alerts.Order(StringComparer.Ordinal));
        if (!decision.Permitted) return;

        var o = decision.Obligations;
        Assert.Equal(Strings(expect["withheld"]), o.WithheldClasses.Select(d => d.Code()));
        var masked = expect["masked"]?.AsObject().Select(kv => $"{kv.Key}:{(string)kv.Value!}") ?? [];
        Assert.Equal(masked.Order(StringComparer.Ordinal), o.Masks.Select(kv => $"{kv.Key.Code()}:{kv.Value}"));
        Assert.Equal(expect["labels"] is null ? ["V"] : Strings(expect["labels"]), o.WithheldLabels.Order(StringComparer.Ordinal));
        Assert.Equal(expect["releaseOnly"] is null ? null : Strings(expect["releaseOnly"]), o.ReleaseOnlyLabels?.Order(StringComparer.Ordinal).ToList());
        Assert.Equal(Strings(expect["review"]), o.ReviewBeforeRelease.Select(d => d.Code()));
        Assert.Equal((string?)expect["marking"] ?? "mark", o.Marking == WithheldMarking.Silent ? "silent" : "mark");
        Assert.Equal(Strings(expect["notify"]), o.Notify.Order(StringComparer.Ordinal));
        Assert.Equal((bool?)expect["reasonRequired"] ?? false, o.ReasonRequired);
        Assert.Equal((string?)expect["timeBox"], o.TimeBox is { } t ? System.Xml.XmlConvert.ToString(t) : null);
        Assert.Equal((bool?)expect["postHocReview"] ?? false, o.PostHocReview);
        Assert.True(o.SuppressTotal, "a permitted response may always have been filtered (V at least), so it never carries a total");
    }

    [Fact]
    public void aggregate_only_cases_carry_small_number_suppression()
    {
        var aggregates = Cases.Where(c => (string)c!["expect"]!["decision"]! == "AGGREGATE_ONLY").ToList();
        Assert.NotEmpty(aggregates);
        foreach (var c in aggregates)
        {
            var d = Decide(c!);
            Assert.True(d.Obligations.SmallNumberSuppression && d.Obligations.OptOutFilter, (string)c!["name"]!);
            Assert.False(d.Permitted);
        }
    }

    [Fact]
    public void every_row_and_every_pre_check_has_a_case()
    {
        var names = Cases.Select(c => (string)c!["name"]!).ToList();
        var missing = Enumerable.Range(1, 19).Select(i => $"row{i}_").Concat(Enumerable.Range(1, 8).Select(i => $"g{i}_"))
            .Where(prefix => !names.Any(n => n.StartsWith(prefix, StringComparison.Ordinal)))
            .ToList();
        Assert.Empty(missing);
        // Every pre-check decides at least one case, so none is covered only by name.
        var sources = Cases.Select(c => (string)c!["expect"]!["source"]!).ToHashSet();
        foreach (var g in new[] { "G1", "G2", "G3", "G4", "G5", "G6" }) Assert.Contains(g, sources);
        foreach (var row in Enumerable.Range(1, 17)) Assert.Contains(sources, s => s == $"row {row}" || s.StartsWith($"row {row} variant", StringComparison.Ordinal));
    }

    [Fact]
    public void case_names_are_unique() =>
        Assert.Equal(Cases.Count, Cases.Select(c => (string)c!["name"]!).Distinct().Count());

    static Hub.Consent.Decisions.Decision Decide(JsonNode c)
    {
        var caller = File["callers"]![(string)c["caller"]!] ?? throw new InvalidOperationException("unknown caller " + c["caller"]);
        var request = ConsentTestData.Caller(caller, (string)c["purpose"]!, (string?)c["reason"], c["relevant"]?.AsArray().Select(x => (string)x!));
        var child = ConsentTestData.Child(File["child"]!.AsObject(), c["child"]?.AsObject());
        var consents = c["consents"]?.AsArray().Select(x => ConsentTestData.Consent(x!, child.PatientId)).ToList() ?? [];
        var now = DateTimeOffset.Parse((string?)c["now"] ?? (string)File["now"]!);
        return ConsentEngine.Decide(request, child, consents, ConsentTestData.Policy, now);
    }

    static List<string> Strings(JsonNode? n) => n?.AsArray().Select(x => (string)x!).Order(StringComparer.Ordinal).ToList() ?? [];

    /// <summary>The §3.2 name of a verdict, as the case file writes it.</summary>
    static string Name(Verdict v) => v switch
    {
        Verdict.Permit => "PERMIT",
        Verdict.PermitWithObligations => "PERMIT_REDACT",
        Verdict.Deny => "DENY",
        Verdict.NotFound => "DENY_NOT_FOUND",
        Verdict.BreakGlassPermit => "BTG_PERMIT",
        _ => "AGGREGATE_ONLY",
    };
}
