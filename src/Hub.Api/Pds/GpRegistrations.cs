using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Hub.Api.Pds;

/// <summary>
/// Which practice a child is registered with, from PDS when it is configured (decisions.md "Who is who": GP_REGISTERED):
/// answers cached in memory for `Hub:Pds:CacheSeconds`, many numbers read at most `Hub:Pds:MaxConcurrency` at a time.
/// Without PDS the hub's own records (Patient.generalPractitioner → PatientFactsRow.RegisteredGp) decide, in the caller.
/// </summary>
public sealed class GpRegistrations(IHttpClientFactory http, IOptions<PdsOptions> options, TimeProvider clock, ILoggerFactory logs)
{
    readonly ConcurrentDictionary<string, (PdsAnswer Answer, DateTimeOffset Until)> cache = new(StringComparer.Ordinal);

    public bool PdsConfigured => options.Value.Configured;
    public int RetryAfterSeconds => options.Value.RetryAfterSeconds;

    /// <summary>PDS's answer for each number (cached ones first); throws <see cref="PdsUnavailableException"/> if any cannot be had.</summary>
    public async Task<IReadOnlyDictionary<string, PdsAnswer>> LookUpAsync(IReadOnlyCollection<string> nhsNumbers, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var answers = new ConcurrentDictionary<string, PdsAnswer>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var n in nhsNumbers.Distinct(StringComparer.Ordinal))
            if (cache.TryGetValue(n, out var c) && c.Until > now) answers[n] = c.Answer;
            else missing.Add(n);
        if (missing.Count == 0) return answers;

        var o = options.Value;
        var client = new PdsClient(http.CreateClient(PdsClient.HttpClientName), options, clock, logs.CreateLogger<PdsClient>());
        // One failure fails the whole request: the others are cancelled rather than read for an answer never given.
        await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, o.MaxConcurrency), CancellationToken = ct },
            async (n, token) =>
            {
                var answer = await client.ReadAsync(n, token);
                answers[n] = answer;
                cache[n] = (answer, clock.GetUtcNow().AddSeconds(o.CacheSeconds));
            });
        if (cache.Count > 200_000) Prune();
        return answers;
    }

    /// <summary>Drops expired answers, so a long-running hub keeps only what is still in date.</summary>
    void Prune()
    {
        var now = clock.GetUtcNow();
        foreach (var (k, v) in cache)
            if (v.Until <= now) cache.TryRemove(k, out _);
    }
}
