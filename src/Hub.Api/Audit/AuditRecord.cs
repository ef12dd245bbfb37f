using Hl7.Fhir.Model;
using Hub.Api.Auth;
using Hub.Api.Fhir;
using Hub.Api.Storage;

namespace Hub.Api.Audit;

/// <summary>What happened, to whom, by whom: one AuditEvent before it is stored.</summary>
public sealed record AuditRecord(
    Caller Caller,
    string Action,
    AuditEvent.AuditEventOutcome Outcome,
    string? PatientId,
    IReadOnlyList<string> Resources,
    string? Decision = null,
    string? Query = null,
    string? AccessReason = null);

/// <summary>Turns an AuditRecord into a FHIR AuditEvent (DICOM/HL7 rest audit shape) and its stored row.</summary>
public static class AuditEvents
{
    const string Interactions = "http://hl7.org/fhir/restful-interaction";
    const string Operations = "https://fhir.carehub.org.uk/CodeSystem/operation";

    public static AuditRow ToRow(AuditRecord a, DateTime now)
    {
        var id = Guid.NewGuid().ToString("N");
        var ev = new AuditEvent
        {
            Id = id,
            Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation"),
            Subtype = [a.Action.StartsWith('$') ? new Coding(Operations, a.Action) : new Coding(Interactions, a.Action)],
            Action = ActionOf(a.Action),
            Recorded = new DateTimeOffset(now),
            Outcome = a.Outcome,
            OutcomeDesc = a.Decision,
            PurposeOfEvent = [new CodeableConcept("https://fhir.carehub.org.uk/CodeSystem/purpose-of-use", a.Caller.Purpose)],
            Agent =
            [
                new AuditEvent.AgentComponent
                {
                    Type = new CodeableConcept("https://fhir.carehub.org.uk/CodeSystem/org-type", a.Caller.OrgType),
                    Who = new ResourceReference { Identifier = OrgIdentifier(a.Caller), Display = a.Caller.OrgType },
                    AltId = a.Caller.ClientId,
                    Requestor = true,
                    Role = a.Caller.Role is null ? [] : [new CodeableConcept("https://fhir.carehub.org.uk/CodeSystem/requester-role", a.Caller.Role)],
                    PurposeOfUse = [new CodeableConcept("https://fhir.carehub.org.uk/CodeSystem/purpose-of-use", a.Caller.Purpose)],
                },
            ],
            Source = new AuditEvent.SourceComponent { Site = "CareHub", Observer = new ResourceReference { Display = "CareHub" } },
        };
        if (a.PatientId is not null)
            ev.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference("Patient/" + a.PatientId),
                Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"),
                Role = new Coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"),
            });
        foreach (var r in a.Resources.Where(r => a.PatientId is null || r != "Patient/" + a.PatientId).Take(100))
            ev.Entity.Add(new AuditEvent.EntityComponent { What = new ResourceReference(r), Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object") });
        if (a.Query is not null)
            ev.Entity.Add(new AuditEvent.EntityComponent { Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"), Query = System.Text.Encoding.UTF8.GetBytes(a.Query) });
        if (a.AccessReason is not null)
            ev.Entity.Add(new AuditEvent.EntityComponent { Name = "access-reason", Description = a.AccessReason });
        return new AuditRow
        {
            Id = id, Recorded = now, AgentOrg = a.Caller.Org, AgentType = a.Caller.OrgType, Purpose = a.Caller.Purpose,
            Action = a.Action, Outcome = Hl7.Fhir.Utility.EnumUtility.GetLiteral(a.Outcome) ?? "0",
            PatientId = a.PatientId, Json = FhirFormat.SerializeToString(ev),
        };
    }

    static Identifier OrgIdentifier(Caller c) => c.OrgType switch
    {
        OrgTypes.La => new Identifier(PatientFacts.LaNumberSystem, c.Org),
        OrgTypes.YoungPerson => new Identifier(PatientFacts.NhsNumberSystem, c.NhsNumber ?? c.Org),
        OrgTypes.Admin or OrgTypes.Hub => new Identifier("https://fhir.carehub.org.uk/Id/client", c.ClientId ?? c.Org),
        _ => new Identifier(PatientFacts.OdsSystem, c.Org),
    };

    static AuditEvent.AuditEventAction ActionOf(string action) => action switch
    {
        "create" => AuditEvent.AuditEventAction.C,
        "update" or "patch" => AuditEvent.AuditEventAction.U,
        "delete" => AuditEvent.AuditEventAction.D,
        "read" or "vread" or "history-instance" or "search-type" or "search-system" => AuditEvent.AuditEventAction.R,
        _ => AuditEvent.AuditEventAction.E,
    };
}
