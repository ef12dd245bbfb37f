namespace Hub.Api.Pds;

/// <summary>`Hub:Pds`: the PDS FHIR API the hub asks who a patient's GP practice is (contract §7, reference/fhir-uk.md §5).</summary>
public sealed class PdsOptions
{
    /// <summary>Base URL of the PDS FHIR API (…/personal-demographics/FHIR/R4); none: registration comes from the hub's own records.</summary>
    public string? BaseUrl { get; set; }
    /// <summary>One PDS read gives up after this long and counts as a failed attempt.</summary>
    public double TimeoutSeconds { get; set; } = 5;
    /// <summary>How long a PDS answer is reused: registrations change rarely and a GP system asks in bulk, often.</summary>
    public int CacheSeconds { get; set; } = 3600;
    /// <summary>Further attempts after a failed one (timeout, connection error, 429, 5xx), with doubling delays.</summary>
    public int Retries { get; set; } = 2;
    public int RetryDelayMilliseconds { get; set; } = 200;
    /// <summary>PDS reads in flight at once for one request.</summary>
    public int MaxConcurrency { get; set; } = 8;
    /// <summary>The Retry-After a caller gets with 503 when PDS cannot be reached.</summary>
    public int RetryAfterSeconds { get; set; } = 30;

    public bool Configured => !string.IsNullOrWhiteSpace(BaseUrl);
}
