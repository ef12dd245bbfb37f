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
    string? AccessReason = null,
    Hub.Consent.Decisions.Decision? Basis = null,
    IReadOnlyList<string>? Masked = null);

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
            OutcomeDesc = OutcomeOf(a),
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
        if (a.Caller.Via is { } hub)
            // The peer hub that relayed the caller: recorded, never the requestor (decisions.md "hub": audit both).
            ev.Agent.Add(new AuditEvent.AgentComponent
            {
                Type = new CodeableConcept("https://fhir.carehub.org.uk/CodeSystem/org-type", hub.OrgType),
                Who = new ResourceReference { Identifier = OrgIdentifier(hub), Display = $"{hub.OrgType} {hub.Org}" },
                AltId = hub.ClientId,
                Requestor = false,
            });
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
        if ((a.AccessReason ?? a.Caller.AccessReason) is { } reason)
            ev.Entity.Add(new AuditEvent.EntityComponent { Name = "access-reason", Description = reason });
        if (a.Basis is { } basis)
        {
            // BALP: the Consents the decision was based on, and the policy version that made it.
            foreach (var consent in basis.ConsentsUsed)
                ev.Entity.Add(new AuditEvent.EntityComponent { What = new ResourceReference(consent), Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"), Role = new Coding("http://terminology.hl7.org/CodeSystem/object-role", "13", "Security Resource") });
            if (basis.PolicyVersion is { } version)
                ev.Entity.Add(new AuditEvent.EntityComponent { Name = "consent-policy", Description = version });
        }
        return new AuditRow
        {
            Id = id, Recorded = now, AgentOrg = a.Caller.Org, AgentType = a.Caller.OrgType, Purpose = a.Caller.Purpose,
            Action = a.Action, Outcome = Hl7.Fhir.Utility.EnumUtility.GetLiteral(a.Outcome) ?? "0",
            PatientId = a.PatientId, Json = FhirFormat.SerializeToString(ev),
        };
    }

    /// <summary>The outcome text, then (when a consent decision was made) its verdict, obligations, reasons and policy version.</summary>
    static string? OutcomeOf(AuditRecord a)
    {
        if (a.Basis is not { } d) return a.Decision;
        var lines = new List<string>();
        if (a.Decision is not null) lines.Add(a.Decision);
        lines.Add($"decision: {d.Verdict}");
        if (d.Permitted) lines.Add("obligations: " + string.Join("; ", d.Obligations.Describe()));
        // Which released resources went out masked, and by which views (MASK, reference/consent.md §3.6).
        if (a.Masked is { Count: > 0 } masked) lines.Add("masked: " + string.Join("; ", masked));
        lines.Add("reasons: " + string.Join("; ", d.Reasons));
        if (d.ConsentsUsed.Count > 0) lines.Add("consents: " + string.Join(", ", d.ConsentsUsed));
        if (d.PolicyVersion is not null) lines.Add($"policy: {d.PolicyVersion}");
        return string.Join("\n", lines);
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
