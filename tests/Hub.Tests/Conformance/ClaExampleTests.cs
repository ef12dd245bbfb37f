using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hub.Api.Conformance;

namespace Hub.Tests.Conformance;

/// <summary>
/// Issue 3 §2: every example in fhir-profiles/examples passes its profile, and targeted mutations of each example
/// fail with the issue they should: the constraint key, or the element (slice) that the cardinality, fixed value,
/// pattern or binding is on.
/// </summary>
public sealed partial class ClaExampleTests(ProfileValidatorFixture fixture) : IClassFixture<ProfileValidatorFixture>
{
    private const string Cs = "https://fhir.carehub.org.uk/CodeSystem/";
    private static readonly JsonSerializerOptions Fhir = new JsonSerializerOptions().ForFhir();
    private readonly ProfileValidator _validator = fixture.Validator;

    public static string ExamplesFolder => Path.Combine(ProfileValidatorFixture.ProfilesFolder, "examples");

    public static TheoryData<string> Examples() =>
        [.. Directory.GetFiles(ExamplesFolder, "*.json").Select(Path.GetFileName).OfType<string>().Order()];

    [Theory]
    [MemberData(nameof(Examples))]
    public void every_example_is_valid_against_its_profile_without_warnings(string file)
    {
        var resource = JsonSerializer.Deserialize<Resource>(File.ReadAllText(Path.Combine(ExamplesFolder, file)), Fhir)!; // strict parse
        Assert.Equal($"{resource.TypeName}-{resource.Id}.json", file);
        var profile = Assert.Single(resource.Meta.Profile);
        Assert.StartsWith("https://fhir.carehub.org.uk/StructureDefinition/CLA", profile);

        var outcome = _validator.Validate(resource);

        Assert.True(outcome.Success, Describe(outcome));
        Assert.DoesNotContain(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Warning);
    }

    [Fact]
    public void every_cla_profile_has_an_example()
    {
        var profiled = Directory.GetFiles(ExamplesFolder, "*.json")
            .SelectMany(f => JsonNode.Parse(File.ReadAllText(f))!["meta"]!["profile"]!.AsArray().Select(p => (string)p!))
            .ToHashSet();
        var profiles = Directory.GetFiles(ProfileValidatorFixture.ProfilesFolder, "StructureDefinition-CLA*.json")
            .Select(f => (string)JsonNode.Parse(File.ReadAllText(f))!["url"]!)
            .ToList();

        Assert.Equal(9, profiles.Count);
        Assert.All(profiles, p => Assert.Contains(p, profiled));
    }

    /// <summary>A mutation: which example, what to change, and what the validator must then say.</summary>
    private sealed record Mutation(string Example, Action<JsonObject> Change, params string[] Expected);

    private static readonly Dictionary<string, Mutation> Mutations = new()
    {
        // CLAPatient
        ["patient without birth date"] = new("Patient-example-somerset-child.json", j => Remove(j, "birthDate"), "'birthDate'"),
        ["nhs number failing modulus 11"] = new("Patient-example-somerset-child.json", j => Set(j, "identifier[1].value", "9990001007"), "cla-pat-3"),
        ["nhs number of nine digits"] = new("Patient-example-somerset-child.json", j => Set(j, "identifier[1].value", "999000100"), "cla-pat-1"),
        ["two nhs numbers"] = new("Patient-example-somerset-child.json", j => j["identifier"]!.AsArray().Add(Node("""{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990001375"}""")), "slice nhsNumber"),
        ["upn starting with a forbidden letter"] = new("Patient-example-somerset-child.json", j => Set(j, "identifier[2].value", "O933123456789"), "cla-pat-4"),
        ["la child id system without an la number"] = new("Patient-example-somerset-child.json", j => Set(j, "identifier[0].system", "https://fhir.carehub.org.uk/Id/la-child-id/somerset"), "cla-pat-5"),
        ["neither nhs number nor la child id"] = new("Patient-example-lancashire-uasc.json", j => Set(j, "identifier[0].system", "urn:oid:1.2.3"), "cla-pat-2"),
        ["ethnicity not a dfe code"] = new("Patient-example-somerset-child.json", j => Set(j, "extension[0].valueCodeableConcept.coding[0].code", "WXYZ"), "ssda903-ethnicity"),
        ["ethnicity with only the nhs category"] = new("Patient-example-somerset-child.json", j => j["extension"]![0]!["valueCodeableConcept"]!["coding"]!.AsArray().RemoveAt(0), "ssda903-ethnicity"),
        ["uasc as text"] = new("Patient-example-lancashire-uasc.json", j => { Remove(j, "extension[1].valueBoolean"); Set(j, "extension[1].valueString", "yes"); }, "Patient.extension[1].value", "boolean"),
        ["two uasc extensions"] = new("Patient-example-lancashire-uasc.json", j => j["extension"]!.AsArray().Add(j["extension"]![1]!.DeepClone()), "slice uasc"),

        // CLAEpisodeOfCare
        ["episode without patient"] = new("EpisodeOfCare-example-placed-out-of-area.json", j => Remove(j, "patient"), "'patient'"),
        ["episode ending before it starts"] = new("EpisodeOfCare-example-finished-episode.json", j => Set(j, "period.end", "2021-06-01"), "cla-eoc-2"),
        ["finished episode without end"] = new("EpisodeOfCare-example-finished-episode.json", j => Remove(j, "period.end"), "cla-eoc-3"),
        ["active episode without start"] = new("EpisodeOfCare-example-placed-out-of-area.json", j => Remove(j, "period"), "cla-eoc-1"),
        ["placement type not in the code list"] = new("EpisodeOfCare-example-placed-out-of-area.json", j => Set(j, "extension[1].valueCoding.code", "Q9"), "ssda903-placement-type"),
        ["legal status coded in the placement type system"] = new("EpisodeOfCare-example-placed-out-of-area.json", j => Set(j, "extension[0].valueCoding.system", Cs + "ssda903-placement-type"), "ssda903-legal-status"),
        ["reason ceased not in the code list"] = new("EpisodeOfCare-example-finished-episode.json", j => Set(j, "extension[4].valueCoding.code", "E4"), "ssda903-reason-episode-ceased"),
        ["placement located by an unknown method"] = new("EpisodeOfCare-example-placed-out-of-area.json", j => Set(j, "extension[7].valueCode", "gps"), "placement-location-method"),
        ["placement icb as text"] = new("EpisodeOfCare-example-placed-out-of-area.json", j => { Remove(j, "extension[6].valueReference"); Set(j, "extension[6].valueString", "QE1"); }, "EpisodeOfCare.extension[6].value", "Reference"),
        ["two legal statuses"] = new("EpisodeOfCare-example-placed-out-of-area.json", j => j["extension"]!.AsArray().Add(j["extension"]![0]!.DeepClone()), "slice legalStatus"),

        // CLAOutcomeObservation
        ["sdq score of 41"] = new("Observation-example-oc2-sdq-score.json", j => Set(j, "valueInteger", 41), "cla-oc2-2"),
        ["undeclared sdq score of 41"] = new("Observation-example-oc2-sdq-score.json", j => { Remove(j, "meta"); Set(j, "valueInteger", 41); }, "cla-oc2-2"),
        ["sdq score of minus 1"] = new("Observation-example-oc2-sdq-score.json", j => Set(j, "valueInteger", -1), "cla-oc2-2"),
        ["sdq score as a yes or no"] = new("Observation-example-oc2-sdq-score.json", j => { Remove(j, "valueInteger"); Set(j, "valueBoolean", true); }, "cla-oc2-2"),
        ["sdq reason from another code system"] = new("Observation-example-oc2-sdq-reason.json", j => { Set(j, "valueCodeableConcept.coding[0].system", Cs + "ssda903-in-touch"); Set(j, "valueCodeableConcept.coding[0].code", "YES"); }, "cla-oc2-3"),
        ["sdq reason not in the code list"] = new("Observation-example-oc2-sdq-reason.json", j => Set(j, "valueCodeableConcept.coding[0].code", "SDQ9"), "ssda903-sdq-reason"),
        ["immunisations as a number"] = new("Observation-example-oc2-immunisations.json", j => { Remove(j, "valueBoolean"); Set(j, "valueInteger", 1); }, "cla-oc2-4"),
        ["oc2 item that is only preliminary"] = new("Observation-example-oc2-dental.json", j => Set(j, "status", "preliminary"), "cla-oc2-1"),
        ["oc2 code that is not an oc2 item"] = new("Observation-example-oc2-dental.json", j => Set(j, "code.coding[0].code", "dental-check"), "cla-oc2-item"),
        ["oc2 without subject"] = new("Observation-example-oc2-immunisations.json", j => Remove(j, "subject"), "'subject'"),
        ["oc2 without date"] = new("Observation-example-oc2-immunisations.json", j => Remove(j, "effectiveDateTime"), "'effective'"),
        ["oc2 without value"] = new("Observation-example-oc2-immunisations.json", j => Remove(j, "valueBoolean"), "'value'"),
        ["oc2 dated by a period"] = new("Observation-example-oc2-immunisations.json", j => { Remove(j, "effectiveDateTime"); Set(j, "effectivePeriod", Node("""{"start":"2024-04-01","end":"2025-03-31"}""")); }, "Observation.effective", "dateTime"),

        // CLACareLeaverObservation
        ["accommodation answered with an activity code"] = new("Observation-example-oc3-accommodation.json", j => { Set(j, "valueCodeableConcept.coding[0].system", Cs + "ssda903-activity"); Set(j, "valueCodeableConcept.coding[0].code", "F4"); }, "cla-oc3-1"),
        ["homeless reported as suitable"] = new("Observation-example-oc3-accommodation.json", j => Set(j, "valueCodeableConcept.coding[0].code", "S1"), "cla-care-leaver-value"),
        ["in touch answered with an accommodation code"] = new("Observation-example-oc3-in-touch.json", j => { Set(j, "valueCodeableConcept.coding[0].system", Cs + "ssda903-accommodation"); Set(j, "valueCodeableConcept.coding[0].code", "U1"); }, "cla-oc3-1"),
        ["oc3 code that is not an oc3 item"] = new("Observation-example-oc3-activity.json", j => { Set(j, "code.coding[0].system", Cs + "cla-health"); Set(j, "code.coding[0].code", "convicted"); }, "ValueSet/cla-care-leaver)"),
        ["oc3 without subject"] = new("Observation-example-oc3-activity.json", j => Remove(j, "subject"), "'subject'"),
        ["oc3 without date"] = new("Observation-example-oc3-activity.json", j => Remove(j, "effectiveDateTime"), "'effective'"),
        ["oc3 dated by a period"] = new("Observation-example-oc3-in-touch.json", j => { Remove(j, "effectiveDateTime"); Set(j, "effectivePeriod", Node("""{"start":"2025-08-22"}""")); }, "Observation.effective", "dateTime"),
        ["undeclared oc3 answered from the wrong list"] = new("Observation-example-oc3-activity.json", j => { Remove(j, "meta"); Set(j, "valueCodeableConcept.coding[0].system", Cs + "ssda903-in-touch"); Set(j, "valueCodeableConcept.coding[0].code", "YES"); }, "cla-oc3-1"),
        ["declared oc3 coded as something else"] = new("Observation-example-oc3-activity.json", j => Set(j, "code", Node("""{"text":"weight"}""")), "Observation.code", "cla-care-leaver"),
        ["oc3 answered yes or no"] = new("Observation-example-oc3-in-touch.json", j => { Remove(j, "valueCodeableConcept"); Set(j, "valueBoolean", true); }, "Observation.value", "CodeableConcept"),

        // CLAFlag
        ["flag without a cla-flag coding"] = new("Flag-example-looked-after.json", j => j["code"]!["coding"]!.AsArray().RemoveAt(0), "coding:claFlag"),
        ["flag with an unknown cla-flag code"] = new("Flag-example-placed-out-of-area.json", j => Set(j, "code.coding[0].code", "fostered"), "cla-flag"),
        ["looked after snomed code on a care leaver flag"] = new("Flag-example-care-leaver.json", j => j["code"]!["coding"]!.AsArray().Add(Node("""{"system":"http://snomed.info/sct","code":"764841000000100"}""")), "cla-flag-1"),
        ["flag with an unconfirmed snomed code"] = new("Flag-example-looked-after.json", j => Set(j, "code.coding[1].code", "342191000000101"), "slice snomed", "764841000000100"),
        ["flag without a start"] = new("Flag-example-looked-after.json", j => Remove(j, "period.start"), "'start'"),
        ["flag without a period"] = new("Flag-example-placed-out-of-area.json", j => Remove(j, "period"), "'period'"),
        ["flag without a subject"] = new("Flag-example-care-leaver.json", j => Remove(j, "subject"), "'subject'"),

        // CLAHealthAssessment
        ["encounter that is not a cla assessment"] = new("Encounter-example-iha.json", j => Set(j, "type[0].coding[0].system", "http://example.org/encounter-type"), "type:assessment"),
        ["encounter typed with an oc2 item"] = new("Encounter-example-dental-check.json", j => Set(j, "type[0].coding[0].code", "dental-check-up-to-date"), "type:assessment"),
        ["finished assessment without a date"] = new("Encounter-example-iha.json", j => Remove(j, "period"), "cla-ha-1"),
        ["assessment without subject"] = new("Encounter-example-rha-planned.json", j => Remove(j, "subject"), "'subject'"),

        // CLAConsent
        ["consent with research scope"] = new("Consent-example-objection-to-host-icb.json", j => Set(j, "scope.coding[0].code", "research"), "Consent.scope", "patient-privacy"),
        ["consent without performer"] = new("Consent-example-objection-to-host-icb.json", j => Remove(j, "performer"), "'performer'"),
        ["consent without patient"] = new("Consent-example-objection-to-host-icb.json", j => Remove(j, "patient"), "'patient'"),
        ["consent without date"] = new("Consent-example-objection-to-host-icb.json", j => Remove(j, "dateTime"), "'dateTime'"),
        ["consent without a base decision"] = new("Consent-example-objection-to-host-icb.json", j => Remove(j, "provision.type"), "Consent.provision[0]", "'type'"),
        ["consent period ending before it starts"] = new("Consent-example-objection-to-host-icb.json", j => Set(j, "provision.period.end", "2024-12-31"), "cla-con-1"),
        ["consent nested three deep"] = new("Consent-example-objection-to-host-icb.json", j => j["provision"]!["provision"]![0]!.AsObject().Add("provision", Node("""[{"type":"permit"}]""")), "cla-con-2"),

        // CLAHealthSummary
        ["summary that is not a patient summary"] = new("Composition-example-health-summary.json", j => Set(j, "type.coding[0].code", "34133-9"), "Composition.type", "60591-5"),
        ["withheld section with entries"] = new("Composition-example-health-summary.json", j => Set(j, "section[4].entry", Node("""[{"reference":"Observation/example-oc2-sdq-score"}]""")), "cla-sum-2"),
        ["section with neither narrative nor empty reason"] = new("Composition-example-health-summary.json", j => Remove(j, "section[2].text"), "cla-sum-1"),
        ["section code not a summary section"] = new("Composition-example-health-summary.json", j => Set(j, "section[7].code.coding[0].code", "social-care"), "cla-summary-section"),
        ["section twice"] = new("Composition-example-health-summary.json", j => Set(j, "section[7].code.coding[0].code", "alerts"), "cla-sum-3"),
        ["summary without subject"] = new("Composition-example-health-summary.json", j => Remove(j, "subject"), "'subject'"),
        ["summary without sections"] = new("Composition-example-health-summary.json", j => Remove(j, "section"), "'section'"),

        // CLAPlacementNotification
        ["notification without recipient"] = new("Communication-example-placement-notification.json", j => Remove(j, "recipient"), "'recipient'"),
        ["notification of another kind"] = new("Communication-example-placement-notification.json", j => Set(j, "category[0].coding[0].code", "placement-ended"), "category:placementOutOfArea"),
        ["notification without payload"] = new("Communication-example-placement-notification.json", j => Remove(j, "payload"), "'payload'"),
    };

    public static TheoryData<string> MutationNames() => [.. Mutations.Keys];

    [Theory]
    [MemberData(nameof(MutationNames))]
    public void targeted_mutation_fails_with_the_expected_issue(string name)
    {
        var mutation = Mutations[name];
        var json = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(ExamplesFolder, mutation.Example)))!;
        Assert.True(_validator.Validate(ParseLeniently(json.ToJsonString())).Success, "the example itself must be valid");

        mutation.Change(json);
        var outcome = _validator.Validate(ParseLeniently(json.ToJsonString()));

        var errors = Errors(outcome).ToList();
        Assert.False(outcome.Success, "mutation was accepted: " + name);
        foreach (var expected in mutation.Expected)
            Assert.True(errors.Any(i => Mentions(i, expected)), $"no error mentions '{expected}':{Environment.NewLine}{Describe(outcome)}");
    }

    [Theory]
    [InlineData("9990001006", true)]
    [InlineData("9434765919", true)]
    [InlineData("9990001375", true)]
    [InlineData("9990001030", true)]  // remainder 0: check digit 0
    [InlineData("9990001007", false)]
    [InlineData("9434765918", false)]
    [InlineData("1234567890", false)] // remainder 1: no valid check digit exists
    [InlineData("1234567891", false)]
    public void nhs_number_modulus_11_is_checked_by_the_profile(string nhs, bool valid)
    {
        var outcome = _validator.Validate(ParseLeniently($$"""
            {"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"{{nhs}}"}],"birthDate":"2011-03-04"}
            """));

        Assert.Equal(valid, outcome.Success);
        if (!valid) Assert.Contains(Errors(outcome), i => Mentions(i, "cla-pat-3"));
    }

    [Fact]
    public void every_code_of_the_oc3_lists_is_an_accepted_answer()
    {
        var json = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(ExamplesFolder, "Observation-example-oc3-accommodation.json")))!;
        json["code"]!["coding"]![0]!.AsObject().Remove("display");
        var checkedCodes = 0;
        foreach (var (item, field) in new[] { ("in-touch", "in-touch"), ("activity", "activity"), ("accommodation", "accommodation") })
        {
            var system = Cs + "ssda903-" + field;
            var codeSystem = JsonSerializer.Deserialize<CodeSystem>(File.ReadAllText(Path.Combine(ProfileValidatorFixture.ProfilesFolder, $"CodeSystem-ssda903-{field}.json")), Fhir)!;
            foreach (var concept in codeSystem.Concept)
            {
                Set(json, "code.coding[0].code", item);
                Set(json, "valueCodeableConcept", Node($$"""{"coding":[{"system":"{{system}}","code":"{{concept.Code}}"}]}"""));
                var outcome = _validator.Validate(ParseLeniently(json.ToJsonString()));
                Assert.True(outcome.Success, $"{item} {concept.Code}: {Describe(outcome)}");
                checkedCodes++;
            }
        }
        Assert.Equal(6 + 14 + 31, checkedCodes);
    }

    [Fact]
    public void an_observation_without_a_cla_code_is_held_to_r4_core_only()
    {
        var weight = ParseLeniently("""
            {"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}],"text":"weight"},
             "subject":{"reference":"Patient/1"},"valueCodeableConcept":{"coding":[{"system":"http://example.org/results","code":"x"}]}}
            """);

        Assert.Null(_validator.ProfileOf(weight));
        var outcome = _validator.Validate(weight);
        Assert.True(outcome.Success, Describe(outcome));
        Assert.Empty(outcome.Issue);
    }

    [Theory]
    [InlineData("Observation-example-oc2-sdq-score.json", "CLAOutcomeObservation")]
    [InlineData("Observation-example-oc3-in-touch.json", "CLACareLeaverObservation")]
    [InlineData("Encounter-example-iha.json", "CLAHealthAssessment")]
    [InlineData("Flag-example-care-leaver.json", "CLAFlag")]
    [InlineData("Composition-example-health-summary.json", "CLAHealthSummary")]
    [InlineData("Communication-example-placement-notification.json", "CLAPlacementNotification")]
    [InlineData("Patient-example-lancashire-uasc.json", "CLAPatient")]
    [InlineData("EpisodeOfCare-example-located-by-la.json", "CLAEpisodeOfCare")]
    [InlineData("Consent-example-objection-to-host-icb.json", "CLAConsent")]
    public void an_example_without_meta_profile_is_still_held_to_its_profile(string file, string profile)
    {
        var json = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(ExamplesFolder, file)))!;
        json.Remove("meta");
        var resource = ParseLeniently(json.ToJsonString());

        Assert.Equal("https://fhir.carehub.org.uk/StructureDefinition/" + profile, _validator.ProfileOf(resource));
        Assert.True(_validator.Validate(resource).Success);
    }

    [Fact]
    public void episode_of_care_from_a_case_management_system_without_903_extensions_is_valid()
    {
        var outcome = _validator.Validate(ParseLeniently("""
            {"resourceType":"EpisodeOfCare","identifier":[{"system":"https://fhir.carehub.org.uk/Id/la-episode/933","value":"t1"}],
             "status":"active","type":[{"coding":[{"system":"https://fhir.carehub.org.uk/CodeSystem/ssda903-legal-status","code":"C2"}]}],
             "patient":{"reference":"Patient/1"},"managingOrganization":{"reference":"Organization/933"},"period":{"start":"2024-05-01"}}
            """));

        Assert.True(outcome.Success, Describe(outcome));
        Assert.Empty(outcome.Issue);
    }

    private static bool Mentions(OperationOutcome.IssueComponent issue, string expected) =>
        Text(issue).Contains(expected, StringComparison.Ordinal)
        || (issue.Diagnostics?.Contains(expected, StringComparison.Ordinal) ?? false)
        || issue.Expression.Any(e => e.Contains(expected, StringComparison.Ordinal));

    private static JsonNode Node(string json) => JsonNode.Parse(json)!;

    // Lenient: a mutation may remove what the strict parser insists on (a required element); the validator must name it.
    private static Resource ParseLeniently(string json)
    {
        FhirJsonDeserializer.RECOVERABLE.TryDeserializeResource(json, out var resource, out _);
        return resource ?? throw new InvalidOperationException("not a FHIR resource: " + json);
    }

    private static IEnumerable<OperationOutcome.IssueComponent> Errors(OperationOutcome outcome) =>
        outcome.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);

    private static string Text(OperationOutcome.IssueComponent issue) => issue.Details?.Text ?? issue.Diagnostics ?? "";

    private static string Describe(OperationOutcome outcome) =>
        string.Join(Environment.NewLine, outcome.Issue.Select(i => $"{i.Severity} {string.Join(",", i.Expression)}: {Text(i)}"));

    // "a.b[2].c": walk objects and arrays to the parent of the last step.
    private static (JsonNode Parent, string Name, int? Index) Locate(JsonObject root, string path)
    {
        JsonNode node = root;
        var steps = path.Split('.');
        for (var s = 0; s < steps.Length; s++)
        {
            var m = Step().Match(steps[s]);
            var name = m.Groups[1].Value;
            int? index = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
            if (s == steps.Length - 1) return index is null ? (node, name, null) : (node[name]!, name, index);
            node = index is null ? node[name]! : node[name]![index.Value]!;
        }
        throw new ArgumentException(path);
    }

    private static void Remove(JsonObject root, string path)
    {
        var (parent, name, index) = Locate(root, path);
        if (index is { } i) parent.AsArray().RemoveAt(i);
        else Assert.True(parent.AsObject().Remove(name), "nothing to remove at " + path);
    }

    private static void Set(JsonObject root, string path, JsonNode? value)
    {
        var (parent, name, index) = Locate(root, path);
        if (index is { } i) parent.AsArray()[i] = value;
        else parent[name] = value;
    }

    [GeneratedRegex(@"^([A-Za-z]+)(?:\[(\d+)\])?$")]
    private static partial Regex Step();
}
