using System.CommandLine;
using Hub.Mappers.Ssda903;
using Hub.Api.ReferenceData;
using Hub.Mappers.Ssda903.Generation;

namespace Hub.Api.Cli;

/// <summary>`generate ssda903`: writes a realistic, valid synthetic return (decisions.md "The demo and the generator").</summary>
public static class GenerateCommand
{
    public static Command Command()
    {
        var la = new Option<string>("--la") { Description = "DfE 3-digit LA number; its ICB (organisations.csv) decides the home postcode areas", Required = true };
        var year = new Option<int>("--year") { Description = "Collection year by its ending year (2025 = 2024/25)", Required = true };
        var children = new Option<int>("--children") { Description = "Number of children in the return", Required = true };
        var seed = new Option<int>("--seed") { Description = "Same seed, same files", DefaultValueFactory = _ => 1 };
        var dir = new Argument<string>("dir") { Description = "Folder to write the CSV files into (created if missing)" };
        var ssda903 = new Command("ssda903", "Write a synthetic SSDA903 return as CSV files, plus child_identifiers.csv and provider-records/{ODS}.json (FHIR transaction Bundles of the CLA health teams). Exit 0: written; 2: bad usage") { la, year, children, seed, dir };
        ssda903.SetAction(parse =>
        {
            var (laNumber, y, count, folder) = (parse.GetValue(la)!, parse.GetValue(year), parse.GetValue(children), parse.GetValue(dir)!);
            if (laNumber.Length != 3 || !laNumber.All(char.IsAsciiDigit)) return Usage($"--la: '{laNumber}' is not a 3-digit DfE LA number");
            if (y is < Ssda903Tables.FirstYear or > Ssda903Tables.LatestYear) return Usage($"--year: {y} is not a collection year from {Ssda903Tables.FirstYear} to {Ssda903Tables.LatestYear}");
            if (count < 1) return Usage($"--children: {count} is not at least 1");
            if (!Writable(folder, out var why)) return Usage($"{folder}: not a writable folder ({why})");

            var reference = ReferenceDataOptions.BuiltIn;
            var areas = GenerationAreas.For(reference, laNumber);
            if (areas.Home.Count == 0) return Usage($"--la: {laNumber} has no ICB with postcode areas in {Path.Combine(reference, "organisations.csv")}");
            var codes = CodeLists.Load(Path.Combine(AppContext.BaseDirectory, "fhir-profiles"));
            var generated = ReturnGenerator.Generate(laNumber, y, count, parse.GetValue(seed), codes, areas.Home, areas.Away, areas.HealthTeams, areas.Practices);
            generated.WriteCsv(folder);
            var bundles = generated.WriteProviderRecords(folder);
            Console.WriteLine($"Wrote a {y - 1}/{y % 100:00} return for LA {laNumber} to {Path.GetFullPath(folder)}: " +
                string.Join(", ", generated.Tables.Select(t => $"{t.Name} {generated.Count(t):N0}")));
            Console.WriteLine($"Provider records ({generated.ProviderRecords.Count:N0}, one transaction Bundle per CLA health team): " +
                string.Join(", ", bundles.Select(b => Path.GetRelativePath(folder, b))));
            return 0;
        });
        return new Command("generate", "Generate synthetic data") { ssda903 };
    }

    static int Usage(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }

    static bool Writable(string folder, out string why)
    {
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, $".carehub-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            why = "";
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            why = e.Message;
            return false;
        }
    }
}
