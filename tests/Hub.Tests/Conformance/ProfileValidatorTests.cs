using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hub.Api.Conformance;

namespace Hub.Tests.Conformance;

/// <summary>One validator for the whole class: building it loads the FHIR specification (seconds).</summary>
public sealed class ProfileValidatorFixture : IAsyncLifetime
{
    public static string ProfilesFolder => Path.Combine(AppContext.BaseDirectory, "fhir-profiles");

    public ProfileValidator Validator { get; } = new(ProfilesFolder);

    public System.Threading.Tasks.Task InitializeAsync() => Validator.WarmUpAsync();

    public System.Threading.Tasks.Task DisposeAsync() => System.Threading.Tasks.Task.CompletedTask;
}

public sealed class ProfileValidatorTests(ProfileValidatorFixture fixture) : IClassFixture<ProfileValidatorFixture>
{
    private const string ClaPatient = "https://fhir.carehub.org.uk/StructureDefinition/CLAPatient";
    private const string LaChildPatient = """
        {"resourceType":"Patient","identifier":[{"system":"https://fhir.carehub.org.uk/Id/la-child-id/933","value":"b1"}],
         "gender":"male","birthDate":"2011-03-04","managingOrganization":{"reference":"Organization/933"}}
        """;

    private static readonly JsonSerializerOptions Fhir = new JsonSerializerOptions().ForFhir();

    private readonly ProfileValidator _validator = fixture.Validator;

    private static Resource Parse(string json) => JsonSerializer.Deserialize<Resource>(json, Fhir)!;

    // Keeps what the strict parser would refuse (unknown elements, missing required ones), as a lenient inbound path might.
    private static Resource ParseLeniently(string json)
    {
        FhirJsonDeserializer.RECOVERABLE.TryDeserializeResource(json, out var resource, out _);
        return resource!;
    }

    private static IEnumerable<OperationOutcome.IssueComponent> Errors(OperationOutcome outcome) =>
        outcome.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);

    private static string Text(OperationOutcome.IssueComponent issue) => issue.Details?.Text ?? issue.Diagnostics ?? "";

    private static string Describe(OperationOutcome outcome) =>
        string.Join(Environment.NewLine, outcome.Issue.Select(i => $"{i.Severity} {string.Join(",", i.Expression)}: {Text(i)}"));

    [Fact]
    public void patient_type_is_held_to_the_cla_patient_profile()
    {
        Assert.Equal(ClaPatient, _validator.ProfileFor["Patient"]);
    }

    [Fact]
    public void la_child_without_meta_profile_is_a_valid_cla_patient()
    {
        var outcome = _validator.Validate(Parse(LaChildPatient));

        Assert.True(outcome.Success, Describe(outcome));
        Assert.Empty(outcome.Issue);
    }

    [Fact]
    public void patient_with_a_ten_digit_nhs_number_is_valid()
    {
        var outcome = _validator.Validate(Parse("""
            {"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"birthDate":"2011-03-04"}
            """));

        Assert.True(outcome.Success, Describe(outcome));
    }

    [Fact]
    public void patient_without_birth_date_fails_the_profile_cardinality()
    {
        var outcome = _validator.Validate(Parse(LaChildPatient.Replace("\"birthDate\":\"2011-03-04\",", "")));

        var error = Assert.Single(Errors(outcome));
        Assert.Contains("'birthDate'", Text(error)); // the issue's expression is the parent, "Patient"
        Assert.Contains(ClaPatient, error.Diagnostics); // "ElementDefinition trace: Patient(…CLAPatient)"
    }

    [Fact]
    public void nhs_number_that_is_not_ten_digits_fails_cla_pat_1()
    {
        var outcome = _validator.Validate(Parse("""
            {"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"123"}],"birthDate":"2011-03-04"}
            """));

        var error = Assert.Single(Errors(outcome));
        Assert.Contains("cla-pat-1", Text(error));
        Assert.Equal("Patient.identifier[0]", Assert.Single(error.Expression));
    }

    [Fact]
    public void patient_with_neither_nhs_number_nor_la_child_id_fails_cla_pat_2()
    {
        var outcome = _validator.Validate(Parse("""
            {"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.3","value":"x"}],"birthDate":"2011-03-04"}
            """));

        Assert.Contains(Errors(outcome), i => Text(i).Contains("cla-pat-2"));
    }

    [Fact]
    public void unknown_element_is_refused_by_the_parser_and_named_by_the_validator()
    {
        const string json = """
            {"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
             "birthDate":"2011-03-04","favouriteColour":"blue"}
            """;

        Assert.ThrowsAny<Exception>(() => Parse(json));

        var outcome = _validator.Validate(ParseLeniently(json));
        Assert.Contains(Errors(outcome), i => Text(i).Contains("favouriteColour"));
    }

    [Fact]
    public void observation_without_status_and_code_fails_core_validation()
    {
        var outcome = _validator.Validate(new Observation { Subject = new ResourceReference("Patient/1") });

        var messages = Errors(outcome).Select(Text).ToList();
        Assert.Equal(2, messages.Count);
        Assert.Contains(messages, m => m.Contains("'status'"));
        Assert.Contains(messages, m => m.Contains("'code'"));
    }

    [Fact]
    public void required_binding_to_a_core_value_set_is_checked_offline()
    {
        var outcome = _validator.Validate(ParseLeniently("""{"resourceType":"Observation","status":"done","code":{"text":"weight"}}"""));

        Assert.Contains(Errors(outcome), i => Text(i).Contains("'done'") && Text(i).Contains("observation-status"));
    }

    [Fact]
    public void declared_profile_the_hub_does_not_know_is_reported_and_not_checked()
    {
        var outcome = _validator.Validate(Parse("""
            {"resourceType":"Patient","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},
             "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"birthDate":"2011-03-04"}
            """));

        Assert.True(outcome.Success, Describe(outcome));
        var note = Assert.Single(outcome.Issue);
        Assert.Equal(OperationOutcome.IssueSeverity.Information, note.Severity);
        Assert.Contains("UKCore-Patient", note.Diagnostics);
    }

    [Fact]
    public void declared_core_profile_is_checked_as_well()
    {
        var outcome = _validator.Validate(Parse("""
            {"resourceType":"Observation","meta":{"profile":["http://hl7.org/fhir/StructureDefinition/vitalsigns"]},"status":"final","code":{"text":"weight"}}
            """));

        Assert.Contains(Errors(outcome), i => Text(i).Contains("'category'") && i.Diagnostics?.Contains("vitalsigns") == true);
    }

    [Fact]
    public void patient_inside_a_bundle_is_held_to_cla_patient()
    {
        var outcome = _validator.Validate(ParseLeniently("""
            {"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:6b2f7b3c-6a8b-4a0e-9f9e-1c2d3e4f5a6b",
             "resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"12"}]},
             "request":{"method":"POST","url":"Patient"}}]}
            """));

        var errors = Errors(outcome).ToList();
        Assert.Contains(errors, i => Text(i).Contains("cla-pat-1") && i.Expression.Single() == "Bundle.entry[0].resource[0].identifier[0]");
        Assert.Contains(errors, i => Text(i).Contains("birthDate"));
    }

    [Fact]
    public void concurrent_validations_agree_with_sequential_ones()
    {
        var inputs = new[]
        {
            Parse(LaChildPatient),
            Parse("""{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"123"}],"birthDate":"2011-03-04"}"""),
            new Observation { Subject = new ResourceReference("Patient/1") },
        };
        var expected = inputs.Select(r => _validator.Validate(r).Issue.Count).ToArray();

        var mismatches = 0;
        Parallel.For(0, 600, i =>
        {
            if (_validator.Validate(inputs[i % inputs.Length]).Issue.Count != expected[i % inputs.Length])
                Interlocked.Increment(ref mismatches);
        });

        Assert.Equal(0, mismatches);
    }

    public static TheoryData<string> Artifacts() =>
        [.. Directory.GetFiles(ProfileValidatorFixture.ProfilesFolder, "*.json")
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => name != "package.json")
            .Order()];

    [Theory]
    [MemberData(nameof(Artifacts))]
    public void every_artifact_in_fhir_profiles_is_valid_r4(string file)
    {
        var outcome = _validator.Validate(Parse(File.ReadAllText(Path.Combine(ProfileValidatorFixture.ProfilesFolder, file))));

        Assert.True(outcome.Success, Describe(outcome));
    }
}
