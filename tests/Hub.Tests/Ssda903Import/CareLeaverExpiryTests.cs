using Hl7.Fhir.Model;
using Hub.Api.Auth;
using Hub.Api.ReferenceData;
using Hub.Api.Search;
using Hub.Api.Ssda903;
using Hub.Api.Storage;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Generation;
using Hub.Tests.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hub.Tests.Ssda903Import;

/// <summary>Care-leaver status ends on the 25th birthday, with no return to say so: the daily job closes the flag.</summary>
public abstract class CareLeaverExpiryTests(HubFixture fixture)
{
    sealed class At(DateOnly day) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(day.ToDateTime(new TimeOnly(2, 0)), TimeSpan.Zero);
    }

    [Fact]
    public async System.Threading.Tasks.Task the_care_leaver_flag_closes_on_the_25th_birthday_and_only_then()
    {
        var hub = fixture.Hub;
        // A return of the generator's fixed scenarios, one of them a care leaver aged 19; an LA of its own so other tests' children stay out.
        var codes = CodeLists.Load(Path.Combine(AppContext.BaseDirectory, "fhir-profiles"));
        var areas = GenerationAreas.For(ReferenceDataOptions.BuiltIn, "888");
        var generated = ReturnGenerator.Generate("888", 2026, 3, 42, codes, areas.Home, areas.Away, areas.HealthTeams);
        var folder = Directory.CreateTempSubdirectory("carehub-return-").FullName;
        generated.WriteCsv(folder);
        var careLeaver = generated.Scenarios[Scenario.CareLeaverAged19];
        using (var scope = hub.App.Services.CreateScope())
        {
            var caller = new Caller("888", OrgTypes.La, "social-worker", "direct-care", null, ["system/*.cruds"], "test");
            Assert.True((await scope.ServiceProvider.GetRequiredService<Ssda903Importer>().ImportAsync(caller, "888", 2026, folder)).Committed);
        }

        PatientFactsRow facts;
        using (var scope = hub.App.Services.CreateScope())
            facts = await scope.ServiceProvider.GetRequiredService<HubDb>().PatientFacts.AsNoTracking().SingleAsync(f => f.ManagingLa == "888" && f.LaChildId == careLeaver);
        var until = Assert.IsType<DateOnly>(facts.CareLeaverUntil);

        async Task<int> RunOnAsync(DateOnly day)
        {
            using var scope = hub.App.Services.CreateScope();
            var job = new CareLeaverExpiry(scope.ServiceProvider.GetRequiredService<HubDbFactory>(), scope.ServiceProvider.GetRequiredService<SearchIndexer>(),
                new At(day), NullLogger<CareLeaverExpiry>.Instance);
            return await job.RunAsync(CancellationToken.None);
        }
        async Task<Flag> FlagAsync()
        {
            // Read as the hub holds it: what a caller may see of a care leaver is the consent rules' business, tested apart.
            using var scope = hub.App.Services.CreateScope();
            var row = await scope.ServiceProvider.GetRequiredService<HubDb>().Resources.AsNoTracking()
                .SingleAsync(r => r.Type == "Flag" && r.PatientId == facts.PatientId && r.Json.Contains("\"care-leaver\""));
            return (Flag)Hub.Api.Fhir.FhirFormat.ParseJson(row.Json);
        }

        Assert.Equal(0, await RunOnAsync(until.AddDays(-1)));
        Assert.Equal(Flag.FlagStatus.Active, (await FlagAsync()).Status);

        Assert.True(await RunOnAsync(until) >= 1);
        var closed = await FlagAsync();
        Assert.Equal(Flag.FlagStatus.Inactive, closed.Status);
        Assert.Equal(until.ToString("yyyy-MM-dd"), closed.Period.End);
        using (var scope = hub.App.Services.CreateScope())
            Assert.Null((await scope.ServiceProvider.GetRequiredService<HubDb>().PatientFacts.AsNoTracking().SingleAsync(f => f.PatientId == facts.PatientId)).CareLeaverUntil);

        Assert.Equal(0, await RunOnAsync(until.AddDays(1))); // nothing left to close
        Assert.Equal("2", (await FlagAsync()).Meta.VersionId);
    }
}

public sealed class SqliteCareLeaverExpiryTests(SqliteHubFixture f) : CareLeaverExpiryTests(f), IClassFixture<SqliteHubFixture>;
public sealed class PostgresCareLeaverExpiryTests(PostgresHubFixture f) : CareLeaverExpiryTests(f), IClassFixture<PostgresHubFixture>;
