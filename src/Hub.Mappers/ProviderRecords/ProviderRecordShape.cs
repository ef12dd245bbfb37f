using Hl7.Fhir.Model;
using Hub.Mappers.Identifiers;
using Hub.Mappers.Ssda903.Mapping;

namespace Hub.Mappers.ProviderRecords;

/// <summary>
/// A provider's record as the hub keeps it (contract §5): everything the provider sent stays (its identifiers, codings,
/// UK Core profile claims), and the hub adds what makes it a CLA record: the CLA profile it was checked against, the
/// sender as the organisation that carried out an assessment that names none, and the NHS number on the reference that
/// now points at the hub's own Patient.
/// </summary>
public static class ProviderRecordShape
{
    /// <param name="record">The resource, its references already resolved to the hub's records.</param>
    /// <param name="sender">ODS code of the organisation that sent it.</param>
    /// <param name="claProfile">The CLA profile the record was held to (null: FHIR R4 core only).</param>
    /// <param name="childNhsNumber">The NHS number by which the record named the child, when it did.</param>
    public static void Normalise(Resource record, string sender, string? claProfile, string? childNhsNumber)
    {
        if (claProfile is not null)
        {
            record.Meta ??= new Meta();
            if (!record.Meta.Profile.Contains(claProfile)) record.Meta.Profile = [.. record.Meta.Profile, claProfile];
        }
        // Who did the assessment is what a designated nurse asks first; a team's system often leaves it to the message.
        if (record is Encounter { ServiceProvider: null } e && IsAssessment(e))
            e.ServiceProvider = new ResourceReference($"Organization/{sender}");
        if (childNhsNumber is not null)
            foreach (var r in ChildReferences(record))
                r.Identifier ??= new Identifier(NhsNumber.System, childNhsNumber);
    }

    /// <summary>An IHA or RHA (or dental check) as decisions.md tells them apart: a type coding of cla-health.</summary>
    public static bool IsAssessment(Encounter e) => e.Type.Any(t => t.Coding.Any(c => c.System == Cla.HealthSystem));

    /// <summary>The references by which a record names the child it is about.</summary>
    static IEnumerable<ResourceReference> ChildReferences(Resource r)
    {
        ResourceReference?[] refs = r switch
        {
            Encounter e => [e.Subject],
            Observation o => [o.Subject],
            Immunization i => [i.Patient],
            Condition c => [c.Subject],
            AllergyIntolerance a => [a.Patient],
            MedicationStatement m => [m.Subject],
            CarePlan p => [p.Subject],
            DocumentReference d => [d.Subject],
            Flag f => [f.Subject],
            _ => [],
        };
        return refs.OfType<ResourceReference>().Where(x => x.Reference?.StartsWith("Patient/", StringComparison.Ordinal) == true);
    }
}
