using System.Collections.Concurrent;

namespace Hub.Api.Auth;

/// <summary>Remembers the <c>jti</c> of every client assertion until it expires, so none is accepted twice.</summary>
/// <remarks>Per process and in memory: hubs run behind a load balancer would each keep their own list.</remarks>
public sealed class AssertionReplayGuard(TimeProvider time)
{
    const int SweepEvery = 256;

    readonly ConcurrentDictionary<(string ClientId, string Jti), DateTimeOffset> seen = new();
    int uses;

    /// <summary>True the first time a client's <paramref name="jti"/> is offered before <paramref name="expires"/>; false on a replay.</summary>
    public bool TryUse(string clientId, string jti, DateTimeOffset expires)
    {
        var now = time.GetUtcNow();
        if (Interlocked.Increment(ref uses) % SweepEvery == 0) Sweep(now);

        var key = (clientId, jti);
        while (true)
        {
            if (seen.TryAdd(key, expires)) return true;
            if (!seen.TryGetValue(key, out var until)) continue;
            if (until > now) return false;
            // The earlier assertion has expired, and with it the need to remember its jti.
            if (seen.TryUpdate(key, expires, until)) return true;
        }
    }

    public int Count => seen.Count;

    void Sweep(DateTimeOffset now)
    {
        foreach (var (key, until) in seen)
            if (until <= now) seen.TryRemove(new KeyValuePair<(string, string), DateTimeOffset>(key, until));
    }
}
