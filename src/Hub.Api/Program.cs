using Hub.Api.Cli;
using Hub.Api.Demo;
using Hub.Api.Hosting;

// One executable: a known command runs the CLI, anything else starts the hub.
if (args.Length > 0 && CommandLine.Handles(args[0]))
    return await CommandLine.RunAsync(args);

var app = HubApp.Build(args);
await HubApp.InitialiseAsync(app);
await app.StartAsync();
var baseUrl = HubApp.BoundAddress(app) ?? HubApp.DefaultUrl;
if (args.Contains("--demo"))
{
    var loaded = await DemoLoader.LoadAsync(app, baseUrl);
    Console.WriteLine(DemoLoader.Banner(baseUrl, loaded));
}
else Console.WriteLine($"CareHub listening on {baseUrl} (FHIR base {baseUrl}/fhir)");
await app.WaitForShutdownAsync();
return 0;
