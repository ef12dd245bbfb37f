using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hub.Mappers.Identifiers;
using Hub.Mappers.Ssda903.Mapping;

namespace Hub.Mappers.Ssda903.Generation;

/// <summary>A CLA health team: an NHS provider (ODS code) and the postcode areas of the ICB that commissions it.</summary>
public sealed record HealthTeam(string Ods, IReadOnlyList<string> PostcodeAreas);

/// <summary>A GP practice (ODS code) and the postcode areas of its ICB, where a child living there may be registered.</summary>
public sealed record GpPracticeArea(string Ods, IReadOnlyList<string> PostcodeAreas);

public enum ProviderRecordKind { InitialHealthAssessment, ReviewHealthAssessment, Immunisation }

/// <summary>A vaccine as the provider's system names it: a coding only where one is confirmed, otherwise text.</summary>
public sealed record Vaccine(string Key, string Text, string? System = null, string? Code = null, string? Display = null);

/// <summary>One thing a CLA health team recorded about a child; its system knows the child by NHS number only.</summary>
public sealed record ProviderRecord(string Team, string Child, string NhsNumber, ProviderRecordKind Kind, DateOnly Date, Vaccine? Vaccine = null)
{
    /// <summary>The record's id in the provider's system: the same record, the same id, however often it is sent.</summary>
    public string Identifier => Kind switch
    {
        ProviderRecordKind.InitialHealthAssessment => $"IHA-{NhsNumber}-{Date:yyyyMMdd}",
        ProviderRecordKind.ReviewHealthAssessment => $"RHA-{NhsNumber}-{Date:yyyyMMdd}",
        _ => $"IMM-{NhsNumber}-{Vaccine!.Key}-{Date:yyyyMMdd}",
    };
}

/// <summary>
/// What CLA health teams record for the children of a generated return: the initial health assessment soon after a
/// child comes into care, reviews every six months under 5 and every year from 5, and the immunisation history taken
/// from the child health record at assessment. Only the last three years before the return's end are kept.
/// </summary>
sealed class HealthRecords
{
    /// <summary>One episode's dates and placement postcode: where the child lived, so which team saw the child.</summary>
    public sealed record Stay(DateOnly Start, DateOnly? End, string? Postcode);

    /// <summary>
    /// The routine UK schedule doses a looked-after child's history shows. No SNOMED CT or dm+d codes for them are confirmed
    /// (reference/fhir-uk.md §6.2), so they go as text, as a provider's system would send an uncoded entry.
    /// </summary>
    static readonly (Vaccine Vaccine, int AgeMonths)[] Schedule =
    [
        (new("MMR1", "Measles, mumps and rubella (MMR), first dose"), 12),
        (new("MMR2", "Measles, mumps and rubella (MMR), second dose"), 40),
        (new("DTAPIPV", "Diphtheria, tetanus, pertussis and polio (4-in-1 pre-school booster)"), 40),
        (new("HPV", "Human papillomavirus (HPV)"), 150),
        (new("TDIPV", "Tetanus, diphtheria and polio (3-in-1 teenage booster)"), 168),
        (new("MENACWY", "Meningococcal groups A, C, W and Y (MenACWY)"), 168),
    ];

    /// <summary>The one vaccine code confirmed for us: the dm+d concept of UK Core's influenza Immunization example.</summary>
    static readonly Vaccine Influenza = new("FLU", "Influenza (annual)", "https://dmd.nhs.uk", "11278411000001109",
        "Influenza vaccine (split virion, inactivated) suspension for injection 0.5ml pre-filled syringes (Pfizer Ltd)");

    readonly string responsible;
    readonly Dictionary<string, string> teamOfPrefix;
    readonly Random random;
    readonly DateOnly end, since;

    HealthRecords(string responsible, Dictionary<string, string> teamOfPrefix, Random random, int year) =>
        (this.responsible, this.teamOfPrefix, this.random, end, since) = (responsible, teamOfPrefix, random, new DateOnly(year, 3, 31), new DateOnly(year - 3, 4, 1));

    public List<ProviderRecord> Records { get; } = [];

    /// <summary>Null when no team covers the LA's own area: there is then no team responsible for its children's assessments.</summary>
    public static HealthRecords? For(IReadOnlyList<HealthTeam> teams, IReadOnlyList<string> home, Random random, int year)
    {
        var byPrefix = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var team in teams)
            foreach (var area in team.PostcodeAreas)
                byPrefix.TryAdd(area.Trim().ToUpperInvariant(), team.Ods);
        var responsible = home.Select(a => byPrefix.GetValueOrDefault(a.Trim().ToUpperInvariant())).FirstOrDefault(t => t is not null);
        return responsible is null ? null : new HealthRecords(responsible, byPrefix, random, year);
    }

    /// <param name="stays">The child's period of care, episode by episode.</param>
    /// <param name="always">Records for this child whatever the draw (the fixed scenarios).</param>
    public void Child(string child, string nhs, DateOnly dob, IReadOnlyList<Stay> stays, bool always)
    {
        if (stays.Count == 0) return;
        if (random.NextDouble() >= 0.6 && !always) return;
        var careStart = stays[0].Start;
        var left = Min(stays[^1].End ?? end, end);
        var current = stays[^1].End is null ? stays[^1] : null;

        // The team where the child lives now sees the child during that placement; everything else is the responsible team's.
        string TeamOn(DateOnly day) =>
            current is not null && day >= current.Start && TeamAt(current.Postcode) is { } host ? host : responsible;

        // The IHA is due within 20 working days of coming into care; many are late.
        var visit = careStart.AddDays(random.Next(14, 50));
        var kind = ProviderRecordKind.InitialHealthAssessment;
        while (visit <= left)
        {
            if (visit >= since) Records.Add(new(TeamOn(visit), child, nhs, kind, visit));
            visit = visit.AddMonths(Age(dob, visit) < 5 ? 6 : 12).AddDays(random.Next(-14, 40));
            kind = ProviderRecordKind.ReviewHealthAssessment;
        }

        foreach (var (vaccine, months) in Schedule)
        {
            var given = dob.AddMonths(months).AddDays(random.Next(0, 60));
            if (random.NextDouble() < 0.9 && given <= left) Records.Add(new(responsible, child, nhs, ProviderRecordKind.Immunisation, given, vaccine));
        }
        // The school-age flu programme, each autumn, for children from 2 to 16.
        for (var autumn = since.Year; autumn < end.Year; autumn++)
        {
            var given = new DateOnly(autumn, 10, 1).AddDays(random.Next(0, 75));
            var age = Age(dob, new DateOnly(autumn, 8, 31));
            if (random.NextDouble() < 0.55 && age is >= 2 and < 17 && given >= careStart && given <= left)
                Records.Add(new(responsible, child, nhs, ProviderRecordKind.Immunisation, given, Influenza));
        }
    }

    string? TeamAt(string? postcode) =>
        Placement.Prefixes(postcode).Select(p => teamOfPrefix.GetValueOrDefault(p)).FirstOrDefault(t => t is not null);

    static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;

    static int Age(DateOnly birth, DateOnly on)
    {
        var age = on.Year - birth.Year;
        return birth.AddYears(age) > on ? age - 1 : age;
    }
}

/// <summary>
/// Provider records as the teams' systems send them (contract §5, decisions.md "Provider records"): one transaction
/// Bundle per team of CLAHealthAssessment Encounters and R4 Immunizations, each naming the child by a conditional
/// reference on the NHS number and created only if its identifier is new, so sending a Bundle twice changes nothing.
/// </summary>
public static class ProviderBundles
{
    const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    static readonly JsonSerializerOptions Json = new JsonSerializerOptions { WriteIndented = true }.ForFhir();

    /// <summary>The conditional reference by which a provider names the hub's Patient.</summary>
    public static string PatientReference(string nhsNumber) => $"Patient?identifier={NhsNumber.System}|{nhsNumber}";

    /// <summary>One Bundle per team, teams in ODS code order, entries in the order the records were made.</summary>
    public static IReadOnlyList<(string Team, Bundle Bundle)> Build(IEnumerable<ProviderRecord> records) =>
        [.. records.GroupBy(r => r.Team).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, Transaction(g)))];

    public static Bundle Transaction(IEnumerable<ProviderRecord> records)
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        foreach (var r in records)
        {
            var system = Cla.ProviderRecordIdSystem(r.Team);
            var resource = Resource(r, system);
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"urn:uuid:{StableUuid(system + "|" + r.Identifier)}",
                Resource = resource,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = resource.TypeName, IfNoneExist = $"identifier={system}|{r.Identifier}" },
            });
        }
        return bundle;
    }

    public static void Write(Bundle bundle, Stream to) => JsonSerializer.Serialize(to, bundle, Json);

    static Resource Resource(ProviderRecord r, string system)
    {
        var date = r.Date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        if (r.Kind == ProviderRecordKind.Immunisation)
        {
            var v = r.Vaccine!;
            var code = new CodeableConcept { Text = v.Text };
            if (v.Code is not null) code.Coding.Add(new Coding(v.System, v.Code, v.Display));
            return new Immunization
            {
                Identifier = [new Identifier(system, r.Identifier)],
                Status = Immunization.ImmunizationStatusCodes.Completed,
                VaccineCode = code,
                Patient = new ResourceReference(PatientReference(r.NhsNumber)),
                Occurrence = new FhirDateTime(date),
                // Taken from the child health record at the assessment, not given by the team itself.
                PrimarySource = false,
            };
        }
        var (assessment, display) = r.Kind == ProviderRecordKind.InitialHealthAssessment
            ? (Cla.Assessments.Initial, Cla.Assessments.InitialDisplay)
            : (Cla.Assessments.Review, Cla.Assessments.ReviewDisplay);
        return new Encounter
        {
            Meta = new Meta { Profile = [Cla.Profile + "CLAHealthAssessment"] },
            Identifier = [new Identifier(system, r.Identifier)],
            Status = Encounter.EncounterStatus.Finished,
            Class = new Coding(ActCode, "AMB", "ambulatory"),
            Type = [new CodeableConcept { Coding = [new Coding(Cla.HealthSystem, assessment, display)] }],
            Subject = new ResourceReference(PatientReference(r.NhsNumber)),
            ServiceProvider = new ResourceReference($"Organization/{r.Team}"),
            Period = new Period { Start = date, End = date },
        };
    }

    /// <summary>A name-based UUID (RFC 4122 version 5 layout over SHA-1), so the same record gets the same fullUrl in every run.</summary>
    static Guid StableUuid(string name)
    {
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes(name));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
