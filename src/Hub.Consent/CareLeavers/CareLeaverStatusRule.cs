using Hub.Consent.Consents;
using Hub.Consent.Policy;
using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;

namespace Hub.Consent.CareLeavers;

/// <summary>What a GP practice is told about one NHS number (contract §7).</summary>
public enum CareLeaverStatus { CareLeaver, LookedAfter, NotKnown, Invalid }

/// <summary>One record the hub holds under the NHS number (an LA's child; one person may have records with two LAs).</summary>
public sealed record HeldRecord(string PatientId, bool Sealed, bool LookedAfter, DateOnly? CareLeaverUntil, string? ManagingLa);

/// <summary>The answer for one number: for a care leaver, until when (the 25th birthday) and which LA supports them.</summary>
public sealed record CareLeaverAnswer(CareLeaverStatus Status, DateOnly? EligibleUntil = null, string? LocalAuthority = null, string? PatientId = null)
{
    public static readonly CareLeaverAnswer NotKnown = new(CareLeaverStatus.NotKnown);
    public static readonly CareLeaverAnswer Invalid = new(CareLeaverStatus.Invalid);
}

/// <summary>
/// Who a GP practice may be told is a care leaver or looked after (contract §7, reference/consent.md §3.3 G1/G3):
/// pure, so every case is a row of a table test. The order matters: nothing about a number is said before the
/// practice is known to be the registered one, and a sealed (adopted) record silences every other record of the number.
/// </summary>
public static class CareLeaverStatusRule
{
    public const string CareLeaverCode = "care-leaver", LookedAfterCode = "looked-after", NotKnownCode = "not-known", InvalidCode = "invalid";

    public static string Code(this CareLeaverStatus s) => s switch
    {
        CareLeaverStatus.CareLeaver => CareLeaverCode,
        CareLeaverStatus.LookedAfter => LookedAfterCode,
        CareLeaverStatus.Invalid => InvalidCode,
        _ => NotKnownCode,
    };

    /// <param name="validNumber">Ten digits with a right modulus 11 check digit.</param>
    /// <param name="records">The hub's records under the number (and under the number PDS says supersedes it).</param>
    /// <param name="registeredWithCaller">PDS (or, without PDS, the hub's own records) names the calling practice as the GP.</param>
    /// <param name="askedNotToBeIdentified">An in-force Consent refuses care-leaver-support (<see cref="AskedNotToBeIdentified"/>).</param>
    public static CareLeaverAnswer Of(bool validNumber, IReadOnlyList<HeldRecord> records, bool registeredWithCaller, bool askedNotToBeIdentified, DateOnly today)
    {
        if (!validNumber) return CareLeaverAnswer.Invalid;
        // Adoption seals the record for good (contract §4): never confirmed, never linked to another record of the number.
        if (records.Count == 0 || records.Any(r => r.Sealed)) return CareLeaverAnswer.NotKnown;
        if (!registeredWithCaller || askedNotToBeIdentified) return CareLeaverAnswer.NotKnown;
        // Looked after now wins: a child back in care is not (yet) a care leaver, whatever an older record says.
        if (records.FirstOrDefault(r => r.LookedAfter) is { } lookedAfter)
            return new(CareLeaverStatus.LookedAfter, PatientId: lookedAfter.PatientId);
        var leaver = records.Where(r => r.CareLeaverUntil is { } until && until > today)
            .OrderByDescending(r => r.CareLeaverUntil).ThenBy(r => r.PatientId, StringComparer.Ordinal).FirstOrDefault();
        return leaver is null ? CareLeaverAnswer.NotKnown
            : new(CareLeaverStatus.CareLeaver, leaver.CareLeaverUntil, leaver.ManagingLa, leaver.PatientId);
    }

    /// <summary>
    /// The young person (or whoever holds consent authority for them, §3.4) has refused care-leaver-support to this
    /// caller: an in-force Consent whose provision denies that purpose, combined as every other Consent is (latest per
    /// performer, deny overrides, only entitled performers count). Returns the Consents that refuse, empty when none.
    /// </summary>
    public static IReadOnlyList<string> AskedNotToBeIdentified(IReadOnlyList<Hl7.Fhir.Model.Consent> consents, AccessRequest caller, SubjectFacts child,
        ConsentPolicy policy, DateTimeOffset now)
    {
        if (consents.Count == 0) return [];
        return ConsentCombination.Combine(consents, caller, child, Purpose.CareLeaverSupport, policy, now).DeniedBy;
    }
}
