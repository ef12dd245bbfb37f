using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hub.Api.Auth;
using Hub.Api.Cli;
using Hub.Api.Hosting;
using Hub.Api.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hub.Tests.EndToEnd;

/// <summary>The CLI reads its configuration from the environment and writes to the console, both process-wide:
/// its tests run alone, one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "process-wide environment and console";
}

/// <summary>The CLI in the hub's executable (contract §1, §3; decisions "Tokens, keys"), run in-process.</summary>
[Collection(ProcessWideCollection.Name)]
public sealed class CliTests : IDisposable
{
    readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("carehub-cli-");
    readonly Dictionary<string, string?> saved = new();

    string SigningKeyPath => Path.Combine(folder.FullName, "keys", "signing-key.pem");
    string DatabasePath => Path.Combine(folder.FullName, "db", "cli.db");

    public CliTests()
    {
        Set("ConnectionStrings__Hub", $"Data Source={DatabasePath}");
        Set("Hub__Database__Provider", "Sqlite");
        Set("Hub__Auth__SigningKey", SigningKeyPath);
        Set("Hub__Auth__DevTokens", "false");
        Set("Hub__ReferenceData__Path", null);
    }

    void Set(string name, string? value)
    {
        if (!saved.ContainsKey(name)) saved[name] = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
    }

    public void Dispose()
    {
        foreach (var (name, value) in saved) Environment.SetEnvironmentVariable(name, value);
        try { folder.Delete(recursive: true); } catch (IOException) { }
    }

    sealed record Run(int ExitCode, string Out, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {Out}\nstderr: {Error}";
    }

    static async Task<Run> RunAsync(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        var (capturedOut, capturedError) = (new StringWriter(), new StringWriter());
        Console.SetOut(capturedOut);
        Console.SetError(capturedError);
        try
        {
            var code = await CommandLine.RunAsync(args);
            return new Run(code, capturedOut.ToString(), capturedError.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }

    string ReferenceFolder(string organisations, string? postcodes = "postcode_prefix,icb\nTA,QXX\nTA9 1,QXX\n")
    {
        var dir = Directory.CreateDirectory(Path.Combine(folder.FullName, "ref-" + Guid.NewGuid().ToString("N")[..6]));
        File.WriteAllText(Path.Combine(dir.FullName, "organisations.csv"), organisations);
        if (postcodes is not null) File.WriteAllText(Path.Combine(dir.FullName, "postcode-icb.csv"), postcodes);
        return dir.FullName;
    }

    const string ValidOrganisations =
        "code,kind,name,parent_icb,endpoint\n" +
        "QXX,icb,Test Integrated Care Board,,https://icb.example/fhir\n" +
        "977,la,Test Council,QXX,\n" +
        "Z99001,gp,Test Practice,QXX,\n";

    static readonly Regex Summary = new(@"Loaded (\d+) organisations \((\d+) resources created, (\d+) updated, (\d+) unchanged\) and (\d+) postcode prefixes");

    static (int Organisations, int Created, int Updated, int Unchanged, int Postcodes) SummaryOf(Run run)
    {
        var m = Summary.Match(run.Out);
        Assert.True(m.Success, $"no load summary in the output: {run}");
        int N(int i) => int.Parse(m.Groups[i].Value);
        return (N(1), N(2), N(3), N(4), N(5));
    }

    [Fact]
    public async Task help_exits_0_and_lists_the_reference_and_token_commands()
    {
        var run = await RunAsync("--help");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(new Regex(@"^\s+reference\b", RegexOptions.Multiline), run.Out);
        Assert.Matches(new Regex(@"^\s+token\b", RegexOptions.Multiline), run.Out);
        Assert.Equal(run.Out, (await RunAsync("help")).Out);
    }

    [Fact]
    public async Task token_prints_a_jwt_for_the_organisation_signed_with_the_hubs_key()
    {
        var run = await RunAsync("token", "--org", "933", "--org-type", "la");
        Assert.True(run.ExitCode == 0, run.ToString());
        var line = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(l => Regex.IsMatch(l, @"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"));
        Assert.True(line is not null, run.ToString());

        var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(line.Split('.')[1])).RootElement;
        Assert.Equal("933", payload.GetProperty("org").GetString());
        Assert.Equal("la", payload.GetProperty("org_type").GetString());
        Assert.Equal("direct-care", payload.GetProperty("purpose_of_use").GetString());

        // Created where Hub:Auth:SigningKey says, and the token verifies with it.
        Assert.True(File.Exists(SigningKeyPath));
        var key = HubSigningKey.LoadOrCreate(SigningKeyPath);
        var check = await new JsonWebTokenHandler().ValidateTokenAsync(line, new TokenValidationParameters
        {
            IssuerSigningKey = key.Key, ValidIssuer = "carehub", ValidAudience = "carehub", ValidAlgorithms = [HubSigningKey.Algorithm],
        });
        Assert.True(check.IsValid, check.Exception?.Message);
    }

    [Theory]
    [InlineData("--org-type", "council")]
    [InlineData("--purpose", "curiosity")]
    public async Task token_with_a_bad_option_exits_2_naming_it(string option, string value)
    {
        var args = new List<string> { "token", "--org", "933", "--org-type", "la" };
        if (option == "--org-type") args[4] = value; else args.AddRange([option, value]);
        var run = await RunAsync([.. args]);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(option, run.Error);
        Assert.DoesNotMatch(@"eyJ[A-Za-z0-9_-]+\.", run.Out);
    }

    [Fact]
    public async Task reference_load_exits_0_and_a_second_load_of_the_same_folder_changes_nothing()
    {
        var dir = ReferenceFolder(ValidOrganisations);
        var first = await RunAsync("reference", "load", dir);
        Assert.True(first.ExitCode == 0, first.ToString());
        // Three Organizations and the ICB's notification Endpoint; two postcode prefixes.
        Assert.Equal((3, 4, 0, 0, 2), SummaryOf(first));

        var second = await RunAsync("reference", "load", dir);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal((3, 0, 0, 4, 2), SummaryOf(second));

        // The load went into the configured database: the LA is there, part of its ICB.
        await using (var app = HubApp.Build([]))
        {
            using var scope = app.Services.CreateScope();
            var stored = await scope.ServiceProvider.GetRequiredService<ResourceStore>().ReadAsync("Organization", "977");
            Assert.NotNull(stored);
            Assert.Contains("Organization/QXX", stored.Row.Json);
        }

        // A renamed organisation is one update, the rest unchanged.
        var renamed = ReferenceFolder(ValidOrganisations.Replace("Test Council", "Test Borough Council"));
        Assert.Equal((3, 0, 1, 3, 2), SummaryOf(await RunAsync("reference", "load", renamed)));
    }

    public static TheoryData<string, string, string> MalformedOrganisations => new()
    {
        { "missing column", "code,name,parent_icb,endpoint\nQXX,Test ICB,,\n", "'kind'" },
        { "bad kind", "code,kind,name,parent_icb,endpoint\nQXX,icb,Test ICB,,\n977,council,Test Council,QXX,\n", "organisations.csv:2:kind" },
    };

    [Theory]
    [MemberData(nameof(MalformedOrganisations))]
    public async Task reference_load_of_a_malformed_organisations_file_exits_1_naming_file_and_place(string what, string csv, string named)
    {
        var dir = ReferenceFolder(csv);
        var run = await RunAsync("reference", "load", dir);
        Assert.True(run.ExitCode == 1, $"{what}: {run}");
        Assert.Contains(Path.Combine(dir, "organisations.csv"), run.Error);
        Assert.Contains(named, run.Error);
        Assert.DoesNotMatch(Summary, run.Out);
    }

    [Fact]
    public async Task reference_load_of_a_missing_folder_exits_2()
    {
        var run = await RunAsync("reference", "load", Path.Combine(folder.FullName, "no-such-folder"));
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("no-such-folder", run.Error);
    }
}
