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
    static readonly HashSet<string> Commands = ["reference", "token", "import", "generate", "--help", "-h", "-?", "help"];

    public static bool Handles(string first) => Commands.Contains(first);

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand(
            "CareHub: a FHIR R4 gateway for the health records of children looked after.\n" +
            "Without a command the hub starts (add --demo for the embedded database with demo data, --urls to choose the address).");
        root.Subcommands.Add(ReferenceCommand());
        root.Subcommands.Add(TokenCommand());
        root.Subcommands.Add(ImportCommand());
        root.Subcommands.Add(GenerateCommand.Command());
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

    static Command ImportCommand()
    {
        var la = new Option<string>("--la") { Description = "DfE 3-digit LA number of the LA whose return this is", Required = true };
        var year = new Option<int>("--year") { Description = "Collection year by its ending year (2025 = 2024/25)", Required = true };
        var path = new Argument<string>("path") { Description = "Folder of CSV files, one EXPSSDA903 XML file, or a zip" };
        var ssda903 = new Command("ssda903", "Import an LA's SSDA903 return (contract section 4). Exit 0: every child imported; 1: rejected or some quarantined; 2: bad usage") { la, year, path };
        ssda903.SetAction(async (parse, ct) =>
        {
            var target = parse.GetValue(path)!;
            if (!Directory.Exists(target) && !File.Exists(target)) { Console.Error.WriteLine($"{target}: no such folder or file"); return 2; }
            var y = parse.GetValue(year);
            if (y < Hub.Mappers.Ssda903.Ssda903Tables.FirstYear || y > Hub.Mappers.Ssda903.Ssda903Tables.LatestYear)
            { Console.Error.WriteLine($"--year: {y} is not a collection year from {Hub.Mappers.Ssda903.Ssda903Tables.FirstYear} to {Hub.Mappers.Ssda903.Ssda903Tables.LatestYear}"); return 2; }
            await using var app = HubApp.Build([]);
            await HubApp.InitialiseAsync(app, ct, warmValidator: false);
            using var scope = app.Services.CreateScope();
            var importer = scope.ServiceProvider.GetRequiredService<Ssda903.Ssda903Importer>();
            var caller = new Caller("carehub-cli", OrgTypes.Admin, null, "direct-care", null, ["system/*.cruds"], "cli");
            var result = await ImportProgressBar.RunAsync(p => importer.ImportAsync(caller, parse.GetValue(la)!, y, target, p, ct));
            Console.WriteLine(result.Counts);
            foreach (var i in result.Issues.Where(i => i.Severity == Hub.Mappers.Ssda903.IssueSeverity.Error))
                Console.WriteLine($"error   {i.Location}  {(i.Child is null ? "" : $"CHILD {i.Child}: ")}{i.Text}");
            var warnings = result.Issues.Count(i => i.Severity == Hub.Mappers.Ssda903.IssueSeverity.Warning);
            if (warnings > 0) Console.WriteLine($"{warnings} warnings (nothing was blocked by them)");
            if (!result.Committed) { Console.WriteLine("Import rejected: nothing was written."); return 1; }
            if (result.Quarantined > 0) { Console.WriteLine($"{result.Quarantined} children quarantined (listed above); the rest were imported."); return 1; }
            return 0;
        });
        return new Command("import", "Import data into the hub") { ssda903 };
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
