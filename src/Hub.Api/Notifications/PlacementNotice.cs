using System.Globalization;
using Hl7.Fhir.Model;
using Hub.Mappers.Ssda903.Mapping;

namespace Hub.Api.Notifications;

/// <summary>
/// A child placed in another ICB's area, as one import or update found it: who, where, from when, and in which
/// episode. One placement (LA, CHILD, start, host ICB) is notified once, however often it is imported again.
/// </summary>
public sealed record PlacementNotice(string La, string LaName, string ChildId, string PatientId, string? NhsNumber, string EpisodeId,
    DateOnly PlacementStart, string HostIcb, string HostIcbName)
{
    public const string IdentifierSystem = "https://fhir.carehub.org.uk/Id/placement-notification";
    public const string CategorySystem = "https://fhir.carehub.org.uk/CodeSystem/cla-notification";
    public const string Profile = "https://fhir.carehub.org.uk/StructureDefinition/CLAPlacementNotification";

    /// <summary>The placement's own key: the same placement imported again finds the notification it already has.</summary>
    public string Key => $"{La}/{ChildId}/{PlacementStart:yyyy-MM-dd}/{HostIcb}";

    /// <summary>
    /// The Communication of contract section 6: in progress until delivered. It says no more than the host ICB needs
    /// to know a child is now in its area and how to ask for the summary: identifiers, placement start, who to ask.
    /// </summary>
    public Communication ToCommunication(string hubBaseUrl)
    {
        var start = PlacementStart.ToString("d MMMM yyyy", CultureInfo.InvariantCulture);
        var who = NhsNumber is null ? $"LA child id {ChildId}" : $"NHS number {NhsNumber}";
        var summary = NhsNumber is null
            ? $"GET {hubBaseUrl}/fhir/Patient/{PatientId}/$summary"
            : $"GET {hubBaseUrl}/fhir/Patient/$summary?identifier={NhsNumberSystem}|{NhsNumber}";
        return new Communication
        {
            Meta = new Meta { Profile = [Profile] },
            Identifier = [new Identifier(IdentifierSystem, Key)],
            Status = EventStatus.InProgress,
            Category = [new CodeableConcept(CategorySystem, "placement-out-of-area", "Looked after child placed in your area")],
            Subject = new ResourceReference($"Patient/{PatientId}")
            {
                Identifier = NhsNumber is null ? new Identifier($"https://fhir.carehub.org.uk/Id/la-child-id/{La}", ChildId) : new Identifier(NhsNumberSystem, NhsNumber),
            },
            About = [new ResourceReference($"EpisodeOfCare/{EpisodeId}")],
            Recipient = [new ResourceReference($"Organization/{HostIcb}") { Display = HostIcbName }],
            Sender = new ResourceReference($"Organization/{La}") { Display = LaName },
            Payload =
            [
                new Communication.PayloadComponent { Content = new FhirString($"A child looked after by {LaName} (LA {La}), {who}, has been placed in your area from {start}.") },
                new Communication.PayloadComponent { Content = new FhirString($"Request the health summary: {summary}") },
            ],
        };
    }

    static string NhsNumberSystem => Hub.Mappers.Identifiers.NhsNumber.System;

    /// <summary>The notice for a child whose status says it is placed out of area, from its open episode; null otherwise.</summary>
    public static PlacementNotice? Of(CareStatus status, IEnumerable<EpisodeOfCare> episodes, string la, string laName, string childId, string patientId,
        string? nhsNumber, Func<string, string> icbName)
    {
        if (!status.PlacedOutOfArea || status.PlacementIcb is not { } icb || status.PlacementStart is not { } start) return null;
        var open = episodes.FirstOrDefault(e => e.Status == EpisodeOfCare.EpisodeOfCareStatus.Active && e.Id is not null
            && ChildMapper.TryDay(e.Period?.Start, out var d) && d == start);
        return open is null ? null : new PlacementNotice(la, laName, childId, patientId, nhsNumber, open.Id!, start, icb, icbName(icb));
    }
}
