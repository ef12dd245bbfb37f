namespace Hub.Api.Storage;

/// <summary>The current version of a resource, as FHIR JSON with its meta filled in.</summary>
public sealed class ResourceRow
{
    public required string Type { get; set; }
    public required string Id { get; set; }
    public int Version { get; set; }
    public DateTime LastUpdated { get; set; }
    public bool Deleted { get; set; }
    /// <summary>The Patient whose compartment holds this resource (its own id for a Patient); null for reference data.</summary>
    public string? PatientId { get; set; }
    public required string Json { get; set; }
    /// <summary>SHA-256 of the resource without its meta version and date: an import that would write the same content writes nothing.</summary>
    public string? ContentHash { get; set; }
}

/// <summary>Every version ever written, the current one included: vread and history read from here.</summary>
public sealed class ResourceVersionRow
{
    public required string Type { get; set; }
    public required string Id { get; set; }
    public int Version { get; set; }
    public DateTime LastUpdated { get; set; }
    public bool Deleted { get; set; }
    /// <summary>POST, PUT or DELETE: how this version came to be.</summary>
    public required string Method { get; set; }
    public required string Json { get; set; }
}

/// <summary>
/// A token search value (identifier, code, status, _tag …). Index rows are keyed by their own columns: the key's
/// (Type, Id) prefix serves the per-resource lookups, so no surrogate key and no second index cost every write.
/// </summary>
public sealed class TokenIndexRow
{
    public required string Type { get; set; }
    public required string Id { get; set; }
    public required string Param { get; set; }
    /// <summary>The code system; empty when the value has none (a key column cannot be null).</summary>
    public required string System { get; set; }
    public required string Code { get; set; }
}

/// <summary>A reference search value, split into target type and id.</summary>
public sealed class ReferenceIndexRow
{
    public required string Type { get; set; }
    public required string Id { get; set; }
    public required string Param { get; set; }
    public required string TargetType { get; set; }
    public required string TargetId { get; set; }
}

/// <summary>A date search value as the instant range it covers.</summary>
public sealed class DateIndexRow
{
    public required string Type { get; set; }
    public required string Id { get; set; }
    public required string Param { get; set; }
    public DateTime Start { get; set; }
    public DateTime End { get; set; }
}

/// <summary>A string search value, lower-cased and stripped of accents for prefix matching.</summary>
public sealed class StringIndexRow
{
    public required string Type { get; set; }
    public required string Id { get; set; }
    public required string Param { get; set; }
    public required string Value { get; set; }
}

/// <summary>
/// What the KPIs read from one resource (<see cref="Hub.Mappers.Kpis.KpiRecord"/>), kept beside it as its search index
/// is: written, replaced and deleted with it.
/// </summary>
public sealed class KpiRecordRow
{
    public required string Type { get; set; }
    public required string Id { get; set; }
    public required string PatientId { get; set; }
    public Hub.Mappers.Kpis.KpiRecordKind Kind { get; set; }
    public string? Code { get; set; }
    public DateOnly Start { get; set; }
    public DateOnly? End { get; set; }
    public string? LegalStatus { get; set; }
    public string? ReasonNewEpisode { get; set; }
    public string? PlacementIcb { get; set; }
    public bool? Flag { get; set; }
    public int? Score { get; set; }

    public static KpiRecordRow? Of(string type, string id, string? patientId, Hub.Mappers.Kpis.KpiRecord? record) =>
        record is null || patientId is null ? null : new KpiRecordRow
        {
            Type = type, Id = id, PatientId = patientId, Kind = record.Kind, Code = record.Code, Start = record.Start, End = record.End,
            LegalStatus = record.LegalStatus, ReasonNewEpisode = record.ReasonNewEpisode, PlacementIcb = record.PlacementIcb,
            Flag = record.Flag, Score = record.Score,
        };
}

/// <summary>
/// What the access decision needs to know about a child, kept beside the Patient and written in the same
/// transaction, so a read needs one query to know both the resource and who may see it.
/// </summary>
public sealed class PatientFactsRow
{
    public required string PatientId { get; set; }
    public string? NhsNumber { get; set; }
    /// <summary>DfE LA number of the LA that looks after the child (Patient.managingOrganization).</summary>
    public string? ManagingLa { get; set; }
    /// <summary>ODS code of the GP practice the child is registered with (Patient.generalPractitioner).</summary>
    public string? RegisteredGp { get; set; }
    public DateOnly? BirthDate { get; set; }
    /// <summary>An adoption record: never served again except to the LA that owns it.</summary>
    public bool Sealed { get; set; }
    /// <summary>The collection year of the return that sealed the record: its own re-import is no reuse of the CHILD id.</summary>
    public int? SealedYear { get; set; }
    /// <summary>The LA's own id for the child (SSDA903 CHILD), unique only within that LA.</summary>
    public string? LaChildId { get; set; }
    /// <summary>Looked after now: an open episode.</summary>
    public bool LookedAfter { get; set; }
    /// <summary>ICB of the current placement (the host ICB), from the placement postcode or the LA.</summary>
    public string? PlacementIcb { get; set; }
    /// <summary>When no placement is open: the ICB of the last one and the day it ended (a host ICB keeps access for 90 days).</summary>
    public string? LastPlacementIcb { get; set; }
    public DateOnly? LastPlacementEnded { get; set; }
    /// <summary>A care leaver until this day (the 25th birthday); null when not a care leaver.</summary>
    public DateOnly? CareLeaverUntil { get; set; }
}

/// <summary>An AuditEvent; kept apart from other resources because it is append-only and written on every read.</summary>
public sealed class AuditRow
{
    public long Key { get; set; }
    public required string Id { get; set; }
    public DateTime Recorded { get; set; }
    public required string AgentOrg { get; set; }
    public required string AgentType { get; set; }
    public string? Purpose { get; set; }
    /// <summary>The FHIR interaction or operation (read, search-type, create, $summary …).</summary>
    public required string Action { get; set; }
    /// <summary>AuditEvent.outcome: 0 success, 4 minor failure (refused), 8 serious failure.</summary>
    public required string Outcome { get; set; }
    public string? PatientId { get; set; }
    public required string Json { get; set; }
}

/// <summary>A postcode area, district or sector and the ICB it lies in (reference data, postcode-icb.csv).</summary>
public sealed class PostcodeIcbRow
{
    public required string Prefix { get; set; }
    public required string Icb { get; set; }
}

/// <summary>An SSDA903 import run as a background job: its progress and, once done, its result.</summary>
public sealed class ImportJobRow
{
    public required string Id { get; set; }
    public required string La { get; set; }
    public int Year { get; set; }
    /// <summary>queued, running, done, failed</summary>
    public required string State { get; set; }
    public int ChildrenDone { get; set; }
    public int ChildrenTotal { get; set; }
    public required string Stage { get; set; }
    public DateTime Created { get; set; }
    public DateTime? Finished { get; set; }
    /// <summary>HTTP status of the finished import: 200 committed, 422 rejected.</summary>
    public int? ResultStatus { get; set; }
    /// <summary>The OperationOutcome of the finished import, as FHIR JSON.</summary>
    public string? ResultJson { get; set; }
    /// <summary>Where the uploaded files wait for the job (deleted once it has run).</summary>
    public required string Folder { get; set; }
}

/// <summary>
/// A placement notification still to be delivered (contract section 6): the delivery's own bookkeeping, kept out of the
/// Communication because attempts are the hub's concern, not part of the child's record. The row goes when the
/// Communication is completed or stopped.
/// </summary>
public sealed class NotificationDeliveryRow
{
    public required string CommunicationId { get; set; }
    public DateTime Created { get; set; }
    /// <summary>Attempts started so far; also the claim token, so two sweeps never attempt the same delivery at once.</summary>
    public int Attempts { get; set; }
    /// <summary>When the next attempt may start (while an attempt runs: when its claim lapses).</summary>
    public DateTime DueAt { get; set; }
    public string? LastFailure { get; set; }
}
