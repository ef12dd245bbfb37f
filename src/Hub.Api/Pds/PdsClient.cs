using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Hub.Api.Pds;

/// <summary>What PDS says about one NHS number, as far as GP registration goes.</summary>
public enum PdsOutcome
{
    /// <summary>A Patient: <see cref="PdsAnswer.Practices"/> are its current GP practices (ODS codes).</summary>
    Found,
    /// <summary>`meta.security` R (S-flag): PDS removes the GP, so no practice is disclosed.</summary>
    Restricted,
    /// <summary>404 (or 400 for a number PDS will not read).</summary>
    NotFound,
    /// <summary>404 INVALIDATED_RESOURCE: the number was invalidated with no successor (e.g. adoption).</summary>
    Invalidated,
}

/// <param name="NhsNumber">The Patient's id as PDS answered it: differs from the number asked when that number is superseded.</param>
public sealed record PdsAnswer(PdsOutcome Outcome, string? NhsNumber, IReadOnlyList<string> Practices)
{
    public static readonly PdsAnswer NotFound = new(PdsOutcome.NotFound, null, []);
    public static readonly PdsAnswer Invalidated = new(PdsOutcome.Invalidated, null, []);

    public bool RegisteredWith(string practice) => Outcome == PdsOutcome.Found && Practices.Contains(practice, StringComparer.OrdinalIgnoreCase);
}

/// <summary>PDS could not give an answer (down, timing out, 5xx after retries, refusing us): the caller gets 503, never a guess.</summary>
public sealed class PdsUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// `GET {base}/Patient/{nhsNumber}` on the PDS FHIR API with a fresh `X-Request-ID`, read leniently (only id,
/// meta.security and generalPractitioner matter). Retries what may pass (timeouts, connection errors, 429, 5xx).
/// </summary>
public sealed class PdsClient(HttpClient http, IOptions<PdsOptions> options, TimeProvider clock, ILogger<PdsClient> log)
{
    public const string HttpClientName = "pds";
    const string OdsSystem = "https://fhir.nhs.uk/Id/ods-organization-code";
    const string Confidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

    PdsOptions Options => options.Value;

    public async Task<PdsAnswer> ReadAsync(string nhsNumber, CancellationToken ct)
    {
        var o = Options;
        var url = $"{o.BaseUrl!.TrimEnd('/')}/Patient/{nhsNumber}";
        var delay = TimeSpan.FromMilliseconds(o.RetryDelayMilliseconds);
        for (var attempt = 0; ; attempt++)
        {
            string failure;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(TimeSpan.FromSeconds(o.TimeoutSeconds));
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, url);
                    request.Headers.Add("X-Request-ID", Guid.NewGuid().ToString());
                    request.Headers.Accept.ParseAdd("application/fhir+json");
                    using var response = await http.SendAsync(request, timeout.Token);
                    var body = await response.Content.ReadAsStringAsync(timeout.Token);
                    if (response.IsSuccessStatusCode) return Read(body, clock.GetUtcNow());
                    if (response.StatusCode == HttpStatusCode.NotFound) return IsInvalidated(body) ? PdsAnswer.Invalidated : PdsAnswer.NotFound;
                    if (response.StatusCode == HttpStatusCode.BadRequest) return PdsAnswer.NotFound;
                    if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout) && (int)response.StatusCode < 500)
                        throw new PdsUnavailableException($"PDS refused the read: HTTP {(int)response.StatusCode}");
                    failure = $"HTTP {(int)response.StatusCode}";
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested) { failure = "timed out"; }
                catch (HttpRequestException e) { failure = e.HttpRequestError.ToString(); }
                catch (JsonException) { throw new PdsUnavailableException("PDS answered with a body that is not JSON"); }
            }
            // The status only: the URL carries the NHS number, which stays out of the logs.
            log.LogWarning("PDS read failed ({Failure}), attempt {Attempt} of {Attempts}", failure, attempt + 1, o.Retries + 1);
            if (attempt >= o.Retries) throw new PdsUnavailableException($"PDS could not be reached: {failure} after {attempt + 1} attempts");
            await Task.Delay(delay, clock, ct);
            delay *= 2;
        }
    }

    /// <summary>The Patient's id, its S-flag and the GP practices whose registration period has not ended.</summary>
    public static PdsAnswer Read(string json, DateTimeOffset now)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var id = root.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        if (root.TryGetProperty("meta", out var meta) && meta.TryGetProperty("security", out var security) && security.ValueKind == JsonValueKind.Array
            && security.EnumerateArray().Any(s => Str(s, "system") == Confidentiality && Str(s, "code") == "R"))
            return new(PdsOutcome.Restricted, id, []);
        var practices = new List<string>();
        if (root.TryGetProperty("generalPractitioner", out var gps) && gps.ValueKind == JsonValueKind.Array)
            foreach (var gp in gps.EnumerateArray())
            {
                if (!gp.TryGetProperty("identifier", out var identifier) || Str(identifier, "system") != OdsSystem || Str(identifier, "value") is not { Length: > 0 } code) continue;
                if (identifier.TryGetProperty("period", out var period) && Str(period, "end") is { Length: > 0 } end
                    && DateTimeOffset.TryParse(end, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var ended)
                    && ended < now) continue;
                practices.Add(code);
            }
        return new(PdsOutcome.Found, id, practices);
    }

    static bool IsInvalidated(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("issue", out var issues) && issues.ValueKind == JsonValueKind.Array
                && issues.EnumerateArray().Any(issue => issue.TryGetProperty("details", out var d) && d.TryGetProperty("coding", out var codings)
                    && codings.ValueKind == JsonValueKind.Array && codings.EnumerateArray().Any(c => Str(c, "code") == "INVALIDATED_RESOURCE"));
        }
        catch (JsonException) { return false; }
    }

    static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
