using Hl7.Fhir.Model;
using Hub.Consent.Decisions;
using Hub.Consent.Enforcement;
using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;

namespace Hub.Tests.Consent;

/// <summary>The enforcement point's pure helper: which labelled resources a decision withholds, and which masks apply.</summary>
public sealed class WithholdingTests
{
    static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    static readonly SubjectFacts Child = new("c", null, "933", "QSL", "A81001", ["QE1"], false) { LookedAfter = true, BirthDate = new DateOnly(2012, 1, 1) };

    static Hub.Consent.Decisions.Decision GpDirectCare() =>
        ConsentEngine.Decide(new("A81001", "gp", null, "direct-care", null, null), Child, [], ConsentTestData.Policy, Now);

    static List<Coding> Labels(params string[] codes) =>
        codes.Select(c => c.StartsWith('D') && c.Length == 2 ? new Coding(LabelSystems.DataClass, c) : new Coding(ConsentTestData.Policy.LabelSystems[c], c)).ToList();

    [Fact]
    public void gp_sees_core_and_sensitive_but_not_third_party_adol_or_v()
    {
        var d = GpDirectCare();
        Assert.False(Withholding.IsWithheld(Labels("D1", "N"), d, ConsentTestData.Policy));
        Assert.False(Withholding.IsWithheld(Labels("D3", "R", "SEX"), d, ConsentTestData.Policy));
        Assert.True(Withholding.IsWithheld(Labels("D3", "R", "SEX", "ADOL"), d, ConsentTestData.Policy));
        Assert.True(Withholding.IsWithheld(Labels("D5", "R", "third-party"), d, ConsentTestData.Policy));
        Assert.True(Withholding.IsWithheld(Labels("D1", "V"), d, ConsentTestData.Policy));
    }

    [Fact]
    public void what_awaits_review_before_release_is_held_back_until_reviewed()
    {
        // Row 14: a competent young person's own record, safeguarding (D6) only after a clinician's review.
        var young = Child with { NhsNumber = "9434765919", BirthDate = new DateOnly(2009, 1, 1) };
        var d = ConsentEngine.Decide(new("9434765919", "young-person", null, "own-record", "9434765919", null), young, [], ConsentTestData.Policy, Now);
        Assert.True(d.Permitted, d.Reason);
        Assert.Contains(DataClass.Safeguarding, d.Obligations.ReviewBeforeRelease);
        Assert.True(Withholding.IsWithheld(Labels("D6", "R"), d, ConsentTestData.Policy));
        Assert.False(Withholding.IsWithheld(Labels("D1", "N"), d, ConsentTestData.Policy));
    }

    [Fact]
    public void labels_alone_place_a_resource_in_its_class()
    {
        // A provider's resource labelled third-party, without our data-class tag, is still D5.
        Assert.True(Withholding.IsWithheld(Labels("R", "third-party"), GpDirectCare(), ConsentTestData.Policy));
    }

    [Fact]
    public void an_unlabelled_resource_is_withheld_until_labelled() =>
        Assert.True(Withholding.IsWithheld([], GpDirectCare(), ConsentTestData.Policy));

    [Fact]
    public void a_refusal_withholds_everything() =>
        Assert.True(Withholding.IsWithheld(Labels("D1", "N"), new Hub.Consent.Decisions.Decision(Verdict.Deny, RequesterRole.OtherOrg, "x"), ConsentTestData.Policy));

    [Fact]
    public void masks_follow_the_classes_of_the_resource()
    {
        var d = GpDirectCare();
        Assert.Equal(["current-only"], Withholding.MasksFor(Labels("D4", "R", "PATLOC"), d, ConsentTestData.Policy));
        Assert.Empty(Withholding.MasksFor(Labels("D1", "N"), d, ConsentTestData.Policy));
    }

    [Fact]
    public void release_only_keeps_just_the_named_labels()
    {
        var d = new Hub.Consent.Decisions.Decision(Verdict.PermitWithObligations, RequesterRole.LaPersonalAdviser, "x")
        {
            Obligations = new Obligations { ReleaseOnlyLabels = new HashSet<string> { "N" } },
        };
        Assert.False(Withholding.IsWithheld(Labels("D1", "N"), d, ConsentTestData.Policy));
        Assert.True(Withholding.IsWithheld(Labels("D7", "R"), d, ConsentTestData.Policy));
    }

    [Fact]
    public void audit_lines_name_every_obligation()
    {
        var lines = GpDirectCare().Obligations.Describe().ToList();
        Assert.Equal(["withhold:D5", "mask:D4:current-only", "mask:D6:flag-and-la-contact", "redact-label:ADOL", "redact-label:PRS", "redact-label:V", "suppress-total", "mark-withheld"], lines);
    }
}

/// <summary>The foundation's relationship gate that Hub.Api still calls behaves as before.</summary>
public sealed class AccessRulesTests
{
    static readonly SubjectFacts Child = new("c", "9000000009", "933", "QSL", "A81001", ["QE1"], false);

    [Theory]
    [InlineData("icb", "QE1", null, Verdict.Permit)]
    [InlineData("icb", "QOX", null, Verdict.NotFound)]
    [InlineData("la", "933", "social-worker", Verdict.Permit)]
    [InlineData("admin", "HUB", null, Verdict.Deny)]
    public void relationship_decides(string orgType, string org, string? role, Verdict expected) =>
        Assert.Equal(expected, AccessRules.Decide(new(org, orgType, role, "direct-care", null, null), Child).Verdict);

    [Fact]
    public void sealed_record_is_only_for_the_owning_la()
    {
        var sealedChild = Child with { Sealed = true };
        Assert.Equal(Verdict.NotFound, AccessRules.Decide(new("QE1", "icb", null, "direct-care", null, null), sealedChild).Verdict);
        Assert.True(AccessRules.Decide(new("933", "la", null, "direct-care", null, null), sealedChild).Permitted);
    }
}

/// <summary>Labeller, engine and withholding together, as an enforcement point would chain them.</summary>
public sealed class LabelDecideFilterTests
{
    static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    static readonly SubjectFacts Child = new("c", null, "933", "QSL", "A81001", ["QE1"], false) { LookedAfter = true, BirthDate = new DateOnly(2012, 1, 1) };

    static Resource Labelled(Resource r) { Hub.Consent.Labels.SecurityLabeller.Shipped.Label(r); return r; }

    static readonly Resource ChildProtectionPlan = Labelled(new Condition { Code = new CodeableConcept("http://snomed.info/sct", "1064311000000109") });
    static readonly Resource SubstanceMisuse = Labelled(new Observation { Code = new CodeableConcept("https://fhir.carehub.org.uk/CodeSystem/cla-health", "substance-misuse") });
    static readonly Resource Allergy = Labelled(new AllergyIntolerance { Code = new CodeableConcept { Text = "Peanut" } });

    static Hub.Consent.Decisions.Decision Decide(string org, string orgType, string? role, string purpose) =>
        ConsentEngine.Decide(new(org, orgType, role, purpose, null, null), Child, [], ConsentTestData.Policy, Now);

    [Fact]
    public void social_worker_care_planning_sees_the_cp_plan_but_not_substance_misuse()
    {
        var d = Decide("933", "la", "social-worker", "direct-care");
        Assert.False(Withholding.IsWithheld(ChildProtectionPlan, d, ConsentTestData.Policy));
        Assert.True(Withholding.IsWithheld(SubstanceMisuse, d, ConsentTestData.Policy));
        Assert.Equal(["summary"], Withholding.MasksFor(Allergy.Meta.Security, d, ConsentTestData.Policy));
    }

    [Fact]
    public void responsible_icb_tracking_sees_neither_core_data_nor_the_cp_plan()
    {
        var d = Decide("QSL", "icb", null, "statutory-health-assessment");
        Assert.True(Withholding.IsWithheld(Allergy, d, ConsentTestData.Policy));
        Assert.True(Withholding.IsWithheld(ChildProtectionPlan, d, ConsentTestData.Policy));
    }
}

public sealed class CallerOutcomeTests
{
    [Fact]
    public void a_redacted_permit_looks_like_a_permit_to_the_caller()
    {
        // With an S-flag, even saying "redacted" would disclose; the marking obligation decides what the response says.
        var plain = new Hub.Consent.Decisions.Decision(Verdict.Permit, RequesterRole.GpRegistered, "permitted");
        var redacted = new Hub.Consent.Decisions.Decision(Verdict.PermitWithObligations, RequesterRole.GpRegistered, "permitted");
        Assert.Equal(plain.ForCaller, redacted.ForCaller);
        Assert.Equal(404, new Hub.Consent.Decisions.Decision(Verdict.NotFound, RequesterRole.OtherOrg, "sealed").ForCaller.Status);
        Assert.Equal(403, new Hub.Consent.Decisions.Decision(Verdict.Deny, RequesterRole.Admin, "x").ForCaller.Status);
    }
}
