using System.Text.Json;
using System.Xml.Linq;
using Hl7.Fhir.Model;
using Hub.Api.Fhir;
using Hub.Mappers.Summary;
using Hub.Tests.Conformance;
using Hub.Tests.Ssda903;

namespace Hub.Tests.Summary;

/// <summary>
/// The pure summary builder: golden documents (tests/Hub.Tests/Summary/Golden/*.json, UPDATE_GOLDEN=1 rewrites), and the
/// rules every document keeps whatever its obligations: the profile, references inside the Bundle, withheld means no detail.
/// </summary>
public sealed class HealthSummaryTests(ProfileValidatorFixture fixture) : IClassFixture<ProfileValidatorFixture>
{
    static string Golden => Path.Combine(Ssda903TestFiles.RepoRoot, "tests", "Hub.Tests", "Summary", "Golden");

    static readonly SummaryObligations WithholdWellbeingAndNeeds =
        new(new HashSet<string> { SummarySections.EmotionalWellbeing, SummarySections.HealthNeeds }, _ => false, MarkRedacted: true);

    static bool IsHpv(Resource r) => r is Immunization { Id: "imm-hpv" };

    public static TheoryData<string> Cases() => ["full", "withheld-sections", "entry-left-out-marked", "entry-left-out-silently", "no-records"];

    static SummaryRequest CaseRequest(string name) => name switch
    {
        "full" => SummaryInputs.Request(),
        "withheld-sections" => SummaryInputs.Request(WithholdWellbeingAndNeeds),
        "entry-left-out-marked" => SummaryInputs.Request(new SummaryObligations(new HashSet<string>(), IsHpv, MarkRedacted: true)),
        "entry-left-out-silently" => SummaryInputs.Request(new SummaryObligations(new HashSet<string>(), IsHpv, MarkRedacted: false)),
        "no-records" => SummaryInputs.Request(records: []),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    static string Json(Bundle b) => FhirFormat.SerializeToString(b);

    static string Pretty(Bundle b) =>
        JsonSerializer.Serialize(JsonDocument.Parse(Json(b)).RootElement, new JsonSerializerOptions { WriteIndented = true }) + "\n";

    static Composition CompositionOf(Bundle b) => Assert.IsType<Composition>(b.Entry[0].Resource);

    static Composition.SectionComponent Section(Bundle b, string code) => CompositionOf(b).Section.Single(s => s.Code.Coding[0].Code == code);

    [Theory]
    [MemberData(nameof(Cases))]
    public void the_document_matches_its_golden_file(string name) =>
        Ssda903TestFiles.AssertGolden(Path.Combine(Golden, name + ".json"), Pretty(HealthSummary.Build(CaseRequest(name))));

    [Theory]
    [MemberData(nameof(Cases))]
    public void every_document_and_its_composition_conform_to_the_profiles(string name)
    {
        var bundle = HealthSummary.Build(CaseRequest(name));
        var composition = CompositionOf(bundle);
        Assert.Equal(HealthSummary.Profile, composition.Meta.Profile.Single());
        foreach (var outcome in new[] { fixture.Validator.Validate(composition), fixture.Validator.Validate(bundle) })
        {
            var errors = outcome.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal).ToList();
            Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{string.Join(",", e.Expression)}: {e.Details?.Text ?? e.Diagnostics}")));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void every_reference_in_the_document_resolves_inside_it(string name)
    {
        var bundle = HealthSummary.Build(CaseRequest(name));
        var fullUrls = bundle.Entry.Select(e => e.FullUrl).ToHashSet();
        Assert.Equal(bundle.Entry.Count, fullUrls.Count);
        Assert.All(fullUrls, u => Assert.StartsWith("urn:uuid:", u));
        var references = bundle.Entry.SelectMany(e => JsonReferences.In(e.Resource)).ToList();
        Assert.NotEmpty(references);
        Assert.All(references, r => Assert.True(fullUrls.Contains(r) || r.StartsWith('#'), $"{r} does not resolve inside the Bundle"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void sections_come_in_the_contracts_order_with_valid_xhtml(string name)
    {
        var composition = CompositionOf(HealthSummary.Build(CaseRequest(name)));
        Assert.Equal(["care-status", "health-assessments", "immunisations", "dental", "emotional-wellbeing", "health-needs", "alerts", "contacts"],
            composition.Section.Select(s => s.Code.Coding.Single().Code));
        foreach (var s in composition.Section)
        {
            var div = XElement.Parse(s.Text.Div);
            Assert.Equal(XName.Get("div", "http://www.w3.org/1999/xhtml"), div.Name);
            Assert.Equal(Narrative.NarrativeStatus.Generated, s.Text.Status);
        }
    }

    [Fact]
    public void the_same_request_gives_the_same_bytes_whatever_the_order_of_the_records()
    {
        var records = SummaryInputs.Records();
        var a = Json(HealthSummary.Build(SummaryInputs.Request(records: records)));
        var b = Json(HealthSummary.Build(SummaryInputs.Request(records: Enumerable.Reverse(records).ToList())));
        Assert.Equal(a, b);
        var later = HealthSummary.Build(SummaryInputs.Request() with { Now = SummaryInputs.Now.AddMinutes(1) });
        Assert.NotEqual(a, Json(later));
        Assert.Equal(SummaryInputs.Now.AddMinutes(1), later.Timestamp);
        Assert.Equal("2025-03-10T09:01:00+00:00", CompositionOf(later).Date);
    }

    [Fact]
    public void a_document_bundle_with_identifier_and_timestamp_and_composition_first()
    {
        var bundle = HealthSummary.Build(SummaryInputs.Request());
        Assert.Equal(Bundle.BundleType.Document, bundle.Type);
        Assert.Equal("urn:ietf:rfc:3986", bundle.Identifier.System);
        Assert.StartsWith("urn:uuid:", bundle.Identifier.Value);
        Assert.Equal(SummaryInputs.Now, bundle.Timestamp);
        var composition = CompositionOf(bundle);
        Assert.Equal("60591-5", composition.Type.Coding.Single().Code);
        Assert.Equal(bundle.Entry.Single(e => e.Resource is Patient).FullUrl, composition.Subject.Reference);
        Assert.Equal("CareHub", composition.Author.Single().Display);
        Assert.Null(bundle.Meta);
    }

    [Fact]
    public void each_record_lands_in_the_section_its_cla_code_says()
    {
        var bundle = HealthSummary.Build(SummaryInputs.Request());
        string SectionHolding(string reference)
        {
            var url = bundle.Entry.Single(e => $"{e.Resource.TypeName}/{e.Resource.Id}" == reference).FullUrl;
            return CompositionOf(bundle).Section.Single(s => s.Entry.Any(e => e.Reference == url)).Code.Coding[0].Code;
        }
        Assert.Equal("care-status", SectionHolding("EpisodeOfCare/example-placed-out-of-area"));
        Assert.Equal("health-assessments", SectionHolding("Encounter/example-iha"));
        Assert.Equal("health-assessments", SectionHolding("Encounter/example-rha-planned"));
        Assert.Equal("immunisations", SectionHolding("Immunization/imm-mmr2"));
        Assert.Equal("immunisations", SectionHolding("Observation/example-oc2-immunisations"));
        Assert.Equal("dental", SectionHolding("Encounter/example-dental-check"));
        Assert.Equal("dental", SectionHolding("Observation/example-oc2-dental"));
        Assert.Equal("emotional-wellbeing", SectionHolding("Observation/example-oc2-sdq-score"));
        Assert.Equal("health-needs", SectionHolding("Condition/asthma"));
        Assert.Equal("health-needs", SectionHolding("CarePlan/health-plan"));
        Assert.Equal("alerts", SectionHolding("Flag/example-looked-after"));
        Assert.Equal("alerts", SectionHolding("Flag/example-placed-out-of-area"));
        Assert.Equal("contacts", SectionHolding("RelatedPerson/foster-carer"));
        Assert.Equal("contacts", SectionHolding("Organization/933"));
        Assert.Equal("contacts", SectionHolding("Organization/L85001"));
        // A summary, not the record: the latest episode and SDQ only; convictions, uncoded observations and Consents never.
        var ids = bundle.Entry.Select(e => e.Resource.Id).ToHashSet();
        Assert.DoesNotContain("example-finished-episode", ids);
        Assert.DoesNotContain("oc2-sdq-2024", ids);
        Assert.DoesNotContain("oc2-convicted", ids);
        Assert.DoesNotContain("weight", ids);
        Assert.DoesNotContain("example-objection-to-host-icb", ids);
        // Organisations a shown record names come along so their references resolve: the provider and the placement ICB.
        Assert.Contains("RH5", ids);
        Assert.Contains("QE1", ids);
        Assert.DoesNotContain("888", ids);
    }

    [Fact]
    public void a_withheld_section_is_present_with_withheld_and_carries_nothing_of_what_it_held()
    {
        var bundle = HealthSummary.Build(SummaryInputs.Request(WithholdWellbeingAndNeeds));
        foreach (var code in new[] { SummarySections.EmotionalWellbeing, SummarySections.HealthNeeds })
        {
            var s = Section(bundle, code);
            Assert.Equal(("http://terminology.hl7.org/CodeSystem/list-empty-reason", "withheld"), (s.EmptyReason.Coding.Single().System, s.EmptyReason.Coding.Single().Code));
            Assert.Empty(s.Entry);
            Assert.Equal("This section is withheld.", XElement.Parse(s.Text.Div).Value);
        }
        var json = Json(bundle);
        foreach (var hidden in new[] { "example-oc2-sdq-score", "asthma", "health-plan", "Asthma", "Health plan" })
            Assert.DoesNotContain(hidden, json);
        // The immunisation that named the asthma keeps nothing of that reference, not even its display.
        var hpv = (Immunization)bundle.Entry.Single(e => e.Resource.Id == "imm-hpv").Resource;
        Assert.Empty(hpv.ReasonReference);
        // A withheld section is a marker of its own, not a redaction of entries.
        Assert.Null(bundle.Meta);
        Assert.NotEmpty(Section(bundle, SummarySections.Immunisations).Entry);
    }

    [Fact]
    public void an_entry_left_out_with_marking_is_gone_and_the_bundle_says_redacted()
    {
        var bundle = HealthSummary.Build(SummaryInputs.Request(new SummaryObligations(new HashSet<string>(), IsHpv, MarkRedacted: true)));
        Assert.DoesNotContain("imm-hpv", Json(bundle));
        var label = Assert.Single(bundle.Meta.Security);
        Assert.Equal(("http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "REDACTED"), (label.System, label.Code));
        var immunisations = Section(bundle, SummarySections.Immunisations);
        Assert.Equal(2, immunisations.Entry.Count);
        Assert.Contains(SummaryNarrative.ItemsExcluded, immunisations.Text.Div);
    }

    [Fact]
    public void an_entry_left_out_silently_leaves_no_trace_at_all()
    {
        var silent = HealthSummary.Build(SummaryInputs.Request(new SummaryObligations(new HashSet<string>(), IsHpv, MarkRedacted: false)));
        var json = Json(silent);
        Assert.DoesNotContain("imm-hpv", json);
        Assert.DoesNotContain("REDACTED", json);
        Assert.DoesNotContain("excluded", json);
        Assert.Null(silent.Meta);
        // The section reads exactly as it would had the record never been held.
        var neverHeld = HealthSummary.Build(SummaryInputs.Request(records: [.. SummaryInputs.Records().Where(r => !IsHpv(r))]));
        Assert.Equal(Section(neverHeld, SummarySections.Immunisations).Text.Div, Section(silent, SummarySections.Immunisations).Text.Div);
    }

    [Fact]
    public void when_every_entry_of_a_section_is_left_out_silence_reads_as_nothing_held_and_marking_as_withheld()
    {
        bool Dental(Resource r) => r.Id is "example-dental-check" or "example-oc2-dental";
        var silent = Section(HealthSummary.Build(SummaryInputs.Request(new SummaryObligations(new HashSet<string>(), Dental, false))), SummarySections.Dental);
        var never = Section(HealthSummary.Build(SummaryInputs.Request(records: [.. SummaryInputs.Records().Where(r => !Dental(r))])), SummarySections.Dental);
        Assert.Equal("nilknown", silent.EmptyReason.Coding[0].Code);
        Assert.Equal(never.Text.Div, silent.Text.Div);
        var marked = Section(HealthSummary.Build(SummaryInputs.Request(new SummaryObligations(new HashSet<string>(), Dental, true))), SummarySections.Dental);
        Assert.Equal("withheld", marked.EmptyReason.Coding[0].Code);
        Assert.Empty(marked.Entry);
    }

    [Fact]
    public void empty_sections_say_nil_known_and_narrative_text_is_escaped()
    {
        var empty = HealthSummary.Build(SummaryInputs.Request(records: []));
        Assert.All(CompositionOf(empty).Section.Where(s => s.Code.Coding[0].Code != SummarySections.Contacts), s =>
        {
            Assert.Equal("nilknown", s.EmptyReason.Coding.Single().Code);
            Assert.Empty(s.Entry);
        });
        var needs = Section(HealthSummary.Build(SummaryInputs.Request()), SummarySections.HealthNeeds);
        Assert.Contains("Asthma &lt;mild&gt; &amp; well controlled", needs.Text.Div);
        Assert.Contains("Asthma <mild> & well controlled", XElement.Parse(needs.Text.Div).Value);
    }

    [Fact]
    public void narratives_name_codes_as_the_code_lists_do_and_show_the_placement_icb_not_the_address()
    {
        var care = Section(HealthSummary.Build(SummaryInputs.Request()), SummarySections.CareStatus);
        var text = XElement.Parse(care.Text.Div).Value;
        Assert.Contains("Looked after by Somerset Council (933)", text);
        Assert.Contains("Full care order", text);
        Assert.Contains("NHS Lancashire and South Cumbria Integrated Care Board (QE1)", text);
        Assert.DoesNotContain("LA1", text);
    }

    [Fact]
    public void the_routing_table_covers_every_cla_health_code_and_the_sections_match_their_code_system()
    {
        var health = SummaryInputs.Example("../CodeSystem-cla-health") as CodeSystem;
        var codes = health!.Concept.Select(c => c.Code).ToHashSet();
        Assert.Equal(codes, SummarySections.ByHealthCode.Keys.Concat(SummarySections.NotSummarised).ToHashSet());
        var sections = (CodeSystem)SummaryInputs.Example("../CodeSystem-cla-summary-section");
        Assert.Equal(SummarySections.System, sections.Url);
        Assert.Equal(sections.Concept.Select(c => (c.Code, c.Display)), SummarySections.InOrder.Select(s => (s.Code, s.Title)));
    }
}
