using Hl7.Fhir.Model;

namespace Hub.Api.Storage;

/// <summary>Reads the access-relevant facts off a Patient resource.</summary>
public static class PatientFacts
{
    public const string NhsNumberSystem = Hub.Mappers.Identifiers.NhsNumber.System;
    public const string OdsSystem = "https://fhir.nhs.uk/Id/ods-organization-code";
    public const string LaNumberSystem = Hub.Mappers.Ssda903.Mapping.Cla.LaNumberSystem;
    public const string LaChildIdSystemPrefix = Hub.Mappers.Ssda903.Mapping.Cla.ChildIdSystemPrefix;

    public static (string? NhsNumber, string? ManagingLa, string? RegisteredGp, DateOnly? BirthDate, string? LaChildId) From(Patient p)
    {
        var la = OrganisationCode(p.ManagingOrganization);
        return (p.Identifier.FirstOrDefault(i => i.System == NhsNumberSystem)?.Value,
            la,
            p.GeneralPractitioner.Select(OrganisationCode).FirstOrDefault(c => c is not null),
            DateOnly.TryParse(p.BirthDate, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : null,
            la is null ? null : p.Identifier.FirstOrDefault(i => i.System == LaChildIdSystemPrefix + la)?.Value);
    }

    /// <summary>Our Organizations have their ODS code or LA number as id; a logical reference by identifier works too.</summary>
    public static string? OrganisationCode(ResourceReference? r)
    {
        if (r is null) return null;
        if (r.Reference is { } s && s.StartsWith("Organization/", StringComparison.Ordinal)) return s["Organization/".Length..];
        return r.Identifier?.Value;
    }
}
