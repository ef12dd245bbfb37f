using Hl7.Fhir.Model;

namespace Hub.Api.Fhir;

/// <summary>The answer to one FHIR interaction, before it is put on the wire (or into a Bundle entry).</summary>
public sealed class FhirResult
{
    public int Status { get; init; } = 200;
    public Resource? Resource { get; init; }
    /// <summary>Stored FHIR JSON, sent as it is when the caller asked for JSON.</summary>
    public string? Json { get; init; }
    public string? Location { get; init; }
    public string? VersionId { get; init; }
    public DateTime? LastModified { get; init; }
    public OperationOutcome? Outcome { get; init; }

    public string? ETag => VersionId is null ? null : $"W/\"{VersionId}\"";

    public Resource? Body => Resource ?? (Json is null ? null : FhirFormat.ParseJson(Json));
}
