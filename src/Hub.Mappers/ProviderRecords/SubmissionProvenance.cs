using Hl7.Fhir.Model;

namespace Hub.Mappers.ProviderRecords;

/// <summary>One record a submission wrote: its versioned reference and whether it was new.</summary>
public sealed record WrittenRecord(string VersionedReference, bool Created);

/// <summary>
/// Who sent what, when (contract §5): one Provenance per submission and child, so it sits in that child's record and is
/// seen by whoever may see the record. Its targets are the versions the submission wrote and the child itself, the
/// compartment link a Provenance has in FHIR R4 (`Provenance.target.where(resolve() is Patient)`).
/// </summary>
public static class SubmissionProvenance
{
    const string DataOperation = "http://terminology.hl7.org/CodeSystem/v3-DataOperation";
    const string ParticipantType = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
    public const string OdsSystem = "https://fhir.nhs.uk/Id/ods-organization-code";

    /// <param name="childId">The hub's Patient id.</param>
    /// <param name="written">The versions this submission wrote for the child, in entry order.</param>
    /// <param name="sender">ODS code of the sending organisation.</param>
    /// <param name="senderKind">Its organisation type (provider, gp).</param>
    /// <param name="submission">The sender's own identifier of the submission (Bundle.identifier), when it gave one.</param>
    public static Provenance For(string childId, IReadOnlyList<WrittenRecord> written, string sender, string senderKind, DateTimeOffset recorded, Identifier? submission)
    {
        if (written.Count == 0) throw new ArgumentException("A Provenance records something written", nameof(written));
        // A submission that created anything created the child's record of it; one that only changed records updated it.
        var (code, display) = written.Any(w => w.Created) ? ("CREATE", "create") : ("UPDATE", "update");
        var provenance = new Provenance
        {
            Target = [.. written.Select(w => new ResourceReference(w.VersionedReference)), new ResourceReference($"Patient/{childId}")],
            Recorded = recorded,
            Activity = new CodeableConcept(DataOperation, code, display),
            Agent =
            [
                new Provenance.AgentComponent
                {
                    Type = new CodeableConcept(ParticipantType, "author", "Author"),
                    Who = new ResourceReference($"Organization/{sender}") { Identifier = new Identifier(OdsSystem, sender) },
                    Role = [new CodeableConcept { Text = $"Sent by a {senderKind} system" }],
                },
            ],
        };
        if (submission is not null)
            provenance.Entity.Add(new Provenance.EntityComponent
            {
                Role = Provenance.ProvenanceEntityRole.Source,
                What = new ResourceReference { Identifier = submission, Display = "The submitted Bundle" },
            });
        return provenance;
    }
}
