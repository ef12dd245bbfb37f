using Hl7.Fhir.Model;
using Hub.Mappers.Identifiers;

namespace Hub.Tests.Http;

/// <summary>Builds test children: each call a new LA child id, so tests never see each other's data.</summary>
public static class Children
{
    static long next = Random.Shared.NextInt64(100_000_000, 800_000_000);

    public static string NewChildId() => "t" + Interlocked.Increment(ref next);
    /// <summary>A valid NHS number never issued before in this run: a stem without a check digit is skipped, not moved on
    /// to the next stem (which the next call would take too).</summary>
    public static string NewNhsNumber()
    {
        while (true)
        {
            var nine = (Interlocked.Increment(ref next) % 900_000_000 + 100_000_000).ToString("D9", System.Globalization.CultureInfo.InvariantCulture);
            if (NhsNumber.CheckDigit(nine) is { } check) return nine + check;
        }
    }

    public static Patient Patient(string la, string? childId = null, string? nhs = null, string? gp = null) => new()
    {
        Identifier =
        [
            new Identifier($"https://fhir.carehub.org.uk/Id/la-child-id/{la}", childId ?? NewChildId()),
            .. nhs is null ? Array.Empty<Identifier>() : [new Identifier(NhsNumber.System, nhs)],
        ],
        Gender = AdministrativeGender.Female,
        BirthDate = "2014-02-03",
        ManagingOrganization = new ResourceReference($"Organization/{la}"),
        GeneralPractitioner = gp is null ? [] : [new ResourceReference($"Organization/{gp}")],
    };

    public static string ChildIdOf(Patient p) => p.Identifier.First(i => i.System!.Contains("la-child-id")).Value!;

    public static EpisodeOfCare Episode(string la, string patientRef, string start) => new()
    {
        Identifier = [new Identifier($"https://fhir.carehub.org.uk/Id/la-episode/{la}", NewChildId())],
        Status = EpisodeOfCare.EpisodeOfCareStatus.Active,
        Patient = new ResourceReference(patientRef),
        ManagingOrganization = new ResourceReference($"Organization/{la}"),
        Period = new Period { Start = start },
    };
}
