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
