using System.Diagnostics;
using Hl7.Fhir.Model;
using Hub.Api.Cli;
using Hub.Api.Conformance;
using Hub.Api.Fhir;
using Hub.Api.ReferenceData;
using Hub.Tests.Conformance;
using Hub.Mappers.Identifiers;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Checking;
using Hub.Mappers.Ssda903.Generation;
using Hub.Mappers.Ssda903.Reading;
using Xunit;
using Xunit.Abstractions;

namespace Hub.Tests.Ssda903Generation;

public sealed class ReturnGeneratorTests(ITestOutputHelper output, ProfileValidatorFixture profiles) : IDisposable, IClassFixture<ProfileValidatorFixture>
{

    static readonly Lazy<CodeLists> Codes = new(() => CodeLists.Load(Path.Combine(AppContext.BaseDirectory, "fhir-profiles")));
    static readonly string[] Somerset = ["TA", "BA4", "BA5", "BA6", "BA7", "BA8", "BA9", "BA10", "BA11", "BA16", "BA20", "BA21", "BA22"];
    static readonly string[] Lancashire = ["LA", "PR", "BB", "FY"];
    static readonly HealthTeam[] Teams = [new("RH5", Somerset), new("RXN", Lancashire)];

    readonly string root = Path.Combine(Path.GetTempPath(), "carehub-generate-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    static GeneratedReturn Generate(int year, int children = 300, int seed = 7, IReadOnlyList<HealthTeam>? teams = null) =>
        ReturnGenerator.Generate("933", year, children, seed, Codes.Value, Somerset, Lancashire, teams);

    static bool InLancashire(string? postcode) =>
        postcode is { } p && Lancashire.Any(a => p.StartsWith(a, StringComparison.Ordinal) && char.IsAsciiDigit(p[a.Length]));

    static DateOnly Date(string? ddmmyyyy) => DateOnly.ParseExact(ddmmyyyy!, "dd/MM/yyyy", System.Globalization.CultureInfo.InvariantCulture);

    string Write(GeneratedReturn generated, string name)
    {
        var folder = Path.Combine(root, name);
        generated.WriteCsv(folder);
        return folder;
    }

    [Theory]
    [InlineData(2019)]
    [InlineData(2025)]
    [InlineData(2026)]
    public void a_generated_return_reads_and_checks_with_no_errors(int year)
    {
        var folder = Write(Generate(year), $"valid-{year}");
        var read = Ssda903Reader.ReadFolder("933", year, folder);
        Assert.True(!read.Issues.Any(i => i.FileLevel), string.Join("\n", read.Issues.Where(i => i.FileLevel).Select(i => $"{i.Location} {i.Text}")));
        var issues = read.Issues.Concat(Ssda903Checker.Check(read, Codes.Value)).ToList();
        var errors = issues.Where(i => i.Severity == IssueSeverity.Error).ToList();
        var common = issues.GroupBy(i => $"{i.Severity} {i.File} {i.Rule}: {i.Message}").OrderByDescending(g => g.Count()).Take(15).Select(g => $"{g.Count(),5} × {g.Key}");
        Assert.True(errors.Count == 0,
            $"{errors.Count} errors, e.g.\n{string.Join("\n", errors.Take(10).Select(i => $"{i.Location} CHILD {i.Child}: {i.Text}"))}\nmost common issues:\n{string.Join("\n", common)}");
        Assert.Equal(300, read.Of(Ssda903Tables.Header).Count());
        output.WriteLine($"{year}: {issues.Count} warnings; most common:\n{string.Join("\n", common)}");
    }

    [Fact]
    public void the_same_seed_writes_byte_identical_files_and_another_seed_does_not()
    {
        var first = Write(Generate(2025, seed: 42), "a");
        var again = Write(Generate(2025, seed: 42), "b");
        var other = Write(Generate(2025, seed: 43), "c");
        var names = Directory.GetFiles(first).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(names, Directory.GetFiles(again).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var name in names)
            Assert.Equal(File.ReadAllBytes(Path.Combine(first, name!)), File.ReadAllBytes(Path.Combine(again, name!)));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(first, "episodes.csv")), File.ReadAllBytes(Path.Combine(other, "episodes.csv")));
    }

    [Fact]
    public void the_files_are_the_tables_of_the_year_with_their_exact_columns()
    {
        var folder = Write(Generate(2025), "tables");
        foreach (var table in Ssda903Tables.All)
        {
            var path = Path.Combine(folder, table.Name + ".csv");
            Assert.Equal(table.InYear(2025), File.Exists(path));
            if (File.Exists(path)) Assert.Equal(string.Join(',', table.ColumnNames), File.ReadLines(path).First());
        }
        Assert.Matches(@"^933\d{7},[MF],\d{2}/\d{2}/\d{4},", File.ReadLines(Path.Combine(folder, "header.csv")).Skip(1).First());
    }

    [Fact]
    public void some_children_are_placed_out_of_area_some_leave_care_and_a_few_are_adopted()
    {
        var generated = Generate(2025, children: 1000);
        var episodes = generated.Rows(Ssda903Tables.Episodes).ToList();
        var outOfArea = episodes.Where(e => e["PL_POST"] is { } p && Lancashire.Any(a => p.StartsWith(a, StringComparison.Ordinal) && char.IsAsciiDigit(p[a.Length])))
            .Select(e => e["CHILD"]).Distinct().Count();
        Assert.InRange(outOfArea, 50, 250);
        Assert.InRange(generated.Count(Ssda903Tables.Oc3), 10, 100);
        var adopted = episodes.Where(e => e["REC"] is "E11" or "E12").Select(e => e["CHILD"]).ToHashSet();
        Assert.NotEmpty(adopted);
        Assert.Equal(adopted, generated.Rows(Ssda903Tables.Ad1).Select(r => r["CHILD"]).ToHashSet());
        Assert.All(episodes.Where(e => e["REC"] is "E11" or "E12"), e => { Assert.Equal("E1", e["LS"]); Assert.Contains(e["PLACE"], new[] { "A5", "A6" }); });
        Assert.True(generated.Count(Ssda903Tables.Oc2) > 300, $"{generated.Count(Ssda903Tables.Oc2)} OC2 rows");
        var placements = episodes.GroupBy(e => e["PLACE"]).ToDictionary(g => g.Key!, g => g.Count());
        Assert.True(placements["U6"] + placements["U4"] > episodes.Count / 3, string.Join(", ", placements.Select(p => $"{p.Key} {p.Value}")));
    }

    [Fact]
    public void most_children_have_a_valid_nhs_number_unique_across_las()
    {
        var somerset = Generate(2025, children: 1000);
        var lancashire = ReturnGenerator.Generate("888", 2025, 1000, 7, Codes.Value, Lancashire, Somerset);
        var numbers = somerset.Rows(Ssda903Tables.ChildIdentifiers).Concat(lancashire.Rows(Ssda903Tables.ChildIdentifiers)).Select(r => r["NHS_NUMBER"]).ToList();
        Assert.InRange(somerset.Count(Ssda903Tables.ChildIdentifiers), 850, 950);
        Assert.All(numbers, n => Assert.True(NhsNumber.IsValid(n), n));
        Assert.Equal(numbers.Count, numbers.Distinct().Count());
    }

    [Fact]
    public void codes_follow_the_collection_year()
    {
        var y2019 = Generate(2019);
        var y2025 = Generate(2025);
        var y2026 = Generate(2026);
        Assert.All(y2019.Rows(Ssda903Tables.Header), r => Assert.Contains(r["SEX"], new[] { "1", "2" }));
        Assert.All(y2025.Rows(Ssda903Tables.Header), r => Assert.Contains(r["SEX"], new[] { "M", "F" }));
        Assert.DoesNotContain(y2025.Rows(Ssda903Tables.Episodes), e => e["PLACE"] == "H5");
        Assert.DoesNotContain(y2026.Rows(Ssda903Tables.Episodes), e => e["PLACE"] == "Z1");
        Assert.Contains(y2019.Rows(Ssda903Tables.Episodes), e => e["PLACE"] == "H5");
        Assert.Equal(0, y2019.Count(Ssda903Tables.SocialWorkerEpisodes));
        Assert.True(y2025.Count(Ssda903Tables.SocialWorkerEpisodes) > 0);
        Assert.DoesNotContain(y2026.Tables, t => t == Ssda903Tables.DeprivationOfLiberty);
        Assert.Contains(Generate(2027).Tables, t => t == Ssda903Tables.DeprivationOfLiberty);
    }

    [Fact]
    public void a_national_scale_return_generates_and_writes()
    {
        var clock = Stopwatch.StartNew();
        var generated = ReturnGenerator.Generate("933", 2025, 90_000, 1, Codes.Value, Somerset, Lancashire);
        var generatedIn = clock.Elapsed;
        var folder = Write(generated, "national");
        output.WriteLine($"90,000 children, {generated.Count(Ssda903Tables.Episodes):N0} episodes: generated in {generatedIn.TotalSeconds:0.00} s, written in {(clock.Elapsed - generatedIn).TotalSeconds:0.00} s");
        // The import benchmark's national return: 90,000 children and about 200,000 episodes.
        Assert.InRange(generated.Count(Ssda903Tables.Episodes), 194_000, 206_000);
        var read = Ssda903Reader.ReadFolder("933", 2025, folder);
        var issues = read.Issues.Concat(Ssda903Checker.Check(read, Codes.Value)).ToList();
        var common = issues.GroupBy(i => $"{i.Severity} {i.File} {i.Rule}: {i.Message}").OrderByDescending(g => g.Count()).Take(15).Select(g => $"{g.Count(),6} × {g.Key}");
        output.WriteLine($"{issues.Count} issues:\n{string.Join("\n", common)}");
        Assert.DoesNotContain(issues, i => i.Severity == IssueSeverity.Error);
    }

    [Fact]
    public void the_generate_command_writes_a_return_and_answers_2_to_bad_usage()
    {
        var folder = Path.Combine(root, "cli");
        int Run(params string[] args) => GenerateCommand.Command().Parse(args).Invoke();

        Assert.Equal(0, Run("ssda903", "--la", "933", "--year", "2025", "--children", "50", "--seed", "3", folder));
        Assert.Equal(51, File.ReadLines(Path.Combine(folder, "header.csv")).Count());
        // The built-in reference data's CLA health teams: Somerset's own, and Lancashire's for the child placed there.
        Assert.Equal(["RH5.json", "RXN.json"], Directory.GetFiles(Path.Combine(folder, "provider-records")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.All(File.ReadLines(Path.Combine(folder, "episodes.csv")).Skip(1), l => Assert.Matches(",(TA|BA)\\d+ \\d[A-Z]{2},|,(LA|PR|BB|FY)\\d+ \\d[A-Z]{2},|,,[^,]*$", l));
        Assert.Equal(2, Run("ssda903", "--la", "93", "--year", "2025", "--children", "50", folder));
        Assert.Equal(2, Run("ssda903", "--la", "933", "--year", "2016", "--children", "50", folder));
        Assert.Equal(2, Run("ssda903", "--la", "933", "--year", "2025", "--children", "0", folder));
        File.WriteAllText(Path.Combine(root, "a-file"), "");
        Assert.Equal(2, Run("ssda903", "--la", "933", "--year", "2025", "--children", "5", Path.Combine(root, "a-file", "below")));
    }

    [Fact]
    public void every_return_starts_with_a_child_placed_out_of_area_a_care_leaver_aged_19_and_an_adopted_child()
    {
        var generated = Generate(2026, children: 40, seed: 11);
        Assert.Equal(new Dictionary<Scenario, string> { [Scenario.PlacedOutOfArea] = "9330000001", [Scenario.CareLeaverAged19] = "9330000002", [Scenario.Adopted] = "9330000003" },
            generated.Scenarios);
        var episodes = generated.Rows(Ssda903Tables.Episodes).ToLookup(e => e["CHILD"]);
        var header = generated.Rows(Ssda903Tables.Header).ToDictionary(h => h["CHILD"]!);

        var placed = episodes[generated.Scenarios[Scenario.PlacedOutOfArea]].ToList();
        Assert.Null(placed[^1]["DEC"]);
        Assert.True(InLancashire(placed[^1]["PL_POST"]), placed[^1]["PL_POST"]);
        Assert.False(InLancashire(placed[0]["PL_POST"]), placed[0]["PL_POST"]);

        var leaver = generated.Scenarios[Scenario.CareLeaverAged19];
        var born = Date(header[leaver]["DOB"]);
        Assert.Equal(new DateOnly(2007, 4, 1), born);
        Assert.Equal(born.AddYears(18), Date(episodes[leaver].Last()["DEC"]));
        Assert.DoesNotContain(episodes[leaver].Last()["REC"], new[] { "X1", "E11", "E12" });
        // 19 on every day of 2026/27, the year in which the 2025/26 return is the latest.
        Assert.All(new[] { new DateOnly(2026, 4, 1), new DateOnly(2026, 11, 26), new DateOnly(2027, 3, 31) },
            d => Assert.Equal(19, d.Year - born.Year - (born.AddYears(d.Year - born.Year) > d ? 1 : 0)));

        Assert.Contains(episodes[generated.Scenarios[Scenario.Adopted]].Last()["REC"], new[] { "E11", "E12" });
        var identified = generated.Rows(Ssda903Tables.ChildIdentifiers).Select(r => r["CHILD"]).ToHashSet();
        Assert.Superset(generated.Scenarios.Values.ToHashSet(), identified);
    }

    [Fact]
    public void the_same_return_is_generated_with_or_without_provider_records()
    {
        var without = Write(Generate(2026, seed: 5), "without");
        var with = Generate(2026, seed: 5, teams: Teams);
        Assert.NotEmpty(with.ProviderRecords);
        Assert.Empty(Generate(2026, seed: 5).ProviderRecords);
        var folder = Write(with, "with");
        foreach (var file in Directory.GetFiles(without))
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(folder, Path.GetFileName(file))));
    }

    [Fact]
    public void provider_bundles_are_the_same_for_the_same_seed_and_differ_for_another()
    {
        string[] Files(int seed, string name)
        {
            var folder = Path.Combine(root, name);
            return [.. Generate(2026, seed: seed, teams: Teams).WriteProviderRecords(folder).Order(StringComparer.Ordinal)];
        }
        var first = Files(42, "a");
        var again = Files(42, "b");
        var other = Files(43, "c");
        Assert.Equal(2, first.Length);
        Assert.Equal(first.Select(Path.GetFileName), again.Select(Path.GetFileName));
        for (var i = 0; i < first.Length; i++) Assert.Equal(File.ReadAllBytes(first[i]), File.ReadAllBytes(again[i]));
        Assert.NotEqual(File.ReadAllBytes(first[0]), File.ReadAllBytes(other[0]));
    }

    [Fact]
    public async System.Threading.Tasks.Task provider_bundles_parse_as_FHIR_and_conform_to_the_CLA_profiles_and_R4()
    {
        var generated = Generate(2026, children: 200, teams: Teams);
        var files = generated.WriteProviderRecords(Path.Combine(root, "conform"));
        var checkedTypes = new HashSet<string>();
        foreach (var file in files)
        {
            var bundle = Assert.IsType<Bundle>(FhirFormat.ParseJson(await File.ReadAllTextAsync(file)));
            Assert.Equal(Bundle.BundleType.Transaction, bundle.Type);
            var bundleOutcome = await profiles.Validator.ValidateAsync(bundle);
            Assert.False(ValidationIssues.HasErrors(bundleOutcome), $"{Path.GetFileName(file)}: {Describe(bundleOutcome)}");
            foreach (var entry in bundle.Entry)
            {
                Assert.Equal(Bundle.HTTPVerb.POST, entry.Request.Method);
                Assert.Matches($"^identifier=https://fhir.carehub.org.uk/Id/provider-record/{Path.GetFileNameWithoutExtension(file)}\\|", entry.Request.IfNoneExist);
                var outcome = await profiles.Validator.ValidateAsync(entry.Resource);
                Assert.False(ValidationIssues.HasErrors(outcome), $"{entry.Resource.TypeName} {entry.Request.IfNoneExist}: {Describe(outcome)}");
                checkedTypes.Add(entry.Resource.TypeName);
                if (entry.Resource is Encounter e)
                {
                    Assert.Equal("https://fhir.carehub.org.uk/StructureDefinition/CLAHealthAssessment", Assert.Single(e.Meta.Profile));
                    Assert.Equal("https://fhir.carehub.org.uk/StructureDefinition/CLAHealthAssessment", profiles.Validator.ProfileOf(e));
                    Assert.Contains(Assert.Single(e.Type).Coding, c => c.System == "https://fhir.carehub.org.uk/CodeSystem/cla-health" && c.Code is "initial-health-assessment" or "review-health-assessment");
                }
            }
        }
        Assert.Equal(["Encounter", "Immunization"], checkedTypes.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void provider_records_name_only_children_by_the_NHS_numbers_of_child_identifiers()
    {
        var generated = Generate(2026, children: 300, teams: Teams);
        var nhsOf = generated.Rows(Ssda903Tables.ChildIdentifiers).ToDictionary(r => r["CHILD"]!, r => r["NHS_NUMBER"]!);
        var adopted = generated.Rows(Ssda903Tables.Episodes).Where(e => e["REC"] is "E11" or "E12").Select(e => e["CHILD"]!).ToHashSet();
        var numbers = new HashSet<string>();
        foreach (var (team, bundle) in ProviderBundles.Build(generated.ProviderRecords))
            foreach (var entry in bundle.Entry)
            {
                var reference = entry.Resource switch { Encounter e => e.Subject.Reference, Immunization i => i.Patient.Reference, _ => null };
                Assert.StartsWith("Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|", reference);
                numbers.Add(reference!.Split('|')[1]);
            }
        Assert.Subset(nhsOf.Values.ToHashSet(), numbers);
        Assert.All(generated.ProviderRecords, r => Assert.Equal(nhsOf[r.Child], r.NhsNumber));
        // Some children, not all: and never an adopted child, whose record is sealed.
        var children = generated.ProviderRecords.Select(r => r.Child).ToHashSet();
        Assert.InRange(children.Count, nhsOf.Count / 3, nhsOf.Count - 1);
        Assert.Empty(children.Intersect(adopted));
        Assert.All(generated.ProviderRecords, r => Assert.Contains(r.Team, new[] { "RH5", "RXN" }));
        // Immunisation histories are kept by the responsible (Somerset) team; the host team sees only its own placements.
        Assert.All(generated.ProviderRecords.Where(r => r.Kind == ProviderRecordKind.Immunisation), r => Assert.Equal("RH5", r.Team));
        var episodes = generated.Rows(Ssda903Tables.Episodes).ToLookup(e => e["CHILD"]!);
        Assert.All(generated.ProviderRecords.Where(r => r.Team == "RXN"), r =>
        {
            var current = episodes[r.Child].Last();
            Assert.Null(current["DEC"]);
            Assert.True(InLancashire(current["PL_POST"]) && r.Date >= Date(current["DECOM"]), $"{r.Identifier} by RXN");
        });
        Assert.Contains(generated.ProviderRecords, r => r.Team == "RXN");
    }

    static string Describe(OperationOutcome outcome) =>
        string.Join("; ", outcome.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
            .Select(i => $"{string.Join(",", i.Expression)}: {i.Details?.Text ?? i.Diagnostics}"));
}
