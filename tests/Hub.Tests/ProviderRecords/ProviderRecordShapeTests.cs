using System.Text.Json;
using Hl7.Fhir.Model;
using Hub.Api.Conformance;
using Hub.Api.Fhir;
using Hub.Mappers.ProviderRecords;
using Hub.Tests.Conformance;
using Hub.Tests.Ssda903;

namespace Hub.Tests.ProviderRecords;

/// <summary>
/// The pure provider-record mappers: a provider's record as the hub keeps it, and a submission's Provenance, against
/// golden files (tests/Hub.Tests/ProviderRecords/Golden, UPDATE_GOLDEN=1 rewrites) and the profiles.
/// </summary>
public sealed class ProviderRecordShapeTests(ProfileValidatorFixture fixture) : IClassFixture<ProfileValidatorFixture>
{
    static string Golden(string name) => Path.Combine(Ssda903TestFiles.RepoRoot, "tests", "Hub.Tests", "ProviderRecords", "Golden", name + ".json");

    static string Pretty(Resource r) =>
        JsonSerializer.Serialize(JsonDocument.Parse(FhirFormat.SerializeToString(r)).RootElement, new JsonSerializerOptions { WriteIndented = true }) + "\n";

    const string Claha = "https://fhir.carehub.org.uk/StructureDefinition/CLAHealthAssessment";

    static Encounter Assessment() => new()
    {
        Id = "e1",
        Meta = new Meta { Profile = ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Encounter"] },
        Identifier = [new Identifier("https://rxn.example.nhs.uk/Id/record", "IHA-1")],
        Status = Encounter.EncounterStatus.Finished,
        Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory"),
        Type =
        [
            new CodeableConcept("https://fhir.carehub.org.uk/CodeSystem/cla-health", "initial-health-assessment", "Initial health assessment"),
            new CodeableConcept("http://snomed.info/sct", "185389009", "Follow-up visit"),
        ],
        Subject = new ResourceReference("Patient/child-1"),
        Period = new Period { Start = "2025-09-15", End = "2025-09-15" },
    };

    [Fact]
    public void an_assessment_keeps_what_the_provider_sent_and_gains_the_CLA_profile_its_performer_and_the_childs_NHS_number()
    {
        var e = Assessment();
        ProviderRecordShape.Normalise(e, "RXN", Claha, "9434765919");
        Ssda903TestFiles.AssertGolden(Golden("assessment"), Pretty(e));
        Assert.DoesNotContain(fixture.Validator.Validate(e).Issue, i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);
    }

    [Fact]
    public void shaping_twice_changes_nothing_more_and_a_named_performer_is_never_replaced()
    {
        var once = Assessment();
        once.ServiceProvider = new ResourceReference("Organization/RH5");
        ProviderRecordShape.Normalise(once, "RXN", Claha, "9434765919");
        var twice = (Encounter)once.DeepCopy();
        ProviderRecordShape.Normalise(twice, "RXN", Claha, "9434765919");
        Assert.True(once.IsExactly(twice));
        Assert.Equal("Organization/RH5", twice.ServiceProvider.Reference);
        Assert.Equal(2, twice.Meta.Profile.Count());
    }

    [Fact]
    public void an_encounter_that_is_no_assessment_gets_no_performer_and_no_CLA_profile()
    {
        var visit = Assessment();
        visit.Type = [new CodeableConcept("http://snomed.info/sct", "185389009", "Follow-up visit")];
        ProviderRecordShape.Normalise(visit, "RXN", claProfile: null, childNhsNumber: null);
        Assert.Null(visit.ServiceProvider);
        Assert.Equal(["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Encounter"], visit.Meta.Profile);
        Assert.Null(visit.Subject.Identifier);
    }

    [Fact]
    public void a_submissions_Provenance_names_the_sender_the_versions_written_and_the_child()
    {
        var provenance = SubmissionProvenance.For("child-1",
            [new WrittenRecord("Encounter/e1/_history/1", Created: true), new WrittenRecord("Immunization/i1/_history/3", Created: false)],
            "RXN", "provider", new DateTimeOffset(2026, 11, 26, 9, 30, 0, TimeSpan.Zero), new Identifier("https://rxn.example.nhs.uk/Id/submission", "S-42"));
        provenance.Id = "p1";
        Ssda903TestFiles.AssertGolden(Golden("provenance"), Pretty(provenance));
        Assert.DoesNotContain(fixture.Validator.Validate(provenance).Issue, i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);
        var update = SubmissionProvenance.For("child-1", [new WrittenRecord("Immunization/i1/_history/4", Created: false)], "RXN", "provider", DateTimeOffset.UnixEpoch, null);
        Assert.Equal("UPDATE", update.Activity.Coding[0].Code);
        Assert.Empty(update.Entity);
        Assert.Throws<ArgumentException>(() => SubmissionProvenance.For("child-1", [], "RXN", "provider", DateTimeOffset.UnixEpoch, null));
    }
}
