using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Hub.Tests.Conformance;

/// <summary>
/// fhir-profiles/ as a FHIR package (issue 3 §1): names and canonical URLs, the SSDA903 code systems with the
/// collection years each code is valid in, the value sets and bindings that tie them together, and the ethnicity map.
/// Reads the files only: no validator needed.
/// </summary>
public sealed class ClaPackageTests
{
    private const string Base = "https://fhir.carehub.org.uk";
    private static readonly JsonSerializerOptions Fhir = new JsonSerializerOptions().ForFhir();
    private static string Folder => ProfileValidatorFixture.ProfilesFolder;

    private static readonly Lazy<IReadOnlyDictionary<string, Resource>> Artifacts = new(() => Directory
        .GetFiles(Folder, "*.json")
        .Where(f => Path.GetFileName(f) != "package.json")
        .ToDictionary(f => Path.GetFileName(f), f => JsonSerializer.Deserialize<Resource>(File.ReadAllText(f), Fhir)!));

    private static IEnumerable<T> All<T>() where T : Resource => Artifacts.Value.Values.OfType<T>();

    private static CodeSystem CodeSystemOf(string id) => All<CodeSystem>().Single(c => c.Id == id);

    /// <summary>The contract's code systems, one per SSDA903 field (contract §3), and the others the mapper needs.</summary>
    public static readonly string[] Ssda903Fields =
    [
        "legal-status", "placement-type", "placement-provider", "reason-new-episode", "reason-episode-ceased", "category-of-need",
        "reason-place-change", "ethnicity", "sdq-reason", "in-touch", "activity", "accommodation",
        "sex", "review-code", "missing-type", "previous-permanence", "reason-placed-ceased", "adopter-sex", "adopter-legal-status",
        "sw-reason", "upn-unknown",
    ];

    public static TheoryData<string> Ssda903CodeSystems() => [.. Ssda903Fields.Select(f => "ssda903-" + f)];

    /// <summary>How an importer reads year validity: absent valid-from means every year; absent valid-to means still current.</summary>
    private static bool ValidIn(CodeSystem cs, string code, int year)
    {
        var concept = cs.Concept.SingleOrDefault(c => c.Code == code);
        if (concept is null) return false;
        int? Year(string property) => (concept.Property.SingleOrDefault(p => p.Code == property)?.Value as Integer)?.Value;
        return (Year("valid-from") ?? int.MinValue) <= year && year <= (Year("valid-to") ?? int.MaxValue);
    }

    [Fact]
    public void every_artifact_is_named_type_dash_id_and_lives_at_its_canonical_url()
    {
        Assert.NotEmpty(Artifacts.Value);
        foreach (var (file, resource) in Artifacts.Value)
        {
            if (resource is Bundle) { Assert.Equal("SearchParameter-bundle.json", file); continue; } // the hub's search index reads it by that name
            Assert.Equal($"{resource.TypeName}-{resource.Id}.json", file);
            // A Measure is a knowledge artifact: it has a canonical url and status, but Firely gives it no conformance interface.
            var (url, status) = resource is Measure m ? (m.Url, m.Status)
                : Assert.IsAssignableFrom<IVersionableConformanceResource>(resource) is var c ? (c.Url, c.Status) : default;
            Assert.Equal($"{Base}/{resource.TypeName}/{resource.Id}", url);
            Assert.Equal(PublicationStatus.Active, status);
        }
    }

    [Fact]
    public void structure_definitions_are_r4_differentials_whose_id_is_their_name()
    {
        var definitions = All<StructureDefinition>().ToList();
        Assert.Equal(9 + 14, definitions.Count); // 9 profiles, 14 extensions
        Assert.All(definitions, sd =>
        {
            Assert.Equal(sd.Id, sd.Name);
            Assert.Equal(FHIRVersion.N4_0_1, sd.FhirVersion);
            Assert.Equal(StructureDefinition.TypeDerivationRule.Constraint, sd.Derivation);
            Assert.StartsWith("http://hl7.org/fhir/StructureDefinition/", sd.BaseDefinition);
            Assert.False(sd.HasSnapshot, sd.Id);
            Assert.NotEmpty(sd.Differential.Element);
        });
    }

    [Fact]
    public void one_profile_per_resource_type_except_observation()
    {
        var byType = All<StructureDefinition>().Where(sd => sd.Kind == StructureDefinition.StructureDefinitionKind.Resource)
            .GroupBy(sd => sd.Type).ToDictionary(g => g.Key!, g => g.Select(sd => sd.Id).Order().ToList());

        Assert.Equal(["CLACareLeaverObservation", "CLAOutcomeObservation"], byType["Observation"]);
        Assert.All(byType.Where(kv => kv.Key != "Observation"), kv => Assert.Single(kv.Value));
        Assert.Equal(["Communication", "Composition", "Consent", "Encounter", "EpisodeOfCare", "Flag", "Observation", "Patient"], byType.Keys.Order());
    }

    [Fact]
    public void extensions_have_a_context_a_fixed_url_and_one_value_type()
    {
        var extensions = All<StructureDefinition>().Where(sd => sd.Type == "Extension").ToList();
        Assert.Equal(14, extensions.Count);
        Assert.All(extensions, sd =>
        {
            var context = Assert.Single(sd.Context);
            Assert.Contains(context.Expression, new[] { "EpisodeOfCare", "Patient", "MeasureReport.group.stratifier" });
            Assert.Equal(sd.Url, (sd.Differential.Element.Single(e => e.Path == "Extension.url").Fixed as FhirUri)?.Value);
            var value = sd.Differential.Element.Single(e => e.Path == "Extension.value[x]");
            Assert.Equal(1, value.Min);
            Assert.Single(value.Type);
            Assert.Equal("0", sd.Differential.Element.Single(e => e.Path == "Extension.extension").Max);
        });
    }

    [Fact]
    public void every_episode_extension_is_optional_and_bound_as_the_mapper_expects()
    {
        var episode = All<StructureDefinition>().Single(sd => sd.Id == "CLAEpisodeOfCare");
        var slices = episode.Differential.Element.Where(e => e.Path == "EpisodeOfCare.extension" && e.SliceName is not null).ToList();
        Assert.Equal(11, slices.Count);
        Assert.All(slices, s => Assert.Equal((0, "1"), (s.Min, s.Max)));

        foreach (var field in new[] { "legal-status", "placement-type", "placement-provider", "reason-new-episode", "reason-episode-ceased", "reason-place-change", "category-of-need" })
        {
            var extension = All<StructureDefinition>().Single(sd => sd.Id == "cla-" + field);
            var value = extension.Differential.Element.Single(e => e.Path == "Extension.value[x]");
            Assert.Equal("Coding", value.Type.Single().Code);
            Assert.Equal(BindingStrength.Required, value.Binding.Strength);
            Assert.Equal($"{Base}/ValueSet/ssda903-{field}", value.Binding.ValueSet);
        }
    }

    [Fact]
    public void every_binding_and_value_set_points_at_something_in_the_package()
    {
        var valueSets = All<ValueSet>().Select(v => v.Url).ToHashSet();
        var codeSystems = All<CodeSystem>().Select(c => c.Url).ToHashSet();
        var bound = All<StructureDefinition>().SelectMany(sd => sd.Differential.Element).Select(e => e.Binding?.ValueSet).OfType<string>().ToList();

        Assert.NotEmpty(bound);
        Assert.All(bound, vs => Assert.Contains(vs, valueSets));
        Assert.All(All<ValueSet>().SelectMany(v => v.Compose.Include), include => Assert.Contains(include.System, codeSystems));
        Assert.All(All<CodeSystem>(), cs => Assert.Contains(cs.ValueSet, valueSets));
        Assert.All(All<CodeSystem>(), cs => Assert.Equal(cs.Concept.Count, cs.Count));
    }

    [Theory]
    [MemberData(nameof(Ssda903CodeSystems))]
    public void ssda903_code_system_declares_year_validity_and_uses_it_consistently(string id)
    {
        var cs = CodeSystemOf(id);

        Assert.Equal(CodeSystemContentMode.Complete, cs.Content);
        Assert.True(cs.CaseSensitive);
        Assert.Equal($"{Base}/ValueSet/{id}", cs.ValueSet);
        var declared = cs.Property.ToDictionary(p => p.Code, p => p.Type);
        Assert.Equal(CodeSystem.PropertyType.Integer, declared["valid-from"]);
        Assert.Equal(CodeSystem.PropertyType.Integer, declared["valid-to"]);
        Assert.Equal(cs.Concept.Count, cs.Concept.Select(c => c.Code).Distinct(StringComparer.Ordinal).Count());
        foreach (var concept in cs.Concept)
        {
            Assert.False(string.IsNullOrWhiteSpace(concept.Display), concept.Code);
            Assert.Equal(concept.Code.ToUpperInvariant(), concept.Code); // codes arrive in any case and are upper-cased
            Assert.All(concept.Property, p => Assert.Contains(p.Code, new[] { "valid-from", "valid-to" }));
            var from = (concept.Property.SingleOrDefault(p => p.Code == "valid-from")?.Value as Integer)?.Value;
            var to = (concept.Property.SingleOrDefault(p => p.Code == "valid-to")?.Value as Integer)?.Value;
            if (from is not null) Assert.True(from > 2017, $"{concept.Code}: valid-from only when later than 2017");
            if (to is not null) Assert.InRange(to.Value, 2017, 2027);
            if (from is not null && to is not null) Assert.True(from <= to, concept.Code);
        }
    }

    [Theory]
    [InlineData("placement-type", "K3", 2025, null)]
    [InlineData("placement-type", "H5", null, 2024)]
    [InlineData("placement-type", "P2", null, 2024)]
    [InlineData("placement-type", "Z1", null, 2025)]
    [InlineData("placement-type", "Z11", 2026, null)]
    [InlineData("placement-type", "Z12", 2026, null)]
    [InlineData("placement-type", "Z13", 2026, null)]
    [InlineData("placement-type", "Z14", 2026, null)]
    [InlineData("placement-type", "U4", null, null)]
    [InlineData("sex", "1", null, 2024)]
    [InlineData("sex", "2", null, 2024)]
    [InlineData("sex", "M", 2025, null)]
    [InlineData("sex", "F", 2025, null)]
    [InlineData("sex", "U", 2025, null)]
    [InlineData("sw-reason", "MANAGE", 2024, null)]
    [InlineData("reason-episode-ceased", "E43", null, 2018)]
    [InlineData("reason-episode-ceased", "E45", 2019, null)]
    [InlineData("reason-episode-ceased", "E11", null, null)]
    [InlineData("reason-place-change", "CUSTOD", 2019, null)]
    [InlineData("activity", "F3", null, 2021)]
    [InlineData("activity", "F4", 2022, null)]
    [InlineData("previous-permanence", "Z1", null, null)] // not the placement type Z1
    public void code_carries_the_collection_years_it_is_valid_in(string field, string code, int? validFrom, int? validTo)
    {
        var concept = CodeSystemOf("ssda903-" + field).Concept.Single(c => c.Code == code);

        Assert.Equal(validFrom, (concept.Property.SingleOrDefault(p => p.Code == "valid-from")?.Value as Integer)?.Value);
        Assert.Equal(validTo, (concept.Property.SingleOrDefault(p => p.Code == "valid-to")?.Value as Integer)?.Value);
    }

    [Theory]
    [InlineData("placement-type", "H5", 2024, true)]
    [InlineData("placement-type", "H5", 2025, false)]
    [InlineData("placement-type", "K3", 2024, false)]
    [InlineData("placement-type", "K3", 2025, true)]
    [InlineData("placement-type", "Z1", 2025, true)]
    [InlineData("placement-type", "Z1", 2026, false)]
    [InlineData("placement-type", "Z12", 2025, false)]
    [InlineData("placement-type", "Z12", 2027, true)]
    [InlineData("sex", "1", 2017, true)]
    [InlineData("sex", "1", 2025, false)]
    [InlineData("sex", "M", 2024, false)]
    [InlineData("sex", "U", 2027, true)]
    [InlineData("accommodation", "S2", 2025, true)]
    [InlineData("accommodation", "S1", 2025, false)] // homeless is never suitable: not a code
    [InlineData("accommodation", "X1", 2025, false)] // nor is custody
    public void an_importer_can_tell_whether_a_code_is_allowed_in_a_collection_year(string field, string code, int year, bool allowed)
    {
        Assert.Equal(allowed, ValidIn(CodeSystemOf("ssda903-" + field), code, year));
    }

    [Fact]
    public void code_lists_hold_the_codes_of_the_reference()
    {
        static string[] Codes(string id) => [.. CodeSystemOf(id).Concept.Select(c => c.Code)];

        Assert.Equal(["C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4"], Codes("ssda903-legal-status"));
        Assert.Equal(28 + 4, Codes("ssda903-placement-type").Length); // the 28 codes of 2016/17 (K3 in for H5 and P2 from 2024/25), plus Z11–Z14
        Assert.Equal(20, Codes("ssda903-ethnicity").Length);
        Assert.Equal(["SDQ1", "SDQ2", "SDQ3", "SDQ4", "SDQ5"], Codes("ssda903-sdq-reason"));
        Assert.Equal(["YES", "NO", "DIED", "REFU", "NREQ", "RHOM"], Codes("ssda903-in-touch"));
        Assert.Equal(["UN1", "UN2", "UN3", "UN4", "UN5"], Codes("ssda903-upn-unknown"));
        // OC3 accommodation: 16 letters × suitability 1/2, without S1 and X1 (DfE rule 133), plus 0.
        var accommodation = Codes("ssda903-accommodation");
        Assert.Equal(16 * 2 - 2 + 1, accommodation.Length);
        Assert.Contains("0", accommodation);
        Assert.All(accommodation.Where(c => c != "0"), c => Assert.Matches("^[BCDEGHKRSTUVWXYZ][12]$", c));
    }

    [Fact]
    public void carehub_code_systems_hold_exactly_the_contract_codes()
    {
        static string[] Codes(string id) => [.. CodeSystemOf(id).Concept.Select(c => c.Code)];

        Assert.Equal(["looked-after", "care-leaver", "placed-out-of-area"], Codes("cla-flag"));
        Assert.Equal(
            ["initial-health-assessment", "review-health-assessment", "dental-check", "sdq-total-score", "sdq-reason",
             "health-assessment-up-to-date", "immunisations-up-to-date", "dental-check-up-to-date", "health-check-under-5",
             "substance-misuse", "convicted", "substance-misuse-intervention-received", "substance-misuse-intervention-offered"],
            Codes("cla-health"));
        Assert.Equal(["in-touch", "activity", "accommodation"], Codes("cla-care-leaver"));
        Assert.Equal(["la", "icb", "gp", "provider"], Codes("organisation-kind"));
        Assert.Equal(["postcode", "la"], Codes("placement-location-method"));
        Assert.Equal(["care-status", "health-assessments", "immunisations", "dental", "emotional-wellbeing", "health-needs", "alerts", "contacts"], Codes("cla-summary-section"));
        Assert.Equal(["placement-out-of-area"], Codes("cla-notification"));
        Assert.Equal(["placement", "in-area", "out-of-area", "sdq-average-score", "sdq-concern"], Codes("cla-kpi"));

        static string[] Listed(string id) => [.. All<ValueSet>().Single(v => v.Id == id).Compose.Include.SelectMany(i => i.Concept).Select(c => c.Code)];
        Assert.Equal(["initial-health-assessment", "review-health-assessment", "dental-check"], Listed("cla-health-assessment-type"));
        Assert.Equal(10, Listed("cla-oc2-item").Length);
        Assert.DoesNotContain("dental-check", Listed("cla-oc2-item"));
        Assert.Subset(Codes("cla-health").ToHashSet(), Listed("cla-oc2-item").ToHashSet());
    }

    [Fact]
    public void no_snomed_code_but_the_confirmed_looked_after_child_appears_anywhere()
    {
        var snomed = Directory.GetFiles(Folder, "*.json", SearchOption.AllDirectories)
            .SelectMany(f => Codings(JsonNode.Parse(File.ReadAllText(f))))
            .Where(c => c.System == "http://snomed.info/sct")
            .Select(c => c.Code)
            .Distinct()
            .ToList();

        Assert.Equal(["764841000000100"], snomed);
    }

    [Fact]
    public void ethnicity_concept_map_maps_every_dfe_code_to_one_nhs_ethnic_category()
    {
        var map = All<ConceptMap>().Single(m => m.Id == "ssda903-ethnicity-to-nhs-ethnic-category");
        var group = Assert.Single(map.Group);
        Assert.Equal($"{Base}/CodeSystem/ssda903-ethnicity", group.Source);
        Assert.Equal("https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland", group.Target);

        var dfe = CodeSystemOf("ssda903-ethnicity").Concept.Select(c => c.Code).Order().ToList();
        Assert.Equal(dfe, group.Element.Select(e => e.Code).Order());
        var nhs = "ABCDEFGHJKLMNPRSZ".Select(c => c.ToString()).ToHashSet();
        Assert.All(group.Element, e =>
        {
            var target = Assert.Single(e.Target);
            Assert.Contains(target.Code, nhs);
            Assert.Contains(target.Equivalence, new ConceptMapEquivalence?[] { ConceptMapEquivalence.Equivalent, ConceptMapEquivalence.Wider, ConceptMapEquivalence.Narrower, ConceptMapEquivalence.Inexact });
            if (target.Equivalence != ConceptMapEquivalence.Equivalent) Assert.False(string.IsNullOrWhiteSpace(target.Comment), e.Code);
        });
        (string Code, ConceptMapEquivalence? Equivalence) Target(string code)
        {
            var target = group.Element.Single(e => e.Code == code).Target.Single();
            return (target.Code, target.Equivalence);
        }
        Assert.Equal(("A", ConceptMapEquivalence.Equivalent), Target("WBRI"));
        Assert.Equal(("C", ConceptMapEquivalence.Wider), Target("WIRT"));
        Assert.Equal(("C", ConceptMapEquivalence.Wider), Target("WROM"));
        Assert.Equal(("R", ConceptMapEquivalence.Equivalent), Target("CHNE"));
        Assert.Equal("Z", Target("REFU").Code);
        Assert.Equal("Z", Target("NOBT").Code);
        Assert.Equal(nhs, group.Element.Select(e => e.Target.Single().Code).ToHashSet()); // every NHS category is reached
    }

    [Fact]
    public void package_manifest_names_the_package_and_its_fhir_version()
    {
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "package.json")))!;

        Assert.Equal("carehub.fhir.cla", (string?)manifest["name"]);
        Assert.Equal(Base, (string?)manifest["canonical"]);
        Assert.Equal("4.0.1", (string?)manifest["fhirVersions"]![0]);
        Assert.Equal("4.0.1", (string?)manifest["dependencies"]!["hl7.fhir.r4.core"]);
        var version = (string)manifest["version"]!;
        Assert.All(All<StructureDefinition>(), sd => Assert.Equal(version, sd.Version));
        Assert.True(File.Exists(Path.Combine(Folder, "README.md")));
    }

    private static IEnumerable<(string? System, string? Code)> Codings(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                // OperationDefinition has a boolean `system` beside its `code`: only string pairs are codings.
                if (o["system"] is JsonValue system && system.TryGetValue<string>(out var s) && o["code"] is JsonValue code && code.TryGetValue<string>(out var c))
                    yield return (s, c);
                foreach (var (_, child) in o)
                foreach (var inner in Codings(child)) yield return inner;
                break;
            case JsonArray a:
                foreach (var child in a)
                foreach (var inner in Codings(child)) yield return inner;
                break;
        }
    }
}
