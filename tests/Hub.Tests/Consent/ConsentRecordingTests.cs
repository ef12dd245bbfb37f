using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hub.Consent.Consents;
using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;
using FhirConsent = Hl7.Fhir.Model.Consent;

namespace Hub.Tests.Consent;

/// <summary>"May this caller record this Consent?" — the write path's check (§3.4 and decisions.md).</summary>
public sealed class ConsentRecordingTests
{
    static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    static SubjectFacts Child(string birth = "2009-03-01", LegalStatus status = LegalStatus.CareOrder) =>
        new("child-1", "9000000009", "933", "QSL", "A81001", ["QE1"], false)
        {
            BirthDate = DateOnly.Parse(birth), LegalStatus = status, LookedAfter = true,
            ResponsiblePersons = [new("RelatedPerson/mum", ConsentAuthority.Parent)],
        };

    static readonly AccessRequest YoungPerson = new("9000000009", "young-person", null, "own-record", "9000000009", null);
    static readonly AccessRequest SocialWorker = new("933", "la", "social-worker", "direct-care", null, null);
    static readonly AccessRequest Gp = new("A81001", "gp", null, "direct-care", null, null);
    static readonly AccessRequest HostIcb = new("QE1", "icb", null, "direct-care", null, null);

    static FhirConsent Objection(string performer = "Patient/child-1", string json = "") =>
        ConsentTestData.Consent(JsonNode.Parse(json.Length > 0 ? json :
            $$"""{"id":"x","performer":"{{performer}}","dateTime":"2026-05-01T10:00:00Z","type":"permit","purpose":["direct-care"],"provisions":[{"type":"deny","actor":["QE1"]}]}""")!, "child-1");

    [Fact]
    public void a_sixteen_year_old_records_their_own_objection() =>
        Assert.True(ConsentRecording.MayRecord(YoungPerson, Child(), Objection(), ConsentTestData.Policy, Now).Allowed);

    [Fact]
    public void the_profile_example_objection_may_be_recorded_by_the_young_person()
    {
        var example = ConsentTestData.Consent(JsonNode.Parse("""{"file":"fhir-profiles/examples/Consent-example-objection-to-host-icb.json"}""")!, "");
        var child = Child() with { PatientId = "example-somerset-child" };
        var check = ConsentRecording.MayRecord(YoungPerson, child, example, ConsentTestData.Policy, new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Empty(check.Problems);
        Assert.Equal(ConsentAuthority.YoungPerson, check.Performer);
    }

    [Fact]
    public void a_twelve_year_old_not_assessed_competent_holds_no_consent_authority()
    {
        var check = ConsentRecording.MayRecord(YoungPerson, Child("2014-01-01"), Objection(), ConsentTestData.Policy, Now);
        Assert.Contains(check.Problems, p => p.Contains("holds no consent authority", StringComparison.Ordinal));
    }

    [Fact]
    public void a_young_persons_clinician_records_it_on_their_behalf() =>
        Assert.True(ConsentRecording.MayRecord(Gp, Child(), Objection(), ConsentTestData.Policy, Now).Allowed);

    [Fact]
    public void a_host_icb_may_not_record_consents() =>
        Assert.Contains(ConsentRecording.MayRecord(HostIcb, Child(), Objection(), ConsentTestData.Policy, Now).Problems,
            p => p.Contains("may not record", StringComparison.Ordinal));

    [Fact]
    public void the_la_records_a_parents_consent_under_s20() =>
        Assert.True(ConsentRecording.MayRecord(SocialWorker, Child("2016-01-01", LegalStatus.Section20), Objection("RelatedPerson/mum"), ConsentTestData.Policy, Now).Allowed);

    [Fact]
    public void the_la_cannot_consent_itself_under_s20() =>
        Assert.Contains(ConsentRecording.MayRecord(SocialWorker, Child("2016-01-01", LegalStatus.Section20), Objection("Organization/933"), ConsentTestData.Policy, Now).Problems,
            p => p.Contains("holds no consent authority", StringComparison.Ordinal));

    [Fact]
    public void the_la_consents_under_a_care_order() =>
        Assert.True(ConsentRecording.MayRecord(SocialWorker, Child("2016-01-01"), Objection("Organization/933"), ConsentTestData.Policy, Now).Allowed);

    [Fact]
    public void a_young_person_cannot_record_a_consent_in_someone_elses_name() =>
        Assert.Contains(ConsentRecording.MayRecord(YoungPerson, Child(), Objection("RelatedPerson/mum"), ConsentTestData.Policy, Now).Problems,
            p => p.Contains("only Consents they give themselves", StringComparison.Ordinal));

    [Fact]
    public void a_period_that_ends_before_it_starts_is_rejected()
    {
        var c = Objection(json: """{"id":"x","performer":"Patient/child-1","dateTime":"2026-05-01T10:00:00Z","type":"deny","period":{"start":"2026-05-02","end":"2026-05-01"}}""");
        Assert.Contains(ConsentRecording.MayRecord(YoungPerson, Child(), c, ConsentTestData.Policy, Now).Problems, p => p == "Consent.provision.period ends before it starts");
    }

    [Fact]
    public void a_one_day_period_is_accepted()
    {
        var c = Objection(json: """{"id":"x","performer":"Patient/child-1","dateTime":"2026-05-01T10:00:00Z","type":"deny","period":{"start":"2026-05-01T09:00:00Z","end":"2026-05-01"}}""");
        Assert.Empty(ConsentRecording.MayRecord(YoungPerson, Child(), c, ConsentTestData.Policy, Now).Problems);
    }

    [Fact]
    public void a_third_level_of_nesting_is_rejected()
    {
        var c = Objection(json: """{"id":"x","performer":"Patient/child-1","dateTime":"2026-05-01T10:00:00Z","type":"permit","provisions":[{"type":"deny","actor":["QE1"],"provisions":[{"type":"permit","actor":["QE1"]}]}]}""");
        Assert.Contains(ConsentRecording.MayRecord(YoungPerson, Child(), c, ConsentTestData.Policy, Now).Problems, p => p.Contains("at most one level", StringComparison.Ordinal));
    }

    [Fact]
    public void an_actor_that_names_no_known_kind_of_recipient_is_rejected()
    {
        var c = Objection();
        c.Provision.Provision[0].Actor[0].Reference = new ResourceReference("Basic/someone");
        Assert.Contains(ConsentRecording.MayRecord(YoungPerson, Child(), c, ConsentTestData.Policy, Now).Problems, p => p.Contains("actor[0] names no known kind", StringComparison.Ordinal));
    }

    [Fact]
    public void an_unknown_purpose_and_label_are_rejected()
    {
        var c = Objection();
        c.Provision.Purpose = [new Coding(LabelSystems.PurposeOfUse, "marketing")];
        c.Provision.Provision[0].SecurityLabel = [new Coding(LabelSystems.ActCode, "NOTALABEL")];
        var problems = ConsentRecording.MayRecord(YoungPerson, Child(), c, ConsentTestData.Policy, Now).Problems;
        Assert.Contains(problems, p => p.Contains("purpose-of-use|marketing is not a purpose", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("securityLabel NOTALABEL", StringComparison.Ordinal));
    }

    [Fact]
    public void a_consent_dated_in_the_future_or_for_another_child_is_rejected()
    {
        var c = Objection();
        c.DateTime = "2027-01-01T00:00:00Z";
        c.Patient = new ResourceReference("Patient/someone-else");
        var problems = ConsentRecording.MayRecord(YoungPerson, Child(), c, ConsentTestData.Policy, Now).Problems;
        Assert.Contains("Consent.dateTime is in the future", problems);
        Assert.Contains("Consent.patient is not this child", problems);
    }
}

/// <summary>
/// The write path's answers in detail: which element and rule each problem names, which problems are the caller's
/// (403) and which the Consent's (422), exceptions that can never apply, PR holders and legal status as facts.
/// </summary>
public sealed class ConsentRecordingIssueTests
{
    static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    static SubjectFacts Child(string birth = "2009-03-01", LegalStatus status = LegalStatus.CareOrder) =>
        new("child-1", "9000000009", "933", "QSL", "A81001", ["QE1"], false)
        {
            BirthDate = DateOnly.Parse(birth), LegalStatus = status, LookedAfter = true,
            ResponsiblePersons = [new("RelatedPerson/mum", ConsentAuthority.Parent)],
        };

    static readonly AccessRequest YoungPerson = new("9000000009", "young-person", null, "own-record", "9000000009", null);
    static readonly AccessRequest SocialWorker = new("933", "la", "social-worker", "direct-care", null, null);
    static readonly AccessRequest HostProvider = new("RXN", "provider", null, "direct-care", null, "QE1");

    static FhirConsent Consent(string json) => ConsentTestData.Consent(JsonNode.Parse(json)!, "child-1");

    const string Head = """ "id":"x","performer":"Patient/child-1","dateTime":"2026-05-01T10:00:00Z" """;

    static IReadOnlyList<RecordingIssue> Content(string json) => ConsentRecording.ContentIssues(Consent("{" + Head + "," + json + "}"), ConsentTestData.Policy, Now);

    [Fact]
    public void an_exception_that_repeats_the_base_decision_is_impossible_unless_the_base_is_label_scoped()
    {
        var issue = Assert.Single(Content(""" "type":"permit","provisions":[{"type":"permit","actor":["QE1"]}] """));
        Assert.Equal(("Consent.provision.provision[0].type", RecordingIssueKind.Impossible), (issue.Expression, issue.Kind));
        // "Only SEX" for everyone, and for QE1 MH as well: a same-typed exception with a real meaning.
        Assert.Empty(Content(""" "type":"permit","labels":["SEX"],"provisions":[{"type":"permit","actor":["QE1"],"labels":["MH"]}] """));
    }

    [Fact]
    public void an_exception_outside_the_base_purposes_never_applies_and_is_rejected()
    {
        var issue = Assert.Single(Content(""" "type":"permit","purpose":["direct-care"],"provisions":[{"type":"deny","purpose":["safeguarding"]}] """));
        Assert.Equal("Consent.provision.provision[0].purpose[0]", issue.Expression);
        Assert.Contains("never applies", issue.Text);
        Assert.Empty(Content(""" "type":"permit","purpose":["direct-care","safeguarding"],"provisions":[{"type":"deny","purpose":["safeguarding"]}] """));
    }

    [Fact]
    public void a_v3_purpose_in_an_exception_matches_the_base_by_meaning()
    {
        var c = Consent("{" + Head + """ ,"type":"permit","purpose":["direct-care"],"provisions":[{"type":"deny","actor":["QE1"]}] }""");
        c.Provision.Provision[0].Purpose = [new Coding(LabelSystems.ActReason, "TREAT")];
        Assert.Empty(ConsentRecording.ContentIssues(c, ConsentTestData.Policy, Now));
        c.Provision.Provision[0].Purpose = [new Coding(LabelSystems.ActReason, "PERFMSR")];
        Assert.Contains(ConsentRecording.ContentIssues(c, ConsentTestData.Policy, Now), i => i.Expression == "Consent.provision.provision[0].purpose[0]");
    }

    [Fact]
    public void an_exception_whose_period_lies_outside_the_base_period_is_rejected()
    {
        var c = Consent("{" + Head + """ ,"type":"permit","period":{"start":"2026-01-01","end":"2026-12-31"},"provisions":[{"type":"deny","actor":["QE1"]}] }""");
        c.Provision.Provision[0].Period = new Period { Start = "2027-01-01" };
        Assert.Contains(ConsentRecording.ContentIssues(c, ConsentTestData.Policy, Now), i => i.Expression == "Consent.provision.provision[0].period");
        c.Provision.Provision[0].Period = new Period { Start = "2026-12-31" }; // the last day still overlaps
        Assert.Empty(ConsentRecording.ContentIssues(c, ConsentTestData.Policy, Now));
    }

    [Fact]
    public void two_exceptions_with_the_same_scope_and_opposite_decisions_contradict()
    {
        var issues = Content(""" "type":"permit","labels":["SEX"],"provisions":[{"type":"deny","actor":["QE1"],"labels":["MH"]},{"type":"permit","actor":["QE1"],"labels":["MH"]}] """);
        Assert.Contains(issues, i => i.Expression == "Consent.provision.provision[1].type" && i.Text.Contains("contradicts Consent.provision.provision[0]"));
        Assert.Empty(Content(""" "type":"permit","labels":["SEX"],"provisions":[{"type":"deny","actor":["QE1"],"labels":["MH"]},{"type":"permit","actor":["QSL"],"labels":["MH"]}] """));
    }

    [Fact]
    public void a_root_without_a_type_and_a_label_in_the_wrong_system_are_named()
    {
        var c = Consent("{" + Head + """ ,"type":"deny","labels":["SEX"]}""");
        c.Provision.Type = null;
        c.Provision.SecurityLabel[0].System = LabelSystems.Confidentiality;
        var issues = ConsentRecording.ContentIssues(c, ConsentTestData.Policy, Now);
        Assert.Contains(issues, i => i.Expression == "Consent.provision.type" && i.Kind == RecordingIssueKind.Impossible);
        Assert.Contains(issues, i => i.Expression == "Consent.provision.securityLabel[0]" && i.Kind == RecordingIssueKind.UnknownCode);
    }

    [Fact]
    public void an_actor_organisation_outside_the_reference_data_is_an_unknown_actor()
    {
        var c = Consent("{" + Head + """ ,"type":"permit","provisions":[{"type":"deny","actor":["QE1","ZZZ99"]}] }""");
        var issue = Assert.Single(ConsentRecording.ActorIssues(c, code => code == "QE1"));
        Assert.Equal(("Consent.provision.provision[0].actor[1].reference", RecordingIssueKind.UnknownReference), (issue.Expression, issue.Kind));
        Assert.Empty(ConsentRecording.ActorIssues(c, _ => true));
    }

    [Fact]
    public void a_caller_with_no_recording_rule_is_refused_as_a_caller_not_for_the_consent()
    {
        var c = Consent("{" + Head + """ ,"type":"permit","provisions":[{"type":"deny","actor":["QE1"]}] }""");
        var check = ConsentRecording.MayRecord(HostProvider, Child(), c, ConsentTestData.Policy, Now);
        Assert.True(check.CallerNotEntitled);
        Assert.All(check.Issues, i => Assert.Equal(RecordingIssueKind.NotEntitled, i.Kind));
        Assert.False(ConsentRecording.MayRecord(YoungPerson, Child(), c, ConsentTestData.Policy, Now).CallerNotEntitled);
    }

    [Fact]
    public void a_performer_who_is_no_recorded_pr_holder_is_a_problem_with_the_consent_not_the_caller()
    {
        var c = Consent("{" + Head.Replace("Patient/child-1", "RelatedPerson/aunt") + """ ,"type":"permit","provisions":[{"type":"deny","actor":["QE1"]}] }""");
        var check = ConsentRecording.MayRecord(SocialWorker, Child("2016-01-01", LegalStatus.Section20), c, ConsentTestData.Policy, Now);
        var issue = Assert.Single(check.Issues);
        Assert.Equal(("Consent.performer[0]", RecordingIssueKind.UnknownReference), (issue.Expression, issue.Kind));
        Assert.False(check.CallerNotEntitled);
    }

    [Fact]
    public void a_care_leaver_records_for_themselves_and_the_la_no_longer_can()
    {
        var leaver = Child("2007-01-01", LegalStatus.None) with { LookedAfter = false, CareLeaver = true };
        var own = Consent("{" + Head + """ ,"type":"deny","provisions":[{"type":"permit","actor":["933"]}] }""");
        Assert.True(ConsentRecording.MayRecord(YoungPerson, leaver, own, ConsentTestData.Policy, Now).Allowed);
        var byLa = Consent("{" + Head.Replace("Patient/child-1", "Organization/933") + """ ,"type":"deny","provisions":[{"type":"permit","actor":["933"]}] }""");
        Assert.True(ConsentRecording.MayRecord(SocialWorker, leaver, byLa, ConsentTestData.Policy, Now).CallerNotEntitled);
    }

    static RelatedPerson Person(string id, string code, string patient = "Patient/child-1", bool active = true) => new()
    {
        Id = id, Active = active, Patient = new ResourceReference(patient),
        Relationship = [new CodeableConcept(ParentalResponsibility.RoleCodeSystem, code)],
    };

    [Fact]
    public void parents_and_guardians_of_this_child_hold_pr_and_others_do_not()
    {
        var holders = ParentalResponsibility.HoldersAmong([
            Person("mum", "MTH"), Person("guardian", "GUARD"), Person("gran", "GRMTH"),
            Person("other-mum", "MTH", patient: "Patient/child-2"), Person("former", "FTH", active: false),
        ], "child-1");
        Assert.Equal(["RelatedPerson/guardian", "RelatedPerson/mum"], holders.Select(h => h.Reference).Order());
        Assert.All(holders, h => Assert.Equal(ConsentAuthority.Parent, h.Authority));
    }

    static EpisodeOfCare Episode(string start, string? end, string ls) => new()
    {
        Period = new Period { Start = start, End = end },
        Extension = [new Extension(Hub.Mappers.Ssda903.Mapping.Cla.Extension("cla-legal-status"), new Coding(Hub.Mappers.Ssda903.Mapping.Cla.Ssda903("legal-status"), ls))],
    };

    [Fact]
    public void the_legal_status_is_the_open_episodes()
    {
        Assert.Equal(LegalStatus.Section20, Hub.Api.Access.Relationships.LegalStatusNow([Episode("2022-01-01", "2023-01-01", "C2"), Episode("2023-01-02", null, "V2")]));
        Assert.Equal(LegalStatus.None, Hub.Api.Access.Relationships.LegalStatusNow([Episode("2022-01-01", "2023-01-01", "C2")]));
    }
}

/// <summary>Reading Consents that are malformed or timed: never a crash, never in force by accident.</summary>
public sealed class ConsentReadingTests
{
    static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    static FhirConsent Deny(string dateTime, string? start = null, string? end = null) => new()
    {
        Id = "x", Status = FhirConsent.ConsentState.Active, DateTime = dateTime, Performer = [new ResourceReference("Patient/child-1")],
        Provision = new FhirConsent.provisionComponent { Type = FhirConsent.ConsentProvisionType.Deny, Period = start is null && end is null ? null : new Period { Start = start, End = end } },
    };

    [Theory]
    [InlineData("2026-05-01T10:00:00Z", null, null, true)]
    [InlineData("2026-07-01T10:00:00Z", null, null, false)]   // recorded after now
    [InlineData("not a date", null, null, false)]
    [InlineData("2026-05-01", "2026-06-01", "2026-06-01", true)]   // a one-day period covers that whole day
    [InlineData("2026-05-01", "2026-06-02", null, false)]
    [InlineData("2026-05-01", null, "2026-05-31", false)]
    [InlineData("2026-05-01", "garbage", null, false)]
    [InlineData("2026", "2026", "2026", true)]
    public void in_force(string dateTime, string? start, string? end, bool expected) =>
        Assert.Equal(expected, ConsentEffects.InForce(Deny(dateTime, start, end), Now));
}
