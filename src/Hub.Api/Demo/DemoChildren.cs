using Hl7.Fhir.Model;
using Hub.Mappers.Identifiers;
using Hub.Api.Storage;

namespace Hub.Api.Demo;

/// <summary>A demo child as an LA's case-management system knows it. Synthetic: no real person.</summary>
sealed record DemoChild(string La, string ChildId, string Given, string Family, AdministrativeGender Gender, string BirthDate, string NhsNumber, string Gp,
    IReadOnlyList<DemoEpisode> Episodes, string Story);

/// <summary>One period of care: legal status, placement type, where, and how it ended.</summary>
sealed record DemoEpisode(string Start, string? End, string LegalStatus, string Placement, string PostcodeDistrict, string? ReasonEnded);

/// <summary>
/// The foundation demo: two LAs in two ICBs, ten children among them one placed out of area, one care leaver
/// aged 19 and one adopted. The SSDA903 issue replaces it with a generated return.
/// </summary>
static class DemoChildren
{
    public const string EpisodeIdSystem = "https://fhir.carehub.org.uk/Id/la-episode/";
    const string Ssda903 = "https://fhir.carehub.org.uk/CodeSystem/ssda903-";

    public static readonly IReadOnlyList<DemoChild> All =
    [
        Child("933", "S1001", "Amelia", "Hart", AdministrativeGender.Female, "2015-04-12", 1, "L85001", "looked after in Somerset", [new("2022-03-01", null, "C2", "U4", "TA1", null)]),
        Child("933", "S1002", "Oliver", "Reed", AdministrativeGender.Male, "2012-09-03", 2, "P81001", "placed out of area, in Lancashire",
            [new("2021-06-10", "2025-01-15", "C2", "U4", "TA2", "X1"), new("2025-01-15", null, "C2", "K2", "LA1", null)]),
        Child("933", "S1003", "Isla", "Moss", AdministrativeGender.Female, "2019-01-20", 3, "L85002", "looked after under section 20", [new("2024-11-02", null, "V2", "U6", "BA20", null)]),
        Child("933", "S1004", "Jack", "Stone", AdministrativeGender.Male, "2007-06-15", 4, "L85001", "care leaver aged 19", [new("2019-02-01", "2025-06-15", "C2", "U4", "TA6", "E17")]),
        Child("933", "S1005", "Freya", "Lane", AdministrativeGender.Female, "2020-02-02", 5, "L85002", "adopted in 2023", [new("2020-05-01", "2023-07-20", "E1", "A5", "TA1", "E11")]),
        Child("933", "S1006", "Noah", "Pike", AdministrativeGender.Male, "2010-11-30", 6, "L85001", "looked after in Somerset", [new("2023-09-04", null, "C2", "R1", "TA4", null)]),
        Child("888", "L2001", "Ava", "Holt", AdministrativeGender.Female, "2013-05-05", 7, "P81001", "looked after in Lancashire", [new("2020-01-13", null, "C2", "U4", "PR1", null)]),
        Child("888", "L2002", "Leo", "Ward", AdministrativeGender.Male, "2016-07-07", 8, "P81001", "looked after in Lancashire", [new("2024-02-20", null, "J2", "U5", "LA3", null)]),
        Child("888", "L2003", "Mia", "Finch", AdministrativeGender.Female, "2011-03-03", 9, "P81001", "looked after in Lancashire", [new("2018-08-08", null, "C2", "U1", "BB2", null)]),
        Child("888", "L2004", "Harry", "Cole", AdministrativeGender.Male, "2009-12-12", 10, "P81001", "looked after in Lancashire", [new("2022-10-10", null, "C1", "K2", "FY1", null)]),
    ];

    static DemoChild Child(string la, string id, string given, string family, AdministrativeGender gender, string dob, int n, string gp, string story, DemoEpisode[] episodes) =>
        new(la, id, given, family, gender, dob, NhsNumber.FromStem(999_000_000 + n * 37), gp, episodes, story);

    /// <summary>The transaction an LA's system would send for its children: conditional creates, so sending it twice changes nothing.</summary>
    public static Bundle LaTransaction(string la)
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        foreach (var c in All.Where(c => c.La == la))
        {
            var patientUrl = $"urn:uuid:{Guid.NewGuid()}";
            var childSystem = PatientFacts.LaChildIdSystemPrefix + la;
            var patient = new Patient
            {
                Identifier = [new Identifier(childSystem, c.ChildId), new Identifier(NhsNumber.System, c.NhsNumber)],
                Name = [new HumanName { Family = c.Family, Given = [c.Given], Use = HumanName.NameUse.Official }],
                Gender = c.Gender,
                BirthDate = c.BirthDate,
                ManagingOrganization = new ResourceReference($"Organization/{la}"),
                GeneralPractitioner = [new ResourceReference($"Organization/{c.Gp}")],
            };
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = patientUrl,
                Resource = patient,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient", IfNoneExist = $"identifier={childSystem}|{c.ChildId}" },
            });
            foreach (var e in c.Episodes)
            {
                var episodeId = $"{c.ChildId}-{e.Start}";
                var episode = new EpisodeOfCare
                {
                    Identifier = [new Identifier(EpisodeIdSystem + la, episodeId)],
                    Status = e.End is null ? EpisodeOfCare.EpisodeOfCareStatus.Active : EpisodeOfCare.EpisodeOfCareStatus.Finished,
                    Type =
                    [
                        new CodeableConcept(Ssda903 + "legal-status", e.LegalStatus),
                        new CodeableConcept(Ssda903 + "placement-type", e.Placement),
                    ],
                    Patient = new ResourceReference(patientUrl),
                    ManagingOrganization = new ResourceReference($"Organization/{la}"),
                    Period = new Period { Start = e.Start, End = e.End },
                };
                if (e.ReasonEnded is not null) episode.Type.Add(new CodeableConcept(Ssda903 + "reason-episode-ceased", e.ReasonEnded));
                bundle.Entry.Add(new Bundle.EntryComponent
                {
                    FullUrl = $"urn:uuid:{Guid.NewGuid()}",
                    Resource = episode,
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "EpisodeOfCare", IfNoneExist = $"identifier={EpisodeIdSystem}{la}|{episodeId}" },
                });
            }
        }
        return bundle;
    }

    /// <summary>What a CLA health team's EPR sends after an initial health assessment: the child is named by NHS number.</summary>
    public static Bundle HealthTeamTransaction(string provider, DemoChild c)
    {
        var patient = $"Patient?identifier={NhsNumber.System}|{c.NhsNumber}";
        var system = $"https://fhir.carehub.org.uk/Id/provider-record/{provider}";
        var encounter = new Encounter
        {
            Identifier = [new Identifier(system, $"IHA-{c.ChildId}")],
            Status = Encounter.EncounterStatus.Finished,
            Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory"),
            Type = [new CodeableConcept("https://fhir.carehub.org.uk/CodeSystem/cla-health", "initial-health-assessment", "Initial health assessment")],
            Subject = new ResourceReference(patient),
            Period = new Period { Start = "2022-03-22", End = "2022-03-22" },
            ServiceProvider = new ResourceReference($"Organization/{provider}"),
        };
        var immunisation = new Immunization
        {
            Identifier = [new Identifier(system, $"IMM-{c.ChildId}-MMR2")],
            Status = Immunization.ImmunizationStatusCodes.Completed,
            VaccineCode = new CodeableConcept { Text = "MMR, second dose" },
            Patient = new ResourceReference(patient),
            Occurrence = new FhirDateTime("2019-05-01"),
            PrimarySource = false,
        };
        return new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new() { FullUrl = $"urn:uuid:{Guid.NewGuid()}", Resource = encounter, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Encounter", IfNoneExist = $"identifier={system}|IHA-{c.ChildId}" } },
                new() { FullUrl = $"urn:uuid:{Guid.NewGuid()}", Resource = immunisation, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Immunization", IfNoneExist = $"identifier={system}|IMM-{c.ChildId}-MMR2" } },
            ],
        };
    }
}
