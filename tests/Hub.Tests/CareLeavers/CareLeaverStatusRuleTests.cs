using Hub.Consent.CareLeavers;
using Hub.Consent.Policy;
using Hub.Consent.Relationships;
using FhirConsent = Hl7.Fhir.Model.Consent;
using Hl7.Fhir.Model;

namespace Hub.Tests.CareLeavers;

/// <summary>The pure rule behind `$identify-care-leavers` and the GP's care-leaver Flag search (contract §7), as a table.</summary>
public sealed class CareLeaverStatusRuleTests
{
    static readonly DateOnly Today = new(2026, 11, 26);

    static HeldRecord Leaver(string id = "p1", int daysLeft = 100, string la = "933") => new(id, false, false, Today.AddDays(daysLeft), la);
    static HeldRecord LookedAfter(string id = "p2") => new(id, false, true, null, "933");
    static HeldRecord Sealed(string id = "p3") => new(id, true, false, null, "933");
    static HeldRecord LeftCare(string id = "p4") => new(id, false, false, null, "933");

    public static TheoryData<string, bool, HeldRecord[], bool, bool, CareLeaverStatus> Cases => new()
    {
        { "an invalid number is invalid, whatever the hub holds", false, [Leaver()], true, false, CareLeaverStatus.Invalid },
        { "a number the hub holds nothing on is not known", true, [], true, false, CareLeaverStatus.NotKnown },
        { "a care leaver registered with the caller", true, [Leaver()], true, false, CareLeaverStatus.CareLeaver },
        { "a looked-after child registered with the caller", true, [LookedAfter()], true, false, CareLeaverStatus.LookedAfter },
        { "a care leaver registered elsewhere is not known", true, [Leaver()], false, false, CareLeaverStatus.NotKnown },
        { "a looked-after child registered elsewhere is not known", true, [LookedAfter()], false, false, CareLeaverStatus.NotKnown },
        { "a care leaver who objected to care-leaver-support is not known", true, [Leaver()], true, true, CareLeaverStatus.NotKnown },
        { "a looked-after child who objected is not known", true, [LookedAfter()], true, true, CareLeaverStatus.NotKnown },
        { "a sealed (adopted) record is not known", true, [Sealed()], true, false, CareLeaverStatus.NotKnown },
        { "a sealed record silences another record of the number", true, [Leaver(), Sealed()], true, false, CareLeaverStatus.NotKnown },
        { "eligibility ending today is over", true, [Leaver(daysLeft: 0)], true, false, CareLeaverStatus.NotKnown },
        { "eligibility ending tomorrow still counts", true, [Leaver(daysLeft: 1)], true, false, CareLeaverStatus.CareLeaver },
        { "a child who left care and is no care leaver is not known", true, [LeftCare()], true, false, CareLeaverStatus.NotKnown },
        { "looked after again wins over an older care-leaver record", true, [Leaver(), LookedAfter()], true, false, CareLeaverStatus.LookedAfter },
    };

    [Theory, MemberData(nameof(Cases))]
    public void status_follows_the_table(string because, bool valid, HeldRecord[] records, bool registered, bool objected, CareLeaverStatus expected) =>
        Assert.True(CareLeaverStatusRule.Of(valid, records, registered, objected, Today).Status == expected, because);

    [Fact]
    public void a_care_leaver_is_eligible_until_the_latest_25th_birthday_held_with_that_LA()
    {
        var answer = CareLeaverStatusRule.Of(true, [Leaver("a", 10, "933"), Leaver("b", 400, "888")], true, false, Today);
        Assert.Equal(CareLeaverStatus.CareLeaver, answer.Status);
        Assert.Equal(Today.AddDays(400), answer.EligibleUntil);
        Assert.Equal("888", answer.LocalAuthority);
        Assert.Equal("b", answer.PatientId);
    }

    [Theory]
    [InlineData(CareLeaverStatus.CareLeaver, "care-leaver")]
    [InlineData(CareLeaverStatus.LookedAfter, "looked-after")]
    [InlineData(CareLeaverStatus.NotKnown, "not-known")]
    [InlineData(CareLeaverStatus.Invalid, "invalid")]
    public void statuses_have_the_contract_codes(CareLeaverStatus status, string code) => Assert.Equal(code, status.Code());

    [Fact]
    public void the_published_CodeSystem_has_exactly_the_statuses_the_operation_answers()
    {
        var path = Path.Combine(Hub.Tests.Ssda903.Ssda903TestFiles.Profiles, "CodeSystem-care-leaver-status.json");
        var published = ((CodeSystem)Hub.Api.Fhir.FhirFormat.ParseJson(File.ReadAllText(path))).Concept.Select(c => c.Code).Order(StringComparer.Ordinal);
        Assert.Equal(Enum.GetValues<CareLeaverStatus>().Select(s => s.Code()).Order(StringComparer.Ordinal), published);
    }

    // --- objections: the consent engine's combination rules, asked for care-leaver-support ---

    static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    static readonly AccessRequest Gp = new("L85001", "gp", null, "direct-care", null, "QSL");

    static SubjectFacts Child(string birthDate) =>
        new("p1", "9000000009", "933", "QSL", "L85001", [], false) { BirthDate = DateOnly.Parse(birthDate, System.Globalization.CultureInfo.InvariantCulture), CareLeaver = true, PersonalAdviserRequested = true };

    static FhirConsent Objection(string performer = "Patient/p1", string purpose = "care-leaver-support", string? actor = null,
        FhirConsent.ConsentState status = FhirConsent.ConsentState.Active, string recorded = "2026-01-05T10:00:00Z",
        FhirConsent.ConsentProvisionType type = FhirConsent.ConsentProvisionType.Deny) => new()
    {
        Id = Guid.NewGuid().ToString("N"),
        Status = status,
        Patient = new ResourceReference("Patient/p1"),
        DateTime = recorded,
        Performer = [new ResourceReference(performer)],
        Provision = new FhirConsent.provisionComponent
        {
            Type = type,
            Purpose = [new Coding("https://fhir.carehub.org.uk/CodeSystem/purpose-of-use", purpose)],
            Actor = actor is null ? [] : [new FhirConsent.provisionActorComponent { Reference = new ResourceReference("Organization/" + actor) }],
        },
    };

    static bool Objected(SubjectFacts child, params FhirConsent[] consents) =>
        CareLeaverStatusRule.AskedNotToBeIdentified(consents, Gp, child, ConsentPolicy.Shipped, Now).Count > 0;

    [Fact]
    public void an_adult_care_leavers_active_refusal_of_care_leaver_support_is_an_objection() =>
        Assert.True(Objected(Child("2006-06-01"), Objection()));

    [Fact]
    public void a_refusal_of_another_purpose_is_no_objection() =>
        Assert.False(Objected(Child("2006-06-01"), Objection(purpose: "direct-care")));

    [Fact]
    public void an_inactive_refusal_is_no_objection() =>
        Assert.False(Objected(Child("2006-06-01"), Objection(status: FhirConsent.ConsentState.Inactive)));

    [Fact]
    public void a_refusal_aimed_at_another_organisation_is_no_objection_to_this_practice() =>
        Assert.False(Objected(Child("2006-06-01"), Objection(actor: "888")));

    [Fact]
    public void a_refusal_naming_this_practice_is_an_objection() =>
        Assert.True(Objected(Child("2006-06-01"), Objection(actor: "L85001")));

    [Fact]
    public void a_later_permit_by_the_same_young_person_withdraws_the_objection() =>
        Assert.False(Objected(Child("2006-06-01"), Objection(), Objection(recorded: "2026-03-01T10:00:00Z", type: FhirConsent.ConsentProvisionType.Permit)));

    [Fact]
    public void someone_without_consent_authority_cannot_object_for_an_adult() =>
        Assert.False(Objected(Child("2006-06-01"), Objection(performer: "Organization/933")));

    [Fact]
    public void no_consents_no_objection() => Assert.False(Objected(Child("2006-06-01")));
}
