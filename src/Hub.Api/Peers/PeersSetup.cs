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
    sealed class ResumeFetchesAtStart(IServiceScopeFactory scopes) : IHostedService
    {
        public async System.Threading.Tasks.Task StartAsync(CancellationToken ct)
        {
            using var scope = scopes.CreateScope();
            await scope.ServiceProvider.GetRequiredService<KeptSummaryFetch>().ResumeAsync(ct);
        }

        public System.Threading.Tasks.Task StopAsync(CancellationToken ct) => System.Threading.Tasks.Task.CompletedTask;
    }
}
