using Hangfire;
using Hl7.Fhir.Model;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Conformance;
using Hub.Api.Fhir;
using Hub.Api.Notifications;
using Hub.Api.ReferenceData;
using Hub.Api.Search;
using Hub.Api.Storage;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Peers;

/// <summary>
/// <c>POST /fhir/Communication</c> from a peer hub: a placement notification (contract §6) for a host ICB this hub
/// serves. It is checked (the peer is configured, the child's link leads back to that same peer, the ICB and LA are
/// known), validated, stored with a Patient stub for the child (see <see cref="KeptSummary"/>), and the summary is then
/// fetched from the peer by a job. The same notification again changes nothing. A hub may send nothing else.
/// </summary>
public sealed class PlacementNotificationReceiver(
    ResourceStore store,
    SearchIndexer indexer,
    ProfileValidator validator,
    OrganisationDirectory organisations,
    PeerDirectory peers,
    IBackgroundJobClient jobs,
    TimeProvider clock,
    ILogger<PlacementNotificationReceiver> log)
{
    HubDb Db => store.Db;

    public async Task<FhirResult> ReceiveAsync(Caller hub, Resource body, CancellationToken ct = default)
    {
        if (!Scopes.Allows(hub, "Communication", Scopes.Create)) throw FhirProblem.Forbidden("The token's scopes do not allow 'c' on Communication");
        // A registered hub client speaks as its Org, which names it in Hub:Peers: only peers we fetch from may tell us of children.
        var peer = peers.Named(hub.Org) ?? throw FhirProblem.Forbidden($"The hub '{hub.Org}' is not a configured peer (Hub:Peers)");
        if (body is not Communication received) throw FhirProblem.Invalid($"POST Communication takes a Communication, not a {body.TypeName}", "resourceType");
        var notice = Read(received, peer);
        var outcome = await validator.ValidateAsync(received);
        if (ValidationIssues.HasErrors(outcome))
        {
            outcome.Issue.RemoveAll(i => i.Severity is not (OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal));
            throw new FhirProblem(400, ValidationIssues.Clarify(outcome));
        }

        var id = KeptSummary.NotificationId(notice.System, notice.Value);
        if (await store.ReadAsync("Communication", id) is { } known) return Unchanged(known.Row);
        try
        {
            var row = await StoreAsync(hub, peer, received, notice, id, ct);
            // Should this enqueue fail, the peer is answered 500 and delivers again, which enqueues anew (Unchanged).
            jobs.Enqueue<KeptSummaryFetch>(f => f.FetchAsync(id, 0, CancellationToken.None));
            log.LogInformation("Placement notification {CommunicationId} received from peer {Peer} for ICB {Icb}", id, peer.Name, notice.Icb);
            return new FhirResult
            {
                Status = 201, Json = row.Json, Location = $"Communication/{row.Id}/_history/{row.Version}",
                VersionId = row.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), LastModified = row.LastUpdated,
            };
        }
        catch (DbUpdateException)
        {
            // The same notification arrived twice at once (the peer retried a slow delivery): the first one stands.
            Db.ChangeTracker.Clear();
            if (await store.ReadAsync("Communication", id) is { } stored) return Unchanged(stored.Row);
            throw;
        }
    }

    /// <summary>
    /// A notification received before: nothing is stored again. One still fetching gets its job again, in case the job
    /// of the first delivery was lost (the fetch is idempotent: a second run finds it completed and does nothing).
    /// </summary>
    FhirResult Unchanged(ResourceRow row)
    {
        if (!row.Deleted && FhirFormat.ParseJson(row.Json) is Communication { Status: EventStatus.InProgress })
            jobs.Enqueue<KeptSummaryFetch>(f => f.FetchAsync(row.Id, 0, CancellationToken.None));
        return Stored(row);
    }

    static FhirResult Stored(ResourceRow row) => new()
    {
        Status = 200, Json = row.Json, VersionId = row.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), LastModified = row.LastUpdated,
    };

    /// <summary>What the notification says, as far as this hub relies on it.</summary>
    public sealed record Notice(string System, string Value, string SourcePatientUrl, string RemotePatientId, string Icb, string La, Identifier? Child);

    /// <summary>The checks a notification from <paramref name="peer"/> must pass; 422 names what is wrong (never anything of the child).</summary>
    Notice Read(Communication c, Peer peer)
    {
        static FhirProblem Unprocessable(string text, string location) => FhirProblem.Of(422, OperationOutcome.IssueType.BusinessRule, text, location);
        if (!c.Category.SelectMany(k => k.Coding).Any(k => k.System == PlacementNotice.CategorySystem && k.Code == "placement-out-of-area"))
            throw Unprocessable($"A hub may only send placement notifications (category {PlacementNotice.CategorySystem}|placement-out-of-area)", "Communication.category");
        var identifier = c.Identifier.FirstOrDefault(i => i.System == PlacementNotice.IdentifierSystem && !string.IsNullOrWhiteSpace(i.Value))
            ?? throw Unprocessable($"A placement notification needs an identifier of system {PlacementNotice.IdentifierSystem}", "Communication.identifier");
        var source = c.Subject?.Reference;
        // The summary will be fetched from where the subject points: only ever from the peer that sent the notification.
        if (source is null || peers.Find(source) is not { } owner || owner.Name != peer.Name)
            throw Unprocessable($"Communication.subject must be an absolute reference to a Patient at the sending hub ({peer.Config.FhirBase}); it is not fetched from anywhere else", "Communication.subject");
        var remoteId = KeptSummary.PatientIdOf(source) ?? throw Unprocessable("Communication.subject must be {base}/Patient/{id}", "Communication.subject");
        if (c.Recipient.Count != 1) throw Unprocessable("A placement notification names one recipient, the host ICB", "Communication.recipient");
        var icb = LastSegmentCode(c.Recipient[0], "Organization");
        if (organisations.Find(icb) is not { Kind: "icb" }) throw Unprocessable("Communication.recipient is not an ICB in this hub's reference data", "Communication.recipient");
        var la = LastSegmentCode(c.Sender, "Organization");
        if (organisations.Find(la) is not { Kind: "la" }) throw Unprocessable("Communication.sender is not an LA in this hub's reference data", "Communication.sender");
        return new Notice(identifier.System!, identifier.Value!, source, remoteId, icb!, la!, c.Subject!.Identifier);
    }

    /// <summary>"Organization/QE1" or "https://peer/fhir/Organization/QE1" → QE1: reference data codes are the same in every hub.</summary>
    static string? LastSegmentCode(ResourceReference? r, string type)
    {
        if (r?.Reference is not { } s) return r?.Identifier?.Value;
        var parts = s.Split('/');
        return parts.Length >= 2 && parts[^2] == type ? parts[^1] : null;
    }

    async Task<ResourceRow> StoreAsync(Caller hub, Peer peer, Communication received, Notice n, string id, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var stubId = KeptSummary.StubId(n.SourcePatientUrl);
        await using var tx = await Db.Database.BeginTransactionAsync(ct);
        var stub = await Db.PatientFacts.FirstOrDefaultAsync(f => f.PatientId == stubId, ct);
        if (stub is null)
        {
            var patient = Stub(stubId, n, peer.Name);
            await store.StageWriteAsync(patient, null, "POST", indexer.Extract(patient), stubId);
            stub = Db.PatientFacts.Local.First(f => f.PatientId == stubId);
        }
        // The facts this hub decides on: looked after by the LA, placed in the notified ICB's area (the latest notification's).
        stub.LookedAfter = true;
        stub.PlacementIcb = n.Icb;
        stub.LastPlacementIcb = null;
        stub.LastPlacementEnded = null;

        var communication = Localise(received, id, stubId, peer.Name, n, now);
        var row = await store.StageWriteAsync(communication, null, "POST", indexer.Extract(communication), stubId);
        Db.Audit.Add(AuditEvents.ToRow(new AuditRecord(hub, "create", AuditEvent.AuditEventOutcome.N0, stubId, [$"Communication/{id}"],
            $"placement notification received from peer hub {peer.Name}"), now.UtcDateTime));
        await Db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return row;
    }

    /// <summary>
    /// The child as far as the notification tells: its NHS number (an LA's own child id is left on the notification,
    /// since it is unique only within that LA's returns, which this hub may import too) and the LA looking after it.
    /// </summary>
    static Patient Stub(string stubId, Notice n, string peerName) => new()
    {
        Id = stubId,
        Meta = new Meta
        {
            Source = n.SourcePatientUrl,
            Tag = [new Coding(KeptSummary.PeerTagSystem, peerName), new Coding(KeptSummary.KindSystem, KeptSummary.StubCode)],
        },
        Identifier = n.Child is { System: PatientFacts.NhsNumberSystem } nhs ? [(Identifier)nhs.DeepCopy()] : [],
        ManagingOrganization = new ResourceReference($"Organization/{n.La}"),
    };

    /// <summary>
    /// The notification as this hub keeps it: about the local stub (the peer's link kept as meta.source), addressed with
    /// local reference-data links so the host ICB finds it by <c>recipient=Organization/{ICB}</c>. Its status here is the
    /// summary's: in-progress while it is fetched, completed once kept, stopped if given up.
    /// </summary>
    static Communication Localise(Communication received, string id, string stubId, string peerName, Notice n, DateTimeOffset now)
    {
        var c = (Communication)received.DeepCopy();
        c.Id = id;
        c.Meta = new Meta
        {
            Profile = received.Meta?.Profile is { } p && p.Any() ? p : [PlacementNotice.Profile],
            Source = n.SourcePatientUrl,
            Tag = [new Coding(KeptSummary.PeerTagSystem, peerName), new Coding(KeptSummary.KindSystem, KeptSummary.NotificationCode)],
        };
        c.Subject = new ResourceReference($"Patient/{stubId}") { Identifier = (Identifier?)n.Child?.DeepCopy() };
        c.Recipient = [new ResourceReference($"Organization/{n.Icb}") { Display = received.Recipient[0].Display }];
        c.Sender = new ResourceReference($"Organization/{n.La}") { Display = received.Sender?.Display };
        c.Status = EventStatus.InProgress;
        c.StatusReason = null;
        c.Received = now.ToString("yyyy-MM-ddTHH:mm:ssK", System.Globalization.CultureInfo.InvariantCulture);
        return c;
    }
}
