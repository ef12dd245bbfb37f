using Hub.Api.Auth;
using Hub.Api.Fhir;
using Microsoft.Extensions.Options;

namespace Hub.Api.Peers;

/// <summary>Hub to hub: <c>Hub:Peers</c>, signing in at them, answering them, and keeping what they notify.</summary>
public static class PeersSetup
{
    public static void AddPeers(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var config = builder.Configuration;
        services.AddOptions<PeersOptions>().Configure(o => o.Peers = config.GetSection("Hub:Peers").Get<List<PeerHub>>() ?? []).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PeersOptions>, PeersOptionsValidator>();
        services.Configure<KeptSummaryOptions>(config.GetSection("Hub:KeptSummaries"));
        services.AddSingleton<PeerDirectory>();
        services.AddSingleton<PeerSignIn>();
        services.AddHttpClient(PeerSignIn.HttpClientName);
        services.AddScoped<PlacementNotificationReceiver>();
        services.AddScoped<KeptSummaryFetch>();
        services.AddHostedService<ResumeFetchesAtStart>();
    }

    /// <summary>A serving hub picks up the fetches a restart interrupted (a job may have been lost between commit and enqueue).</summary>
    /// It runs beside the start, never in front of it: the hub must answer within seconds of starting (contract §1),
    /// and a slow or failed look for interrupted fetches is no reason not to serve.
    sealed class ResumeFetchesAtStart(IServiceScopeFactory scopes, ILogger<ResumeFetchesAtStart> log) : BackgroundService
    {
        protected override async System.Threading.Tasks.Task ExecuteAsync(CancellationToken ct)
        {
            try
            {
                using var scope = scopes.CreateScope();
                await scope.ServiceProvider.GetRequiredService<KeptSummaryFetch>().ResumeAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Could not look for kept-summary fetches interrupted by a restart; they are looked for again at the next start");
            }
        }
    }
}
