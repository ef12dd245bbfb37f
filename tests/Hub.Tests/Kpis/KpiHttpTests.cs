using System.Globalization;
using Hl7.Fhir.Model;
using Hub.Api.Auth;
using Hub.Api.ReferenceData;
using Hub.Api.Ssda903;
using Hub.Api.Storage;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Generation;
using Hub.Mappers.Ssda903.Mapping;
using Hub.Tests.Http;
using Hub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Kpis;

/// <summary>
/// A hub holding one generated Lancashire (888, ICB QE1) return for 2025/26, imported by the SSDA903 importer, and the
/// CLA health teams' provider records posted as their transaction Bundles: what `$evaluate-measure` is asked about.
/// </summary>
public abstract class KpiHub(string provider) : IAsyncLifetime
{
    public const string La = "888", Icb = "QE1", Period = "periodStart=2025-04-01&periodEnd=2026-03-31";
    public RunningHub Hub { get; private set; } = null!;
    public GeneratedReturn Return { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Hub = await RunningHub.StartAsync(provider);
        Return = await ImportGeneratedAsync(Hub, 400, 61);
        await PostProviderRecordsAsync(Hub, Return);
    }

    /// <summary>A generated 2025/26 return of this LA, imported by the SSDA903 importer.</summary>
    public static async Task<GeneratedReturn> ImportGeneratedAsync(RunningHub hub, int children, int seed)
    {
        var codes = CodeLists.Load(Path.Combine(AppContext.BaseDirectory, "fhir-profiles"));
        var areas = GenerationAreas.For(ReferenceDataOptions.BuiltIn, La);
        var generated = ReturnGenerator.Generate(La, 2026, children, seed, codes, areas.Home, areas.Away, areas.HealthTeams);
        var folder = Directory.CreateTempSubdirectory("carehub-kpi-").FullName;
        generated.WriteCsv(folder);
        using var scope = hub.App.Services.CreateScope();
        var caller = new Caller(La, OrgTypes.La, "social-worker", "direct-care", null, ["system/*.cruds"], "test");
        var result = await scope.ServiceProvider.GetRequiredService<Ssda903Importer>().ImportAsync(caller, La, 2026, folder);
        Assert.True(result.Committed, result.Counts);
        Assert.Contains("quarantined=0", result.Counts);
        return generated;
    }

    /// <summary>The CLA health teams' records of a generated return, posted as their transaction Bundles.</summary>
    public static async Task PostProviderRecordsAsync(RunningHub hub, GeneratedReturn generated)
    {
        foreach (var (team, bundle) in ProviderBundles.Build(generated.ProviderRecords))
        {
            var answer = await (await hub.AsAsync(team, "provider", "cla-health-team", "statutory-health-assessment")).PostAsync("fhir", bundle);
            Assert.True(answer.Status == 200, answer.ToString());
        }
    }

    public async Task DisposeAsync() => await Hub.DisposeAsync();
}

public sealed class SqliteKpiHub() : KpiHub("Sqlite");
public sealed class PostgresKpiHub() : KpiHub("Postgres");

/// <summary>
/// `$evaluate-measure` over HTTP (contract §8): MeasureReports that match counts worked out here straight from the
/// generated CSV rows and provider records; who may ask for what; bad input; the audit.
/// </summary>
public abstract class KpiHttpTests(KpiHub fixture)
{
    RunningHub Hub => fixture.Hub;

    async Task<FhirAnswer> EvaluateAsync(string measure, string query, string org = KpiHub.Icb, string orgType = "icb", string purpose = "kpi") =>
        await (await Hub.AsAsync(org, orgType, purpose: purpose)).GetAsync($"fhir/Measure/{measure}/$evaluate-measure?{query}");

    static int? Count(IEnumerable<MeasureReport.PopulationComponent> populations, string code) =>
        populations.Single(p => p.Code.Coding[0].Code == code).Count;

    static int? Count(IEnumerable<MeasureReport.StratifierGroupPopulationComponent> populations, string code) =>
        populations.Single(p => p.Code.Coding[0].Code == code).Count;

    [Theory]
    [InlineData("iha-20-working-days")]
    [InlineData("rha-on-time")]
    [InlineData("dental-check")]
    [InlineData("immunisations-up-to-date")]
    [InlineData("sdq-recorded")]
    public async Task measure_reports_match_counts_worked_out_from_the_generated_rows(string measure)
    {
        var expected = IndependentCounts.Of(fixture.Return, measure);
        var answer = await EvaluateAsync(measure, $"{KpiHub.Period}&subject=Organization/{KpiHub.Icb}");
        Assert.True(answer.Status == 200, answer.ToString());
        var report = answer.As<MeasureReport>();
        Assert.Equal(MeasureReport.MeasureReportStatus.Complete, report.Status);
        Assert.Equal(MeasureReport.MeasureReportType.Summary, report.Type);
        Assert.Equal($"https://fhir.carehub.org.uk/Measure/{measure}", report.Measure);
        Assert.Equal($"Organization/{KpiHub.Icb}", report.Subject.Reference);
        Assert.Equal(("2025-04-01", "2026-03-31"), (report.Period.Start, report.Period.End));
        var group = report.Group[0];
        Assert.True(expected.Denominator > 4 && expected.Numerator > 4, $"the generated return is too small for {measure}: {expected}");
        Assert.Equal(expected.Denominator, Count(group.Population, "denominator"));
        Assert.Equal(expected.Numerator, Count(group.Population, "numerator"));
        Assert.Equal(Math.Round((decimal)expected.Numerator / expected.Denominator, 4), group.MeasureScore.Value);

        var stratifier = Assert.Single(group.Stratifier);
        Assert.Equal("placement", stratifier.Code.Single().Coding[0].Code);
        Assert.Equal(["in-area", "out-of-area"], stratifier.Stratum.Select(s => s.Value.Coding[0].Code));
        foreach (var (stratum, den, num) in new[] { (stratifier.Stratum[0], expected.InAreaDenominator, expected.InAreaNumerator), (stratifier.Stratum[1], expected.Denominator - expected.InAreaDenominator, expected.Numerator - expected.InAreaNumerator) })
        {
            // Shown counts are the true ones; an absent one says why and is small, or gives a small one away.
            foreach (var (code, value) in new[] { ("denominator", den), ("numerator", num) })
            {
                var population = stratum.Population.Single(p => p.Code.Coding[0].Code == code);
                if (population.Count is { } shown) Assert.Equal(value, shown);
                else Assert.Equal("masked", population.CountElement.GetExtensionValue<Code>("http://hl7.org/fhir/StructureDefinition/data-absent-reason")?.Value);
            }
        }
    }

    [Fact]
    public async Task an_la_sees_its_own_children_and_the_post_form_answers_the_same()
    {
        var get = await EvaluateAsync("immunisations-up-to-date", $"{KpiHub.Period}&subject=Organization/{KpiHub.La}", KpiHub.La, "la");
        Assert.True(get.Status == 200, get.ToString());
        var call = await Hub.AsAsync(KpiHub.La, "la", purpose: "kpi");
        var parameters = new Parameters();
        parameters.Add("periodStart", new Date("2025-04-01"));
        parameters.Add("periodEnd", new Date("2026-03-31"));
        parameters.Add("subject", new FhirString($"Organization/{KpiHub.La}"));
        var post = await call.PostAsync("fhir/Measure/immunisations-up-to-date/$evaluate-measure", parameters);
        Assert.True(post.Status == 200, post.ToString());
        var expected = IndependentCounts.Of(fixture.Return, "immunisations-up-to-date");
        Assert.Equal(expected.Denominator, Count(get.As<MeasureReport>().Group[0].Population, "denominator"));
        Assert.Equal(expected.Denominator, Count(post.As<MeasureReport>().Group[0].Population, "denominator"));
    }

    [Fact]
    public async Task an_admin_without_subject_gets_the_whole_hub_with_no_subject()
    {
        var answer = await EvaluateAsync("dental-check", KpiHub.Period, "carehub-admin", "admin");
        Assert.True(answer.Status == 200, answer.ToString());
        var report = answer.As<MeasureReport>();
        Assert.Null(report.Subject);
        Assert.Equal(IndependentCounts.Of(fixture.Return, "dental-check").Denominator, Count(report.Group[0].Population, "denominator"));
    }

    [Theory]
    [InlineData(KpiHub.Icb, "icb", "kpi", "subject=Organization/QSL", 404)]       // another ICB
    [InlineData(KpiHub.Icb, "icb", "kpi", "subject=Organization/888", 404)]       // an LA, even its own: the ICB asks as an ICB
    [InlineData(KpiHub.La, "la", "kpi", "subject=Organization/QE1", 404)]
    [InlineData("933", "la", "kpi", "subject=Organization/888", 404)]             // another LA
    [InlineData(KpiHub.Icb, "icb", "kpi", "subject=Organization/NOPE", 404)]      // not known: the same answer
    [InlineData(KpiHub.Icb, "icb", "direct-care", "subject=Organization/QE1", 403)] // purpose kpi only
    [InlineData("L85001", "gp", "kpi", "", 403)]
    [InlineData("RXN", "provider", "kpi", "", 403)]
    [InlineData(KpiHub.Icb, "icb", "kpi", "subject=Patient/123", 400)]
    public async Task who_may_ask_for_what(string org, string orgType, string purpose, string subject, int status)
    {
        var answer = await EvaluateAsync("dental-check", $"{KpiHub.Period}&{subject}", org, orgType, purpose);
        Assert.Equal(status, answer.Status);
        Assert.IsType<OperationOutcome>(answer.Resource);
    }

    [Theory]
    [InlineData("no-such-measure", KpiHub.Period, 404)]
    [InlineData("dental-check", "periodStart=2026-03-31&periodEnd=2025-04-01", 400)]
    [InlineData("dental-check", "periodStart=2025-04-01", 400)]
    [InlineData("dental-check", "periodStart=yesterday&periodEnd=2026-03-31", 400)]
    [InlineData("dental-check", "periodStart=2025-04-01&periodEnd=2026-02-30", 400)]
    [InlineData("iha-20-working-days", "periodStart=2030-01-01&periodEnd=2030-12-31", 400)] // beyond the bank holidays shipped
    public async Task bad_input_is_an_operation_outcome(string measure, string query, int status)
    {
        var answer = await EvaluateAsync(measure, $"{query}&subject=Organization/{KpiHub.Icb}");
        Assert.Equal(status, answer.Status);
        Assert.IsType<OperationOutcome>(answer.Resource);
    }

    [Fact]
    public async Task each_call_leaves_one_aggregate_audit_event_naming_no_patient()
    {
        async Task<List<AuditRow>> Rows()
        {
            using var scope = Hub.App.Services.CreateScope();
            return await scope.ServiceProvider.GetRequiredService<HubDb>().Audit.AsNoTracking().Where(a => a.Action == "$evaluate-measure").ToListAsync();
        }
        var before = (await Rows()).Count;
        var answer = await EvaluateAsync("sdq-recorded", $"{KpiHub.Period}&subject=Organization/{KpiHub.Icb}");
        Assert.Equal(200, answer.Status);
        var after = await Rows();
        Assert.Equal(before + 1, after.Count);
        Assert.All(after, a => Assert.Null(a.PatientId));
        Assert.Contains(after, a => a.Outcome == "0" && a.AgentOrg == KpiHub.Icb);
    }

    [Fact]
    public async Task the_measures_are_readable_and_listed_in_the_capability_statement()
    {
        var call = await Hub.AsAsync("L85001", "gp");
        var all = await call.GetAsync("fhir/Measure");
        Assert.Equal(200, all.Status);
        Assert.Equal(["dental-check", "iha-20-working-days", "immunisations-up-to-date", "rha-on-time", "sdq-recorded"],
            all.As<Bundle>().Entry.Select(e => e.Resource.Id).Order());
        Assert.Equal(200, (await call.GetAsync("fhir/Measure/rha-on-time")).Status);
        Assert.Equal(404, (await call.GetAsync("fhir/Measure/nope")).Status);
        var metadata = await new FhirCall(Hub.Http, null).GetAsync("fhir/metadata");
        var measure = metadata.As<CapabilityStatement>().Rest[0].Resource.Single(r => r.Type == "Measure");
        Assert.Contains(measure.Operation, o => o.Name == "evaluate-measure");
    }

    [Fact]
    public async Task the_sdq_report_carries_the_average_and_the_share_of_concern()
    {
        var report = (await EvaluateAsync("sdq-recorded", $"{KpiHub.Period}&subject=Organization/{KpiHub.Icb}")).As<MeasureReport>();
        var expected = IndependentCounts.Of(fixture.Return, "sdq-recorded");
        Assert.Equal(3, report.Group.Count);
        Assert.Equal("sdq-average-score", report.Group[1].Code.Coding[0].Code);
        Assert.Equal(Math.Round((decimal)expected.ScoreSum / expected.Numerator, 1), report.Group[1].MeasureScore.Value);
        Assert.Equal("sdq-concern", report.Group[2].Code.Coding[0].Code);
        Assert.Equal(expected.Numerator, Count(report.Group[2].Population, "denominator"));
        var concern = Count(report.Group[2].Population, "numerator");
        if (concern is { } c) Assert.Equal(expected.Concern, c);
        else Assert.InRange(expected.Concern, 1, 4);
    }
}

[Collection("kpi-sqlite")]
public sealed class SqliteKpiHttpTests(SqliteKpiHub fixture) : KpiHttpTests(fixture), IClassFixture<SqliteKpiHub>;

[Collection("kpi-postgres")]
public sealed class PostgresKpiHttpTests(PostgresKpiHub fixture) : KpiHttpTests(fixture), IClassFixture<PostgresKpiHub>;

/// <summary>
/// The expected counts for ICB QE1 in 2025/26, worked out here from the generated CSV rows and provider records, the way
/// the Measure descriptions say, without the hub's calculator: adopted children (REC E11/E12) left out; the OC2 cohort
/// at 31 March 2026 by walking back through episodes that start on the day the one before ceased; the RHA from the
/// child's dated IHAs and RHAs (by NHS number) when there are any, else from the OC2 cohort; in-area by the placement
/// postcode's ICB.
/// </summary>
public sealed record IndependentCounts(int Denominator, int Numerator, int InAreaDenominator, int InAreaNumerator, long ScoreSum, int Concern)
{
    static readonly DateOnly March = new(2026, 3, 31), YearStart = new(2025, 4, 1);

    static DateOnly? Day(string? text) => string.IsNullOrEmpty(text) ? null : DateOnly.ParseExact(text, "dd/MM/yyyy", CultureInfo.InvariantCulture);

    static int Age(DateOnly dob, DateOnly on) => on.Year - dob.Year - (dob.AddYears(on.Year - dob.Year) > on ? 1 : 0);

    /// <summary>The day a review falls due after one on this day (or a missed one): 6 months on if the child is under 5 that day, else 12.</summary>
    static DateOnly ReviewDueAfter(DateOnly dob, DateOnly day) => day.AddMonths(Age(dob, day) < 5 ? 6 : 12);

    public static IndependentCounts Of(GeneratedReturn r, string measure)
    {
        var prefixes = File.ReadAllLines(Path.Combine(ReferenceDataOptions.BuiltIn, "postcode-icb.csv")).Skip(1)
            .Select(l => l.Split(',')).ToDictionary(p => p[0].Trim().ToUpperInvariant(), p => p[1].Trim());
        var header = r.Rows(Ssda903Tables.Header).ToDictionary(h => h["CHILD"]!);
        var episodes = r.Rows(Ssda903Tables.Episodes).GroupBy(e => e["CHILD"]!).ToDictionary(g => g.Key, g => g.OrderBy(e => Day(e["DECOM"])).ToList());
        var oc2 = r.Rows(Ssda903Tables.Oc2).ToDictionary(o => o["CHILD"]!);
        var nhs = r.Rows(Ssda903Tables.ChildIdentifiers).Where(x => !string.IsNullOrEmpty(x["NHS_NUMBER"])).ToDictionary(x => x["CHILD"]!, x => x["NHS_NUMBER"]!);
        var ihaByNhs = r.ProviderRecords.Where(p => p.Kind == ProviderRecordKind.InitialHealthAssessment).ToLookup(p => p.NhsNumber, p => p.Date);
        var assessedByNhs = r.ProviderRecords.Where(p => p.Kind is ProviderRecordKind.InitialHealthAssessment or ProviderRecordKind.ReviewHealthAssessment)
            .ToLookup(p => p.NhsNumber, p => p.Date);

        bool InArea(IReadOnlyDictionary<string, string?> episode)
        {
            var icb = Placement.Locate(episode["PL_POST"], p => prefixes.GetValueOrDefault(p), "QE1").Icb;
            return icb == "QE1";
        }

        int den = 0, num = 0, inDen = 0, inNum = 0, concern = 0; long sum = 0;
        foreach (var (child, eps) in episodes)
        {
            if (eps.Any(e => e["REC"] is "E11" or "E12")) continue; // adopted: sealed
            var care = eps.Where(e => e["LS"] is not ("V3" or "V4")).ToList();
            bool inDenominator = false, met = false;
            IReadOnlyDictionary<string, string?>? placement = null;
            var dob = Day(header[child]["DOB"])!.Value;
            var assessed = nhs.TryGetValue(child, out var nhsNumber) ? assessedByNhs[nhsNumber].Distinct().Order().ToList() : [];
            if (measure == "rha-on-time" && assessed.Count > 0)
            {
                // Dated records alone. The clock starts at the first assessment; a review is due an interval after it.
                // Kept: an assessment after the clock's start and on or before the due day, which restarts the clock
                // from the latest such one. Missed: the clock restarts from the missed day, or from a late review
                // that came before the next due day. A due day counts when in the period and the child was looked after.
                met = true;
                var clock = assessed[0];
                for (var due = ReviewDueAfter(dob, clock); due <= March; due = ReviewDueAfter(dob, clock))
                {
                    var done = assessed.Where(d => d > clock && d <= due).ToList();
                    var open = care.LastOrDefault(e => Day(e["DECOM"]) <= due && (Day(e["DEC"]) is not { } c || c > due));
                    if (due >= YearStart && open is not null)
                    {
                        inDenominator = true;
                        met &= done.Count > 0;
                        placement = open; // the last due day's placement
                    }
                    var late = assessed.Where(d => d > due && d < ReviewDueAfter(dob, due)).ToList();
                    clock = done.Count > 0 ? done[^1] : late.Count > 0 ? late[0] : due;
                }
            }
            else if (measure == "iha-20-working-days")
            {
                foreach (var e in care.Where(e => e["RNE"] == "S"))
                {
                    var start = Day(e["DECOM"])!.Value;
                    var due = start;
                    for (var n = 0; n < 20;) { due = due.AddDays(1); if (due.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !Hub.Mappers.Kpis.BankHolidays.EnglandAndWales.Days.Contains(due)) n++; }
                    if (due < YearStart || due > March) continue;
                    // Still in care on the due day: walk forward through episodes continuing this one.
                    var i = care.IndexOf(e);
                    while (Day(care[i]["DEC"]) is { } ceased && ceased <= due && i + 1 < care.Count && Day(care[i + 1]["DECOM"]) == ceased) i++;
                    if (Day(care[i]["DEC"]) is { } left && left <= due) continue;
                    inDenominator = true;
                    met = nhs.TryGetValue(child, out var number) && ihaByNhs[number].Any(d => d >= start && d <= due);
                    placement = care.Last(x => Day(x["DECOM"]) <= due);
                }
            }
            else
            {
                var open = care.SingleOrDefault(e => Day(e["DECOM"]) <= March && (Day(e["DEC"]) is not { } c || c > March));
                if (open is null) continue;
                var i = care.IndexOf(open);
                while (i > 0 && Day(care[i - 1]["DEC"]) == Day(care[i]["DECOM"])) i--;
                if (Day(care[i]["DECOM"]) > YearStart) continue;
                if (measure == "sdq-recorded" && Age(dob, March) is < 4 or > 16) continue;
                inDenominator = true;
                placement = open;
                oc2.TryGetValue(child, out var row);
                met = measure switch
                {
                    "immunisations-up-to-date" => row?["IMMUNISATIONS"] == "1",
                    "dental-check" => row?["TEETH_CHECK"] == "1", // the generator writes no dated dental checks
                    "rha-on-time" => row?["HEALTH_ASSESSMENT"] == "1", // a child with no dated IHA or RHA
                    _ => !string.IsNullOrEmpty(row?["SDQ_SCORE"]),
                };
                if (measure == "sdq-recorded" && met)
                {
                    var score = int.Parse(row!["SDQ_SCORE"]!, CultureInfo.InvariantCulture);
                    sum += score;
                    if (score >= 17) concern++;
                }
            }
            if (!inDenominator) continue;
            den++;
            if (met) num++;
            if (InArea(placement!)) { inDen++; if (met) inNum++; }
        }
        return new IndependentCounts(den, num, inDen, inNum, sum, concern);
    }
}
