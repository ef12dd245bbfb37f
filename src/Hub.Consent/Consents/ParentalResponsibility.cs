using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;
using Hl7.Fhir.Model;

namespace Hub.Consent.Consents;

/// <summary>Who among the child's RelatedPersons may consent as a parent (§3.4 "parents with PR").</summary>
public static class ParentalResponsibility
{
    public const string RoleCodeSystem = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";

    /// <summary>
    /// v3-RoleCode relationships that carry parental responsibility: a parent (birth, adoptive) or a guardian. A step-parent,
    /// grandparent or foster carer does not hold PR by that relationship alone, so is not taken to.
    /// </summary>
    static readonly HashSet<string> PrRelationships = new(StringComparer.Ordinal)
        { "PRN", "MTH", "FTH", "NPRN", "NMTH", "NFTH", "ADOPTP", "ADOPTM", "ADOPTF", "GUARD" };

    /// <summary>The active RelatedPersons of this child whose relationship carries PR, as "RelatedPerson/{id}".</summary>
    public static IReadOnlyList<ResponsiblePerson> HoldersAmong(IEnumerable<RelatedPerson> people, string patientId) =>
        people.Where(p => p.Id is not null && p.Active != false && p.Patient?.Reference == "Patient/" + patientId
                          && p.Relationship.SelectMany(r => r.Coding).Any(c => c.System == RoleCodeSystem && c.Code is { } code && PrRelationships.Contains(code)))
            .Select(p => new ResponsiblePerson("RelatedPerson/" + p.Id, ConsentAuthority.Parent))
            .ToList();
}
