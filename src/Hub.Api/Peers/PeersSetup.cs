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

    /// <summary>
    /// <c>POST /fhir/Communication</c>: a peer hub's placement notification goes to the receiver; anyone else's
    /// Communication is the ordinary create, exactly as the generic <c>{type}</c> route would do it.
    /// </summary>
    public static void MapPeerNotifications(this RouteGroupBuilder fhir) =>
        fhir.MapPost("Communication", async (HttpContext http, FhirService svc, PlacementNotificationReceiver receiver) =>
        {
            var caller = FhirEndpoints.Caller(http);
            var resource = await FhirEndpoints.ReadBodyAsync(http);
            // Not cancelled with the request: a notification stored while its sender gave up waiting still gets its fetch job.
            if (caller.OrgType == OrgTypes.Hub) return await FhirEndpoints.Write(http, await receiver.ReceiveAsync(caller, resource));
            if (resource.TypeName != "Communication") throw FhirProblem.Invalid($"The body is a {resource.TypeName}, but the URL names Communication", "resourceType");
            var ifNoneExist = http.Request.Headers["If-None-Exist"].ToString();
            return await FhirEndpoints.Write(http, await svc.CreateAsync(caller, resource, string.IsNullOrEmpty(ifNoneExist) ? null : ifNoneExist));
        });

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
