using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck.Xunit;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hub.Consent.Decisions;
using Hub.Consent.Enforcement;

namespace Hub.Tests.Consent;

/// <summary>
/// MASK (reference/consent.md §3.6): what each named view of the policy keeps of each resource type the hub holds, that a
/// view it lacks withholds, how the copy is marked, and that a masked copy never holds an element its view does not keep.
/// </summary>
public sealed class MaskingTests
{
    const string Sd = "https://fhir.carehub.org.uk/StructureDefinition/";
    static readonly JsonSerializerOptions Fhir = new JsonSerializerOptions().ForFhir();

    /// <summary>One well-filled resource of each type the hub holds, with the free text and detail masks exist to remove.</summary>
    public static readonly IReadOnlyDictionary<string, string> Samples = new Dictionary<string, string>
    {
        ["Patient"] = """
            {"resourceType":"Patient","id":"p","meta":{"versionId":"1"},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Jo Bloggs, 1 High St</div>"},
             "extension":[{"url":"https://fhir.carehub.org.uk/StructureDefinition/cla-uasc","valueBoolean":true},{"url":"http://example.org/other","valueString":"x"}],
             "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"active":true,
             "name":[{"use":"official","family":"Bloggs","given":["Jo"]},{"use":"old","family":"Birthname"}],
             "telecom":[{"system":"phone","value":"07700900000"}],"gender":"female","birthDate":"2009-05-04",
             "address":[{"use":"home","line":["1 High St"],"city":"Lancaster","district":"Lancashire","postalCode":"LA1 4XX"},{"use":"old","line":["2 Low St"],"city":"Taunton","period":{"end":"2023-01-01"}}],
             "contact":[{"name":{"family":"Carer"},"address":{"line":["1 High St"],"city":"Lancaster","postalCode":"LA1 4XX"}}],
             "generalPractitioner":[{"reference":"Organization/A81001"}],"managingOrganization":{"reference":"Organization/933"},
             "link":[{"other":{"reference":"Patient/old"},"type":"replaces"}]}
            """,
        ["EpisodeOfCare"] = """
            {"resourceType":"EpisodeOfCare","id":"e","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Placed at LA1</div>"},
             "extension":[{"url":"https://fhir.carehub.org.uk/StructureDefinition/cla-legal-status","valueCoding":{"system":"https://fhir.carehub.org.uk/CodeSystem/ssda903-legal-status","code":"C2"}},
              {"url":"https://fhir.carehub.org.uk/StructureDefinition/cla-placement-type","valueCoding":{"system":"https://fhir.carehub.org.uk/CodeSystem/ssda903-placement-type","code":"U6"}},
              {"url":"https://fhir.carehub.org.uk/StructureDefinition/cla-placement-provider","valueCoding":{"system":"https://fhir.carehub.org.uk/CodeSystem/ssda903-placement-provider","code":"PR1"}},
              {"url":"https://fhir.carehub.org.uk/StructureDefinition/cla-category-of-need","valueCoding":{"system":"https://fhir.carehub.org.uk/CodeSystem/ssda903-category-of-need","code":"N1"}},
              {"url":"https://fhir.carehub.org.uk/StructureDefinition/cla-placement-postcode-district","valueString":"LA1"},
              {"url":"https://fhir.carehub.org.uk/StructureDefinition/cla-placement-icb","valueReference":{"reference":"Organization/QE1"}},
              {"url":"https://fhir.carehub.org.uk/StructureDefinition/cla-placement-located-by","valueCode":"postcode"},
              {"url":"https://fhir.carehub.org.uk/StructureDefinition/cla-urn","valueString":"SC123456"}],
             "identifier":[{"system":"https://fhir.carehub.org.uk/Id/episode/933","value":"t1/2023-06-01"}],"status":"active",
             "patient":{"reference":"Patient/p"},"managingOrganization":{"reference":"Organization/933"},"period":{"start":"2023-06-01"}}
            """,
        ["Encounter"] = """
            {"resourceType":"Encounter","id":"n","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">IHA: anxiety</div>"},
             "status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
             "type":[{"coding":[{"system":"https://fhir.carehub.org.uk/CodeSystem/cla-health","code":"initial-health-assessment"}]}],
             "subject":{"reference":"Patient/p"},"participant":[{"individual":{"display":"Dr Example"}}],"period":{"start":"2023-07-01","end":"2023-07-01"},
             "reasonCode":[{"text":"anxiety and sleep difficulties"}],"location":[{"location":{"display":"Clinic 3, Lancaster"}}],
             "serviceProvider":{"reference":"Organization/RH5"}}
            """,
        ["Observation"] = """
            {"resourceType":"Observation","id":"o","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">SDQ 18</div>"},"status":"final",
             "code":{"coding":[{"system":"https://fhir.carehub.org.uk/CodeSystem/cla-health","code":"sdq-total-score"}]},"subject":{"reference":"Patient/p"},
             "effectiveDateTime":"2025-03-31","performer":[{"reference":"Organization/933"}],"valueInteger":18,
             "interpretation":[{"text":"high"}],"note":[{"text":"carer reports fights at school"}],"focus":[{"display":"birth mother"}]}
            """,
        ["Immunization"] = """
            {"resourceType":"Immunization","id":"i","status":"completed","vaccineCode":{"text":"Influenza"},"patient":{"reference":"Patient/p"},
             "occurrenceDateTime":"2024-10-03","primarySource":false,"lotNumber":"AB123","site":{"text":"left arm"},
             "reasonCode":[{"text":"asthma"}],"note":[{"text":"fainted"}],"reaction":[{"detail":{"display":"syncope"}}],
             "protocolApplied":[{"doseNumberPositiveInt":1,"targetDisease":[{"text":"influenza"}]}]}
            """,
        ["CarePlan"] = """
            {"resourceType":"CarePlan","id":"c","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Plan</div>"},"status":"active","intent":"plan",
             "title":"Health plan","description":"After the IHA: low mood, referred","subject":{"reference":"Patient/p"},"period":{"start":"2023-07-01"},
             "author":{"reference":"Organization/RH5"},"addresses":[{"display":"low mood"}],"note":[{"text":"discussed self-harm"}],"goal":[{"display":"sleep better"}],
             "activity":[{"progress":[{"text":"attended once"}],"outcomeCodeableConcept":[{"text":"improved"}],
               "detail":{"status":"scheduled","description":"Refer to CAMHS","reasonCode":[{"text":"low mood"}],"performer":[{"reference":"Organization/RXN"}]}}]}
            """,
        ["Condition"] = """
            {"resourceType":"Condition","id":"d","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
             "code":{"coding":[{"system":"http://snomed.info/sct","code":"342191000000101"}]},"subject":{"reference":"Patient/p"},"onsetDateTime":"2022-01-01",
             "recordedDate":"2022-01-02","asserter":{"reference":"Organization/933"},"note":[{"text":"abuse by stepfather"}],"evidence":[{"detail":[{"display":"police report"}]}]}
            """,
        ["Flag"] = """
            {"resourceType":"Flag","id":"f","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">CP plan</div>"},"status":"active",
             "category":[{"text":"safeguarding"}],"code":{"coding":[{"system":"http://snomed.info/sct","code":"342191000000101"}]},"subject":{"reference":"Patient/p"},
             "period":{"start":"2022-01-01"},"author":{"reference":"Organization/933"},"encounter":{"display":"strategy meeting"}}
            """,
        ["RelatedPerson"] = """
            {"resourceType":"RelatedPerson","id":"r","patient":{"reference":"Patient/p"},"relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"MTH"}]}],
             "name":[{"family":"Mother"}],"address":[{"line":["3 Side St"]}]}
            """,
        ["DocumentReference"] = """
            {"resourceType":"DocumentReference","id":"r2","status":"current","type":{"text":"IHA report"},"subject":{"reference":"Patient/p"},"date":"2023-07-02T10:00:00Z",
             "author":[{"reference":"Organization/RH5"}],"description":"IHA: anxiety",
             "content":[{"attachment":{"contentType":"application/pdf","data":"JVBERi0=","title":"IHA anxiety"}}]}
            """,
        ["Communication"] = """
            {"resourceType":"Communication","id":"m","status":"completed","subject":{"reference":"Patient/p"},"sent":"2025-01-01T10:00:00Z",
             "recipient":[{"reference":"Organization/QE1"}],"payload":[{"contentString":"placed at 1 High St"}]}
            """,
        ["AllergyIntolerance"] = """
            {"resourceType":"AllergyIntolerance","id":"a","code":{"text":"peanut"},"patient":{"reference":"Patient/p"},"criticality":"high",
             "note":[{"text":"at foster home"}],"reaction":[{"manifestation":[{"text":"hives"}],"description":"after party at school","severity":"moderate"}]}
            """,
    };

    static JsonObject Sample(string type) => JsonNode.Parse(Samples[type])!.AsObject();

    static JsonObject? Masked(string type, params string[] masks) => Masking.Apply(Sample(type), masks).Released;

    /// <summary>Present: an element path (dots between names) or an extension URL.</summary>
    static bool Has(JsonObject resource, string path)
    {
        if (path.StartsWith("http", StringComparison.Ordinal))
            return resource["extension"] is JsonArray ext && ext.Any(e => e?["url"]?.GetValue<string>() == path);
        IEnumerable<JsonNode?> nodes = [resource];
        foreach (var part in path.Split('.'))
            nodes = nodes.SelectMany(n => n is JsonArray a ? a.ToList() : new List<JsonNode?> { n }).Select(n => (n as JsonObject)?[part]).Where(n => n is not null).ToList();
        return nodes.Any();
    }

    /// <summary>mask, type, what the view keeps, what it removes (paths or extension URLs, separated by spaces).</summary>
    public static TheoryData<string, string, string, string> Views => new()
    {
        { "icb-code-only", "EpisodeOfCare", $"status period patient managingOrganization {Sd}cla-placement-icb {Sd}cla-legal-status {Sd}cla-category-of-need",
            $"text {Sd}cla-placement-postcode-district {Sd}cla-placement-located-by {Sd}cla-urn {Sd}cla-placement-type {Sd}cla-placement-provider" },
        { "no-street-address", "EpisodeOfCare", $"status {Sd}cla-placement-postcode-district {Sd}cla-placement-icb {Sd}cla-placement-type", $"text {Sd}cla-urn" },
        { "no-street-address", "Patient", "name birthDate address.city address.district contact.address.city", "text address.line address.postalCode contact.address.line contact.address.postalCode" },
        { "current-only", "EpisodeOfCare", $"status {Sd}cla-placement-postcode-district {Sd}cla-urn", "text" },
        { "current-only", "Patient", "name address telecom generalPractitioner", "text link" },
        { "icb-code-only", "Patient", $"name birthDate {Sd}cla-uasc", "text address telecom contact generalPractitioner link http://example.org/other" },
        { "dates-status-provider", "Encounter", "status class type subject period serviceProvider", "text participant reasonCode location" },
        { "dates-status-provider", "Observation", "status code subject effectiveDateTime performer", "text valueInteger interpretation note focus" },
        { "dates-status-provider", "CarePlan", "status intent subject period author", "text title description addresses note goal activity" },
        { "dates-status-provider", "DocumentReference", "status type subject date author content.attachment.contentType", "description content.attachment.data content.attachment.title" },
        { "health-plan-actions", "CarePlan", "status intent title activity.detail.description activity.detail.performer activity.detail.status",
            "text description addresses note goal activity.progress activity.outcomeCodeableConcept activity.detail.reasonCode" },
        { "health-plan-actions", "Encounter", "status type period serviceProvider", "text reasonCode participant location" },
        { "plan-only", "CarePlan", "title description goal activity.detail.description", "text addresses note activity.progress activity.detail.reasonCode" },
        { "plan-only", "Observation", "status code effectiveDateTime", "valueInteger note interpretation" },
        { "summary", "Immunization", "status vaccineCode occurrenceDateTime protocolApplied.doseNumberPositiveInt", "lotNumber site reasonCode note reaction" },
        { "summary", "Observation", "code valueInteger effectiveDateTime", "text interpretation note focus" },
        { "summary", "AllergyIntolerance", "code criticality reaction.manifestation reaction.severity", "note reaction.description" },
        { "summary", "Patient", "name birthDate generalPractitioner managingOrganization", "text telecom address contact link" },
        { "summary", "Communication", "status sent recipient", "payload" },
        { "summary", "Condition", "code clinicalStatus onsetDateTime", "note evidence asserter" },
        { "summary", "Flag", "code status period author", "text encounter" },
        { "flag-only", "Flag", "status code subject period category", "text author encounter" },
        { "flag-and-la-contact", "Flag", "status code period author", "text encounter" },
        { "flag-and-la-contact", "Condition", "code clinicalStatus asserter", "note evidence" },
        { "deidentified-family-history", "Observation", "code valueInteger effectiveDateTime", "performer focus note" },
        { "care-leaver-status-and-gp", "Patient", "name birthDate generalPractitioner", "telecom address contact gender" },
        { "refusal-status-only", "Encounter", "status type period", "reasonCode participant serviceProvider location text" },
    };

    [Theory]
    [MemberData(nameof(Views))]
    public void a_view_keeps_what_it_names_and_removes_the_rest(string mask, string type, string keeps, string removes)
    {
        var masked = Masked(type, mask);
        Assert.NotNull(masked);
        foreach (var p in keeps.Split(' ')) Assert.True(Has(masked, p), $"{mask} on {type} should keep {p}");
        foreach (var p in removes.Split(' ')) Assert.False(Has(masked, p), $"{mask} on {type} should remove {p}");
        // Still FHIR: it parses strictly as its type.
        var parsed = new FhirJsonDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.Strict)).DeserializeResource(masked.ToJsonString());
        Assert.Equal(type, parsed.TypeName);
    }

    [Fact]
    public void every_mask_of_the_policy_is_one_masking_knows()
    {
        Assert.Equal(ConsentTestData.Policy.Masks.Keys.Order(StringComparer.Ordinal), Masking.Known.Order(StringComparer.Ordinal));
    }

    public static TheoryData<string, string> NoView => new()
    {
        { "dates-status-provider", "Immunization" },   // not an assessment or a plan
        { "deidentified-family-history", "RelatedPerson" }, // nothing but an identity
        { "care-leaver-status-and-gp", "Immunization" },
        { "health-plan-actions", "Condition" },
        { "icb-code-only", "Observation" },
        { "refusal-status-only", "CarePlan" },
        { "no-such-mask", "Patient" },
    };

    [Theory]
    [MemberData(nameof(NoView))]
    public void a_mask_with_no_view_of_a_type_withholds_it_rather_than_pass_it_whole(string mask, string type)
    {
        Assert.True(Masking.Apply(Sample(type), [mask]).Withheld);
        Assert.Null(Masking.Apply(new FhirJsonDeserializer().DeserializeResource(Samples[type]), [mask]));
    }

    [Fact]
    public void history_is_masked_by_current_only_an_ended_episode_loses_where_and_an_inactive_flag_is_withheld()
    {
        var ended = Sample("EpisodeOfCare");
        ended["status"] = "finished";
        ended["period"]!["end"] = "2024-01-01";
        var masked = Masking.Apply(ended, ["current-only"]).Released!;
        Assert.True(Has(masked, Sd + "cla-legal-status"));
        Assert.False(Has(masked, Sd + "cla-placement-postcode-district"));
        Assert.False(Has(masked, Sd + "cla-placement-icb"));
        Assert.False(Has(masked, Sd + "cla-urn"));

        var patient = Masked("Patient", "current-only")!;
        Assert.DoesNotContain("Birthname", patient.ToJsonString());
        Assert.DoesNotContain("Low St", patient.ToJsonString());

        var flag = Sample("Flag");
        flag["status"] = "inactive";
        Assert.True(Masking.Apply(flag, ["current-only"]).Withheld);
    }

    [Fact]
    public void care_leaver_status_and_gp_keeps_oc3_observations_and_the_care_leaver_flag_only()
    {
        var oc3 = Sample("Observation");
        oc3["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "https://fhir.carehub.org.uk/CodeSystem/cla-care-leaver", ["code"] = "accommodation" }) };
        Assert.False(Masking.Apply(oc3, ["care-leaver-status-and-gp"]).Withheld);
        Assert.True(Masking.Apply(Sample("Observation"), ["care-leaver-status-and-gp"]).Withheld);
        Assert.True(Masking.Apply(Sample("Flag"), ["care-leaver-status-and-gp"]).Withheld);
    }

    [Fact]
    public void a_masked_copy_is_marked_masked_unless_withholding_must_be_silent_and_an_untouched_one_is_not_marked()
    {
        var marked = Masking.Apply(Sample("Encounter"), ["dates-status-provider"]);
        Assert.True(marked.Changed);
        Assert.Contains(marked.Released!["meta"]!["security"]!.AsArray(), s => s?["code"]?.GetValue<string>() == Masking.Masked && s["system"]?.GetValue<string>() == Masking.ObservationValueSystem);

        var silent = Masking.Apply(Sample("Encounter"), ["dates-status-provider"], WithheldMarking.Silent);
        Assert.True(silent.Changed);
        Assert.Null(silent.Released!["meta"]?["security"]);

        // The generated IHA holds nothing the view removes: released as held, unmarked (MASKED would be untrue).
        var plain = JsonNode.Parse("""{"resourceType":"Encounter","id":"n","meta":{"versionId":"1"},"status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p"},"period":{"start":"2023-07-01"}}""")!.AsObject();
        var result = Masking.Apply(plain, ["dates-status-provider"]);
        Assert.False(result.Changed);
        Assert.Same(plain, result.Released);
    }

    [Fact]
    public void a_view_never_drops_a_modifier_extension_it_withholds_the_resource_instead()
    {
        var encounter = Sample("Encounter");
        encounter["modifierExtension"] = new JsonArray(new JsonObject { ["url"] = "http://example.org/not-really", ["valueBoolean"] = true });
        Assert.True(Masking.Apply(encounter, ["dates-status-provider"]).Withheld);
    }

    [Fact]
    public void masks_add_up_what_is_released_is_what_every_view_keeps()
    {
        var both = Masking.Apply(Sample("Flag"), ["summary", "flag-only"]).Released!;
        Assert.False(Has(both, "author")); // summary keeps it, flag-only does not
        Assert.True(Has(both, "code"));
    }

    [Fact]
    public void a_record_the_callers_organisation_holds_or_wrote_is_its_own()
    {
        Assert.True(Masking.OwnedBy(Sample("Patient"), "933"));
        Assert.False(Masking.OwnedBy(Sample("Patient"), "888"));
        Assert.True(Masking.OwnedBy(Sample("Observation"), "933"));  // OC2 item, performer the LA
        Assert.True(Masking.OwnedBy(Sample("Flag"), "933"));         // author the LA
        Assert.False(Masking.OwnedBy(Sample("Encounter"), "933"));   // the health team's
        Assert.False(Masking.OwnedBy(Sample("Communication"), "QE1")); // a recipient, not the sender
    }

    /// <summary>
    /// Property: whatever part of a sample a resource holds, its masked copy holds nothing the input did not and no
    /// element its view does not keep (no narrative, no contained resources, no unlisted extension).
    /// </summary>
    [Property(MaxTest = 300)]
    public bool a_masked_resource_never_contains_an_element_its_mask_removes(int seed)
    {
        var random = new Random(seed);
        var pairs = Masking.Known.SelectMany(m => Masking.TypesOf(m).Where(Samples.ContainsKey).Select(t => (Mask: m, Type: t))).ToList();
        var (mask, type) = pairs[random.Next(pairs.Count)];
        var input = Sample(type);
        foreach (var name in input.Select(p => p.Key).ToList())
            if (name is not ("resourceType" or "id") && random.Next(3) == 0) input.Remove(name);
        var result = Masking.Apply(input, [mask], WithheldMarking.Silent);
        if (result.Withheld) return true;
        var output = result.Released!;
        var view = MaskViews.All[mask][type](input)!;
        return Leaves(output).All(l => Leaves(input).Contains(l)) && Allowed(output, view.Root, top: true)
            && output["text"] is null && output["contained"] is null;
    }

    static HashSet<string> Leaves(JsonNode? node, string path = "")
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        switch (node)
        {
            case JsonObject o: foreach (var (k, v) in o) result.UnionWith(Leaves(v, path + "." + k)); break;
            case JsonArray a: foreach (var v in a) result.UnionWith(Leaves(v, path)); break;
            default: result.Add(path + "=" + node?.ToJsonString()); break;
        }
        return result;
    }

    static bool Allowed(JsonObject node, KeepTree keep, bool top)
    {
        foreach (var (name, value) in node)
        {
            if (top && name is "resourceType" or "id" or "meta" or "language") continue;
            var element = name.TrimStart('_');
            if (!keep.Match(element, out var sub)) return false;
            if (element == "extension" && keep.Extensions is { } urls && value is JsonArray ext && ext.Any(e => !urls.Contains(e?["url"]?.GetValue<string>() ?? ""))) return false;
            if (sub is null) continue;
            foreach (var child in value is JsonArray a ? a.OfType<JsonObject>() : value is JsonObject o ? [o] : [])
                if (!Allowed(child, sub, false)) return false;
        }
        return true;
    }
}
