using Hl7.Fhir.Model;
using Hub.Api.Fhir;
using Hub.Mappers.Summary;
using Hub.Tests.Ssda903;

namespace Hub.Tests.Summary;

/// <summary>
/// A child's records for the builder: the Somerset child of fhir-profiles/examples with everything the examples hold about
/// her, plus records of the kinds the examples lack (immunisations, a condition, a care plan, contacts), built here.
/// </summary>
static class SummaryInputs
{
    public const string ChildId = "example-somerset-child";
    public static readonly DateTimeOffset Now = new(2025, 3, 10, 9, 0, 0, TimeSpan.Zero);

    static string Examples => Path.Combine(Ssda903TestFiles.Profiles, "examples");

    public static CodeDisplays Displays { get; } = CodeDisplays.Load(Ssda903TestFiles.Profiles);

    public static Resource Example(string file) => FhirFormat.ParseJson(File.ReadAllText(Path.Combine(Examples, file + ".json")));

    public static Patient Child() => (Patient)Example("Patient-example-somerset-child");

    /// <summary>Every example about the child (its subject or patient is her), in file name order.</summary>
    public static List<Resource> ExampleRecords() =>
    [
        .. Directory.EnumerateFiles(Examples, "*.json").Order(StringComparer.Ordinal)
            .Select(File.ReadAllText)
            .Where(json => json.Contains($"\"Patient/{ChildId}\"", StringComparison.Ordinal))
            .Select(FhirFormat.ParseJson)
            .Where(r => r is not Composition),
    ];

    static ResourceReference Subject => new($"Patient/{ChildId}");

    public static Immunization Mmr2 => new()
    {
        Id = "imm-mmr2", Status = Immunization.ImmunizationStatusCodes.Completed,
        VaccineCode = new CodeableConcept { Text = "Measles, mumps and rubella (MMR), second dose" },
        Patient = Subject, Occurrence = new FhirDateTime("2014-01-20"), PrimarySource = false,
    };

    public static Immunization Hpv => new()
    {
        Id = "imm-hpv", Status = Immunization.ImmunizationStatusCodes.Completed,
        VaccineCode = new CodeableConcept { Text = "Human papillomavirus (HPV)" },
        Patient = Subject, Occurrence = new FhirDateTime("2023-09-14"), PrimarySource = true,
        // A reason naming a record in another section: it must not survive if that section is withheld.
        ReasonReference = [new ResourceReference("Condition/asthma") { Display = "Asthma" }],
    };

    public static Condition Asthma => new()
    {
        Id = "asthma",
        ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"),
        Code = new CodeableConcept { Text = "Asthma <mild> & well controlled" },
        Subject = Subject, RecordedDate = "2024-11-02",
    };

    public static CarePlan HealthPlan => new()
    {
        Id = "health-plan", Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan,
        Title = "Health plan from the initial health assessment", Subject = Subject, Period = new Period { Start = "2021-07-02" },
    };

    public static RelatedPerson Carer => new()
    {
        Id = "foster-carer", Patient = Subject,
        Relationship = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-RoleCode", "FAMMEMB", "family member") { Text = "Foster carer" }],
        Name = [new HumanName { Family = "Ashworth", Given = ["Jane"] }],
    };

    public static Observation Convicted => new()
    {
        Id = "oc2-convicted", Status = ObservationStatus.Final, Code = new CodeableConcept("https://fhir.carehub.org.uk/CodeSystem/cla-health", "convicted"),
        Subject = Subject, Effective = new FhirDateTime("2025-03-31"), Value = new FhirBoolean(false),
    };

    public static Observation OlderSdq => new()
    {
        Id = "oc2-sdq-2024", Status = ObservationStatus.Final, Code = new CodeableConcept("https://fhir.carehub.org.uk/CodeSystem/cla-health", "sdq-total-score"),
        Subject = Subject, Effective = new FhirDateTime("2024-03-31"), Value = new Integer(19),
    };

    public static Observation Weight => new()
    {
        Id = "weight", Status = ObservationStatus.Final, Code = new CodeableConcept { Text = "Body weight" },
        Subject = Subject, Effective = new FhirDateTime("2025-02-01"), Value = new Quantity(41, "kg"),
    };

    /// <summary>All the child's records: the examples and the built ones, including some the summary leaves out by design.</summary>
    public static List<Resource> Records() => [.. ExampleRecords(), Mmr2, Hpv, Asthma, HealthPlan, Carer, Convicted, OlderSdq, Weight];

    public static List<Organization> Organisations() =>
    [
        Org("933", "Somerset Council", "la", "QSL"),
        Org("QSL", "NHS Somerset Integrated Care Board", "icb"),
        Org("QE1", "NHS Lancashire and South Cumbria Integrated Care Board", "icb"),
        Org("L85001", "Demo Taunton Medical Practice", "gp", "QSL"),
        Org("RH5", "Demo Somerset Children Looked After Health Team", "provider", "QSL"),
        Org("888", "Lancashire County Council", "la", "QE1"),
    ];

    static Organization Org(string code, string name, string kind, string? parent = null) => new()
    {
        Id = code, Name = name,
        Identifier = [new Identifier(DocumentLinks.OrganisationSystem(code), code)],
        Type = [new CodeableConcept("https://fhir.carehub.org.uk/CodeSystem/organisation-kind", kind)],
        PartOf = parent is null ? null : new ResourceReference($"Organization/{parent}"),
    };

    public static SummaryRequest Request(SummaryObligations? obligations = null, IReadOnlyList<Resource>? records = null) =>
        new(Child(), records ?? Records(), Organisations(), obligations ?? SummaryObligations.None, "CareHub", Now, Displays);
}
