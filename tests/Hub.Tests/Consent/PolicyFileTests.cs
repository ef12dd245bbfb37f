using System.Text.Json.Nodes;
using Hub.Consent.Policy;
using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;

namespace Hub.Tests.Consent;

/// <summary>The shipped policy loads, says what consent.md §3 says in outline, and a broken copy fails naming the row and field.</summary>
public sealed class PolicyFileTests
{
    static JsonObject Shipped() => JsonNode.Parse(File.ReadAllText(ConsentTestData.ShippedPolicyFile))!.AsObject();

    static string ErrorOf(Action<JsonObject> breakIt)
    {
        var policy = Shipped();
        breakIt(policy);
        return Assert.Throws<InvalidDataException>(() => ConsentPolicy.Parse(policy.ToJsonString(), "policy.v1.json")).Message;
    }

    static JsonObject Row(JsonObject policy, string row) => policy["rows"]!.AsArray().Single(r => (string)r!["row"]! == row)!.AsObject();

    [Fact]
    public void the_embedded_policy_is_the_file_in_the_source_tree()
    {
        var fromFile = ConsentPolicy.Load(ConsentTestData.ShippedPolicyFile);
        Assert.Equal(fromFile.Version, ConsentPolicy.Shipped.Version);
        Assert.Equal(fromFile.Rows.Select(r => r.Row), ConsentPolicy.Shipped.Rows.Select(r => r.Row));
        Assert.Equal("https://fhir.carehub.org.uk/policy/cla-information-sharing", ConsentPolicy.Shipped.Id);
    }

    [Fact]
    public void shipped_policy_encodes_rows_1_to_17_and_pre_checks_g1_to_g8()
    {
        var p = ConsentPolicy.Shipped;
        Assert.Equal(Enumerable.Range(1, 17).Select(i => i.ToString()), p.Rows.Select(r => r.Row));
        Assert.Equal(["G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8"], p.PreChecks.Select(c => c.Id).Order());
        // Rows 18 and 19 are the outcomes of G3 and G1.
        Assert.Equal(Hub.Consent.Decisions.Verdict.NotFound, p.Check("G1").Outcome);
        Assert.Equal(Hub.Consent.Decisions.Verdict.NotFound, p.Check("G3").Outcome);
        Assert.Equal(["V"], p.Check("G8").Labels);
    }

    [Fact]
    public void ssda903_legal_status_codes_map_to_consent_authority_statuses()
    {
        var p = ConsentPolicy.Shipped;
        Assert.Equal(LegalStatus.CareOrder, p.LegalStatusOf("C2"));
        Assert.Equal(LegalStatus.Section20, p.LegalStatusOf(" v2 "));
        Assert.Equal(LegalStatus.PlacementOrder, p.LegalStatusOf("E1"));
        Assert.Equal(LegalStatus.None, p.LegalStatusOf(null));
    }

    [Fact]
    public void purposes_are_the_codes_of_the_purpose_of_use_code_system()
    {
        // The same codes as fhir-profiles/CodeSystem-purpose-of-use.json, which the tokens carry.
        var codeSystem = JsonNode.Parse(File.ReadAllText(Path.Combine(ConsentTestData.RepoRoot, "fhir-profiles", "CodeSystem-purpose-of-use.json")))!;
        var codes = codeSystem["concept"]!.AsArray().Select(c => (string)c!["code"]!).Order();
        Assert.Equal(codes, ConsentPolicy.Shipped.PurposeCodes.Keys.Order());
    }

    [Fact]
    public void unknown_access_in_a_cell_names_the_row_and_class() =>
        Assert.Contains("row 4, class D3: unknown access 'permt'", ErrorOf(p => Row(p, "4")["classes"]!["D3"] = "permt"));

    [Fact]
    public void a_permitting_row_missing_a_class_is_refused() =>
        Assert.Contains("row 2.classes: missing D5", ErrorOf(p => Row(p, "2")["classes"]!.AsObject().Remove("D5")));

    [Fact]
    public void an_unknown_role_is_refused() =>
        Assert.Contains("row 6.roles: unknown value 'GP_REGISTRED'", ErrorOf(p => Row(p, "6")["roles"] = new JsonArray("GP_REGISTRED")));

    [Fact]
    public void an_unknown_purpose_is_refused() =>
        Assert.Contains("row 7.purposes: unknown purpose 'safeguard'", ErrorOf(p => Row(p, "7")["purposes"] = new JsonArray("safeguard")));

    [Fact]
    public void an_undeclared_mask_is_refused() =>
        Assert.Contains("row 1, class D2: unknown mask 'dates-only'", ErrorOf(p => Row(p, "1")["classes"]!["D2"] = "permit mask:dates-only"));

    [Fact]
    public void an_undeclared_label_is_refused() =>
        Assert.Contains("row 2, class D3: unknown security label 'ADOLX'", ErrorOf(p => Row(p, "2")["classes"]!["D3"] = "permit except:ADOLX,PRS"));

    [Fact]
    public void a_missing_pre_check_is_refused() =>
        Assert.Contains("preChecks: G6 must appear exactly once",
            ErrorOf(p => p["preChecks"]!.AsArray().Remove(p["preChecks"]!.AsArray().Single(c => (string)c!["id"]! == "G6"))));

    [Fact]
    public void a_pre_check_without_its_settings_is_refused() =>
        Assert.Contains("preCheck G8: missing or empty field(s): withholdLabels",
            ErrorOf(p => p["preChecks"]!.AsArray().Single(c => (string)c!["id"]! == "G8")!.AsObject().Remove("withholdLabels")));

    [Fact]
    public void pre_checks_that_read_the_row_cannot_run_before_it_is_chosen() =>
        Assert.Contains("preChecks: G5 must come before G6 and G7", ErrorOf(p =>
        {
            var checks = p["preChecks"]!.AsArray();
            var g7 = checks.Single(c => (string)c!["id"]! == "G7")!;
            checks.Remove(g7);
            checks.Insert(0, g7);
        }));

    [Fact]
    public void a_bad_decision_name_is_refused() =>
        Assert.Contains("row 16.decision: 'AGGREGATE' is not a decision", ErrorOf(p => Row(p, "16")["decision"] = "AGGREGATE"));

    [Fact]
    public void an_unknown_condition_is_refused() =>
        Assert.Contains("row 13 variant 13a.when: unknown condition 'olderThan'", ErrorOf(p =>
            Row(p, "13")["variants"]![0]!["when"] = new JsonObject { ["olderThan"] = 25 }));

    [Fact]
    public void an_unknown_obligation_is_refused() =>
        Assert.Contains("row 17.obligations: unknown obligation 'page-the-duty-manager'", ErrorOf(p =>
            Row(p, "17")["obligations"]!.AsArray().Add("page-the-duty-manager")));

    [Fact]
    public void a_duplicated_row_number_is_refused() =>
        Assert.Contains("row 5: row number used twice", ErrorOf(p => Row(p, "6")["row"] = "5"));

    [Fact]
    public void invalid_json_is_refused_with_the_file_name() =>
        Assert.StartsWith("policy.v1.json: not valid JSON", Assert.Throws<InvalidDataException>(() => ConsentPolicy.Parse("{", "policy.v1.json")).Message);

    [Fact]
    public void a_changed_policy_changes_the_decision_without_code()
    {
        // The engine interprets the table: open D5 to the registered GP in a copy, and the GP gets it.
        var policy = Shipped();
        Row(policy, "6")["classes"]!["D5"] = "permit";
        policy["version"] = "1.0.1-test";
        var changed = ConsentPolicy.Parse(policy.ToJsonString(), "policy.test.json");
        var gp = new AccessRequest("A81001", "gp", null, "direct-care", null, null);
        var child = new SubjectFacts("c", null, "933", "QSL", "A81001", [], false) { LookedAfter = true, BirthDate = new DateOnly(2012, 1, 1) };
        var now = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Contains(DataClass.ThirdParty, Hub.Consent.Decisions.ConsentEngine.Decide(gp, child, [], ConsentPolicy.Shipped, now).Obligations.WithheldClasses);
        var d = Hub.Consent.Decisions.ConsentEngine.Decide(gp, child, [], changed, now);
        Assert.DoesNotContain(DataClass.ThirdParty, d.Obligations.WithheldClasses);
        Assert.Equal("1.0.1-test", d.PolicyVersion);
    }
}
