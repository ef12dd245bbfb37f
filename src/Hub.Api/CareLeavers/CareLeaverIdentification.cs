using Hub.Api.Access;
using Hub.Api.Auth;
using Hub.Api.Pds;
using Hub.Api.Storage;
using Hub.Consent.CareLeavers;
using Hub.Mappers.Identifiers;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.CareLeavers;

/// <summary>One number's answer, and the hub's records it was given from (for the audit and the Flag search).</summary>
public sealed record Identified(CareLeaverAnswer Answer, IReadOnlyList<string> PatientIds);

/// <summary>
/// Answers "is this a care leaver (or looked after), for this GP practice?" for many NHS numbers at once (contract §7):
/// one set-based query for every number, GP registration only for numbers the hub holds as looked after or a care leaver
/// (PDS when configured, else the hub's records), their Consents in one query, then the pure rule
/// (<see cref="CareLeaverStatusRule"/>). `$identify-care-leavers` and the GP's care-leaver Flag search both ask here, so
/// they cannot disagree.
/// </summary>
public sealed class CareLeaverIdentification(HubDb db, Relationships relationships, TimeProvider clock)
{
    /// <summary>The Retry-After for a caller refused because PDS could not be reached.</summary>
    public int RetryAfterSeconds => relationships.Registrations.RetryAfterSeconds;

    /// <summary>Numbers per IN list: within every provider's parameter limits, and one query for a whole 10,000 call.</summary>
    const int ChunkSize = 10_000;

    /// <summary>The answers in the order given; <paramref name="given"/> as the caller wrote them (null when absent).</summary>
    /// <exception cref="PdsUnavailableException">PDS is configured and could not answer for a number that needs it.</exception>
    public async Task<IReadOnlyList<Identified>> IdentifyAsync(Caller caller, IReadOnlyList<string?> given, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var numbers = given.Select(g => NhsNumber.IsValid(g) ? NhsNumber.Normalise(g) : null).ToList();
        var held = await HeldUnderAsync(numbers.OfType<string>().Distinct(StringComparer.Ordinal).ToList(), ct);

        // Only a number the hub holds as looked after or a care leaver (and never sealed) can be answered with more than
        // not-known: the rest need no registration and no Consent, and PDS is never asked about them.
        var candidates = held.Where(kv => !kv.Value.Any(f => f.Sealed) && kv.Value.Any(f => f.LookedAfter || f.CareLeaverUntil > today))
            .Select(kv => kv.Key).ToList();
        var registered = await RegisteredWithCallerAsync(caller, candidates, held, ct);
        var objected = await AskedNotToBeIdentifiedAsync(caller, registered.Select(n => held[n]).SelectMany(r => r).ToList(), now);

        var result = new List<Identified>(given.Count);
        foreach (var n in numbers)
        {
            if (n is null) { result.Add(new(CareLeaverAnswer.Invalid, [])); continue; }
            var records = held.GetValueOrDefault(n) ?? [];
            var answer = CareLeaverStatusRule.Of(true, [.. records.Select(Held)], registered.Contains(n),
                records.Any(r => objected.Contains(r.PatientId)), today);
            result.Add(new(answer, answer.Status is CareLeaverStatus.CareLeaver or CareLeaverStatus.LookedAfter ? [.. records.Select(r => r.PatientId)] : []));
        }
        return result;
    }

    static HeldRecord Held(PatientFactsRow f) => new(f.PatientId, f.Sealed, f.LookedAfter, f.CareLeaverUntil, f.ManagingLa);

    /// <summary>The hub's records under each number, in as many queries as chunks (one for up to 10,000 numbers).</summary>
    async Task<Dictionary<string, List<PatientFactsRow>>> HeldUnderAsync(IReadOnlyList<string> numbers, CancellationToken ct)
    {
        var rows = new List<PatientFactsRow>();
        foreach (var chunk in numbers.Chunk(ChunkSize))
            rows.AddRange(await db.PatientFacts.AsNoTracking().Where(f => f.NhsNumber != null && chunk.Contains(f.NhsNumber)).ToListAsync(ct));
        return rows.GroupBy(r => r.NhsNumber!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
    }

    /// <summary>
    /// The numbers whose patient is registered with the calling practice. With PDS: its answer (restricted, not found and
    /// invalidated disclose no practice); a superseded number's records and the superseding number's are the same person
    /// (decisions.md), so the latter join the former's in <paramref name="held"/>. Without PDS: the hub's own records.
    /// </summary>
    async Task<HashSet<string>> RegisteredWithCallerAsync(Caller caller, List<string> candidates, Dictionary<string, List<PatientFactsRow>> held, CancellationToken ct)
    {
        var registered = new HashSet<string>(StringComparer.Ordinal);
        if (candidates.Count == 0) return registered;
        var registrations = relationships.Registrations;
        if (!registrations.PdsConfigured)
        {
            foreach (var n in candidates)
                if (held[n].Any(f => string.Equals(f.RegisteredGp, caller.Org, StringComparison.OrdinalIgnoreCase))) registered.Add(n);
            return registered;
        }

        var answers = await registrations.LookUpAsync(candidates, ct);
        var superseding = answers.Where(a => a.Value.NhsNumber is { } id && id != a.Key && NhsNumber.IsValid(id))
            .ToDictionary(a => a.Key, a => a.Value.NhsNumber!, StringComparer.Ordinal);
        if (superseding.Count > 0)
        {
            var more = await HeldUnderAsync(superseding.Values.Distinct(StringComparer.Ordinal).ToList(), ct);
            foreach (var (asked, current) in superseding)
                if (more.TryGetValue(current, out var rows))
                    held[asked] = [.. held[asked], .. rows.Where(r => held[asked].All(h => h.PatientId != r.PatientId))];
        }
        foreach (var n in candidates)
            if (answers[n].RegisteredWith(caller.Org)) registered.Add(n);
        return registered;
    }

    /// <summary>The children (patient ids) whose Consents refuse care-leaver-support to this caller: one query for all Consents, one for their facts.</summary>
    async Task<HashSet<string>> AskedNotToBeIdentifiedAsync(Caller caller, List<PatientFactsRow> children, DateTimeOffset now)
    {
        var objected = new HashSet<string>(StringComparer.Ordinal);
        if (children.Count == 0) return objected;
        var consents = await Relationships.ConsentsAsync(db, [.. children.Select(c => c.PatientId).Distinct(StringComparer.Ordinal)]);
        if (consents.Count == 0) return objected;
        var withConsents = children.Where(c => consents.ContainsKey(c.PatientId)).DistinctBy(c => c.PatientId)
            .Select(c => (c, (IReadOnlyList<Hl7.Fhir.Model.Consent>)consents[c.PatientId])).ToList();
        var facts = await relationships.ConsentFactsAsync(db, withConsents);
        var request = relationships.RequestOf(caller);
        foreach (var (child, list) in withConsents)
            if (CareLeaverStatusRule.AskedNotToBeIdentified(list, request, facts[child.PatientId], Relationships.Policy, now).Count > 0)
                objected.Add(child.PatientId);
        return objected;
    }

    /// <summary>
    /// The NHS number of a GP's Flag search that asks the care-leaver question (contract §7): `patient.identifier` an
    /// NHS number and `code` the cla-flag care-leaver code; null for any other search.
    /// </summary>
    public static string? CareLeaverQuestionIn(Caller caller, string type, IReadOnlyList<(string Name, string Value)> query)
    {
        if (caller.OrgType != OrgTypes.Gp || type != "Flag") return null;
        var asksCareLeaver = query.Any(q => q.Name == "code" && q.Value.Split(',').Contains(CareLeaverFlagToken, StringComparer.Ordinal));
        var patients = query.Where(q => q.Name == "patient.identifier" && q.Value.StartsWith(NhsNumber.System + "|", StringComparison.Ordinal)).ToList();
        return asksCareLeaver && patients.Count == 1 ? patients[0].Value[(NhsNumber.System.Length + 1)..] : null;
    }

    public const string CareLeaverFlagToken = "https://fhir.carehub.org.uk/CodeSystem/cla-flag|care-leaver";
}
