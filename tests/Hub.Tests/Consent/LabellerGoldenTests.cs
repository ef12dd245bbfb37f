using System.Text.Json;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hub.Consent.Labels;
using Hub.Consent.Vocabulary;

namespace Hub.Tests.Consent;

/// <summary>
/// Golden files for the security labeller: Labeller/cases/{name}.input.json → {name}.expected.json (the labelled resource).
/// UPDATE_GOLDEN=1 rewrites the expected files; review the diff before committing.
/// </summary>
public sealed class LabellerGoldenTests
{
    static string CasesFolder => Path.Combine(ConsentTestData.Folder, "Labeller", "cases");

    public static TheoryData<string> Cases() =>
        [.. Directory.EnumerateFiles(CasesFolder, "*.input.json").Select(f => Path.GetFileName(f)[..^".input.json".Length]).Order()];

    [Theory]
    [MemberData(nameof(Cases))]
    public void labelled_resource_matches_its_golden_file(string name)
    {
        var resource = JsonSerializer.Deserialize<Resource>(File.ReadAllText(Path.Combine(CasesFolder, name + ".input.json")), ConsentTestData.Fhir)!;
        var result = SecurityLabeller.Shipped.Label(resource);
        Assert.NotEmpty(result.Classes);
        var actual = JsonSerializer.Serialize(resource, ConsentTestData.FhirPretty) + "\n";
        var path = Path.Combine(CasesFolder, name + ".expected.json");
        if (ConsentTestData.UpdateGolden || !File.Exists(path))
        {
            File.WriteAllText(path, actual);
            if (!ConsentTestData.UpdateGolden) Assert.Fail($"golden file {path} was missing and has been written; review it and run again");
            return;
        }
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), actual);
    }

    [Fact]
    public void labels_that_arrive_are_kept_and_confidentiality_only_rises()
    {
        var c = new Condition { Meta = new Meta { Security = [new Coding(LabelSystems.Confidentiality, "V"), new Coding("urn:other", "KEEP-ME")] } };
        SecurityLabeller.Shipped.Label(c);
        Assert.Single(c.Meta.Security, s => s.System == LabelSystems.Confidentiality);
        Assert.Contains(c.Meta.Security, s => s.System == LabelSystems.Confidentiality && s.Code == "V");
        Assert.Contains(c.Meta.Security, s => s.Code == "KEEP-ME");
    }

    [Fact]
    public void labelling_twice_changes_nothing()
    {
        var c = new Condition { Code = new CodeableConcept("http://snomed.info/sct", "342191000000101") };
        SecurityLabeller.Shipped.Label(c);
        var once = JsonSerializer.Serialize(c, ConsentTestData.Fhir);
        SecurityLabeller.Shipped.Label(c);
        Assert.Equal(once, JsonSerializer.Serialize(c, ConsentTestData.Fhir));
    }

    [Fact]
    public void every_snomed_code_in_the_label_table_is_named_in_the_reference_documents()
    {
        var rules = JsonDocument.Parse(File.ReadAllText(Path.Combine(ConsentTestData.RepoRoot, "src", "Hub.Consent", "Labels", "label-rules.v1.json")));
        var reference = string.Concat(new[] { "consent.md", "fhir-uk.md" }.Select(f => File.ReadAllText(Path.Combine(ConsentTestData.RepoRoot, "..", "shared", "reference", f))));
        var snomed = rules.RootElement.GetProperty("codes").EnumerateArray()
            .Where(c => c.GetProperty("system").GetString() == "http://snomed.info/sct").Select(c => c.GetProperty("code").GetString()!).ToList();
        Assert.NotEmpty(snomed);
        Assert.All(snomed, code => Assert.Matches(new Regex(@"\b" + code + @"\b"), reference));
        Assert.Empty(rules.RootElement.GetProperty("icd10").EnumerateArray());
    }

    [Fact]
    public void a_code_without_a_source_is_refused()
    {
        var json = """{"version":"x","codes":[{"system":"http://snomed.info/sct","code":"1","classes":["D3"],"labels":["SEX"]}],"icd10":[],"resourceTypes":[],"defaultClasses":["D1"]}""";
        Assert.Contains("codes[0]: needs a source", Assert.Throws<InvalidDataException>(() => SecurityLabeller.Parse(json, "labels.json", ConsentTestData.Policy)).Message);
    }

    [Fact]
    public void a_label_the_policy_does_not_know_is_refused()
    {
        var json = """{"version":"x","codes":[{"system":"s","code":"1","classes":["D3"],"labels":["SEXY"],"source":"t"}],"icd10":[],"resourceTypes":[],"defaultClasses":["D1"]}""";
        Assert.Contains("codes[0].labels: unknown label 'SEXY'", Assert.Throws<InvalidDataException>(() => SecurityLabeller.Parse(json, "labels.json", ConsentTestData.Policy)).Message);
    }
}
