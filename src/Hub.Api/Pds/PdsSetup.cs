namespace Hub.Api.Pds;

/// <summary>`Hub:Pds`: the PDS client and the registration lookup the relationship rules ask.</summary>
public static class PdsSetup
{
    public static void AddPds(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<PdsOptions>(builder.Configuration.GetSection("Hub:Pds"));
        // Each attempt has its own timeout (PdsClient); the client's own would cut retries short. No request logging:
        // every PDS URL carries an NHS number, whatever log level is configured.
        builder.Services.AddHttpClient(PdsClient.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan).RemoveAllLoggers();
        builder.Services.AddSingleton<GpRegistrations>();
    }
}
