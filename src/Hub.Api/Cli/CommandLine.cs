using System.CommandLine;
using Hub.Api.Auth;
using Hub.Api.Hosting;
using Hub.Api.ReferenceData;
using Hub.Api.Storage;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Cli;

/// <summary>The CLI in the hub's own executable: `dotnet run --project src/Hub.Api -- &lt;command&gt;`.</summary>
public static class CommandLine
{
    static readonly HashSet<string> Commands = ["reference", "token", "--help", "-h", "-?", "help"];

    public static bool Handles(string first) => Commands.Contains(first);

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand(
            "CareHub: a FHIR R4 gateway for the health records of children looked after.\n" +
            "Without a command the hub starts (add --demo for the embedded database with demo data, --urls to choose the address).");
        root.Subcommands.Add(ReferenceCommand());
        root.Subcommands.Add(TokenCommand());
        if (args is ["help"]) args = ["--help"];
        return await root.Parse(args).InvokeAsync();
    }

    static Command ReferenceCommand()
    {
        var folder = new Argument<DirectoryInfo>("folder") { Description = "Folder holding organisations.csv and postcode-icb.csv" };
        var load = new Command("load", "Load (upsert) reference data: organisations, notification endpoints, postcode → ICB") { folder };
        load.SetAction(async (parse, ct) =>
        {
            var dir = parse.GetValue(folder)!;
            if (!dir.Exists) { Console.Error.WriteLine($"{dir.FullName}: folder not found"); return 2; }
            await using var app = HubApp.Build([]);
            await HubApp.MigrateAsync(app, ct);
            using var scope = app.Services.CreateScope();
            try
            {
                var r = await scope.ServiceProvider.GetRequiredService<ReferenceLoader>().LoadAsync(dir.FullName, ct);
                Console.WriteLine($"Loaded {r.Organisations} organisations ({r.Created} resources created, {r.Updated} updated, {r.Unchanged} unchanged) and {r.Postcodes} postcode prefixes from {dir.FullName}");
                return 0;
            }
            catch (ReferenceDataException e) { Console.Error.WriteLine(e.Message); return 1; }
        });
        return new Command("reference", "Reference data (contract section 3)") { load };
    }

    static Command TokenCommand()
    {
        var org = new Option<string>("--org") { Description = "ODS code, or the DfE LA number for an LA", Required = true };
        var orgType = new Option<string>("--org-type") { Description = "icb, gp, la, provider, young-person, hub or admin", Required = true };
        var role = new Option<string?>("--role") { Description = "designated-professional, cla-health-team, social-worker or personal-adviser" };
        var purpose = new Option<string>("--purpose") { Description = "purpose_of_use code", DefaultValueFactory = _ => "direct-care" };
        var nhs = new Option<string?>("--nhs") { Description = "NHS number (young-person tokens only)" };
        var cmd = new Command("token", "Print an access token signed with the hub's own key (for scripts and the demo)") { org, orgType, role, purpose, nhs };
        cmd.SetAction(async (parse, ct) =>
        {
            var type = parse.GetValue(orgType)!;
            if (!OrgTypes.All.Contains(type)) { Console.Error.WriteLine($"--org-type: '{type}' is not one of {string.Join(", ", OrgTypes.All)}"); return 2; }
            if (!PurposesOfUse.All.Contains(parse.GetValue(purpose)!)) { Console.Error.WriteLine($"--purpose: '{parse.GetValue(purpose)}' is not one of {string.Join(", ", PurposesOfUse.All)}"); return 2; }
            if ((type == OrgTypes.YoungPerson) != (parse.GetValue(nhs) is not null)) { Console.Error.WriteLine("--nhs is needed for, and only for, --org-type young-person"); return 2; }
            await using var app = HubApp.Build([]);
            var issuer = app.Services.GetRequiredService<TokenIssuer>();
            Console.WriteLine(issuer.Issue(parse.GetValue(org)!, type, parse.GetValue(role), parse.GetValue(purpose)!, parse.GetValue(nhs), "system/*.cruds", "cli"));
            await System.Threading.Tasks.Task.CompletedTask;
            return 0;
        });
        return cmd;
    }
}
