using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using Hub.Consent.Decisions;
using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;
using Hub.Mappers.Summary;

namespace Hub.Api.Peers;

/// <summary>
/// What a receiving hub keeps of a child another hub told it about, and who may read it (pure).
///
/// The child lives on the sending hub. Here it gets a local Patient stub (identifiers, the LA, the host ICB as its
/// placement), because every read decision in this hub starts from a Patient's facts: with the stub, the received
/// notification and the kept summary sit in the child's compartment and go through the same relationship and consent
/// decision as any record. The kept summary is the sending hub's document Bundle as it answered for the host ICB,
/// stored whole as a Bundle resource (a document is signed off as one; taking it apart would make records of ours
/// out of another hub's view), linked from the notification's payload and tagged as kept.
/// </summary>
public static class KeptSummary
{
    /// <summary>meta.tag of everything kept from a peer hub; the code is the peer's name.</summary>
    public const string PeerTagSystem = "https://fhir.carehub.org.uk/Id/peer-hub";
    /// <summary>meta.tag of a kept summary Bundle.</summary>
    public const string KindSystem = "https://fhir.carehub.org.uk/CodeSystem/peer-copy";
    public const string StubCode = "patient-stub", SummaryCode = "kept-summary", NotificationCode = "received-notification";

    /// <summary>The same child from the same hub has one stub, whichever notification brings it (ids are [A-Za-z0-9.-]{1,64}).</summary>
    public static string StubId(string sourcePatientUrl) => "peer-" + Digest(sourcePatientUrl);

    /// <summary>A repeated notification (same identifier) lands on the same id: receiving it again changes nothing.</summary>
    public static string NotificationId(string system, string value) => "peer-" + Digest(system + "|" + value);

    public static string SummaryId(string notificationId) => "kept-" + Digest(notificationId);

    static string Digest(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)))[..40];

    public static bool IsKept(Resource r) => r is Bundle && r.Meta?.Tag.Any(t => t.System == KindSystem && t.Code == SummaryCode) == true;

    /// <summary>
    /// Whether this reader may have the kept summary whole. It was fetched as the host ICB sees the child, so only the
    /// host ICB role (the ICB of the placement and the providers it commissions) may read it, and only when this hub's
    /// own decision for the reader would show every section it shows and withhold none of its records. Anything else
    /// is not found: the reader asks the sending hub, which decides on its own, complete facts.
    /// </summary>
    public static bool MayRelease(Decision decision, Bundle kept, IReadOnlyDictionary<string, DataClass> sectionClasses, Func<Resource, bool> withholds)
    {
        if (!decision.Permitted || decision.Role != RequesterRole.HostIcb) return false;
        var resources = kept.Entry.Select(e => e.Resource).OfType<Resource>().ToList();
        if (resources.FirstOrDefault() is not Composition composition) return false;
        foreach (var section in composition.Section)
        {
            var code = section.Code?.Coding.FirstOrDefault(c => c.System == SummarySections.System)?.Code;
            var shown = section.EmptyReason?.Coding.Any(c => c.Code == "withheld") != true;
            if (!shown) continue;
            if (code is null || !sectionClasses.TryGetValue(code, out var cls)) return false; // a section we cannot judge is not released
            if (decision.Obligations.HoldsBack(cls)) return false;
        }
        // The child and the organisations are the document's frame, shown by the sending hub to whoever may see the child.
        // Labelled on copies: the labels decide, the kept document stays as the sending hub wrote it.
        return !resources.Skip(1).Where(r => r is not (Patient or Organization)).Any(r => withholds((Resource)r.DeepCopy()));
    }

    /// <summary>The id part of <c>{base}/Patient/{id}</c> (a version suffix dropped); null when the URL is not that.</summary>
    public static string? PatientIdOf(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u)) return null;
        var segments = u.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var at = Array.LastIndexOf(segments, "Patient");
        if (at < 0 || at + 1 >= segments.Length) return null;
        var rest = segments.Length - at - 2;
        if (rest != 0 && !(rest == 2 && segments[at + 2] == "_history")) return null;
        var id = segments[at + 1];
        return System.Text.RegularExpressions.Regex.IsMatch(id, "^[A-Za-z0-9\\-\\.]{1,64}$") ? id : null;
    }
}
