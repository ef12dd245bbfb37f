using Hl7.Fhir.Model;
using Hub.Api.Fhir;
using Hub.Api.Search;
using Hub.Api.Storage;
using Hub.Tests.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Storage;

/// <summary>
/// The bulk path (COPY or prepared statements) and the tracked path (EF) must store the same thing: the same row
/// values, index rows, and dates in the same stored form, so search and read cannot tell which path wrote a resource.
/// </summary>
public abstract class BulkWriterTests(HubFixture fixture)
{
    static readonly DateTime Now = new(2026, 11, 26, 9, 30, 15, 123, DateTimeKind.Utc);

    static Patient Child(string id) => new()
    {
        Id = id,
        Meta = new Meta { Profile = ["https://fhir.carehub.org.uk/StructureDefinition/CLAPatient"] },
        Identifier = [new Identifier("https://fhir.carehub.org.uk/Id/la-child-id/933", "BULK-" + id)],
        BirthDate = "2015-04-12",
        Gender = AdministrativeGender.Female,
        Name = [new HumanName { Family = "Zoë", Given = ["Ava"] }],
        ManagingOrganization = new ResourceReference("Organization/933"),
    };

    static EpisodeOfCare Episode(string id, string patientId) => new()
    {
        Id = id,
        Status = EpisodeOfCare.EpisodeOfCareStatus.Active,
        Patient = new ResourceReference("Patient/" + patientId),
        Period = new Period { Start = "2022-03-01" },
        Identifier = [new Identifier("https://fhir.carehub.org.uk/Id/la-episode-id/933", "BULK-" + id)],
    };

    async Task<(HubDb Db, IServiceScope Scope)> DbAsync()
    {
        var scope = fixture.Hub.App.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        await db.Database.OpenConnectionAsync();
        return (db, scope);
    }

    async Task<(ResourceRow Row, ResourceVersionRow Version, List<string> Index)> StoredAsync(HubDb db, string type, string id)
    {
        var row = await db.Resources.AsNoTracking().SingleAsync(r => r.Type == type && r.Id == id);
        var version = await db.Versions.AsNoTracking().SingleAsync(v => v.Type == type && v.Id == id && v.Version == row.Version);
        var index = new List<string>();
        index.AddRange(await db.Tokens.AsNoTracking().Where(t => t.Type == type && t.Id == id).Select(t => "token " + t.Param + " " + t.System + "|" + t.Code).ToListAsync());
        index.AddRange(await db.References.AsNoTracking().Where(t => t.Type == type && t.Id == id).Select(t => "ref " + t.Param + " " + t.TargetType + "/" + t.TargetId).ToListAsync());
        index.AddRange((await db.Dates.AsNoTracking().Where(t => t.Type == type && t.Id == id).ToListAsync()).Select(t => $"date {t.Param} {t.Start:O} {t.End:O}"));
        index.AddRange(await db.Strings.AsNoTracking().Where(t => t.Type == type && t.Id == id).Select(t => "string " + t.Param + " " + t.Value).ToListAsync());
        index.Sort(StringComparer.Ordinal);
        return (row, version, index);
    }

    [Fact]
    public async Task a_resource_written_in_bulk_is_stored_exactly_as_a_tracked_write_stores_it()
    {
        var indexer = fixture.Hub.App.Services.GetRequiredService<SearchIndexer>();
        var (tracked, bulk) = ($"t{Guid.NewGuid():N}"[..20], $"b{Guid.NewGuid():N}"[..20]);
        var (db, scope) = await DbAsync();
        using (scope)
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            // Tracked: as the REST API writes.
            var store = new ResourceStore(db, new FixedClock(Now));
            foreach (var r in new Resource[] { Child(tracked), Episode(tracked, tracked) })
                await store.StageWriteAsync(r, null, "POST", indexer.Extract(r), tracked);
            await db.SaveChangesAsync();
            // Bulk: as the import writes.
            var batch = new BulkBatch();
            foreach (var r in new Resource[] { Child(bulk), Episode(bulk, bulk) })
                batch.Created.Add(ResourceStore.Stage(r, 0, "POST", indexer.Extract(r), bulk, Now));
            batch.Facts.Add(new PatientFactsRow { PatientId = bulk, ManagingLa = "933", BirthDate = new DateOnly(2015, 4, 12), LookedAfter = true, LaChildId = "BULK-" + bulk });
            await using (var writer = BulkWriter.For(db)) await writer.WriteAsync(batch, default);
            await tx.CommitAsync();
        }

        (db, scope) = await DbAsync();
        using (scope)
        {
            foreach (var type in new[] { "Patient", "EpisodeOfCare" })
            {
                var t = await StoredAsync(db, type, tracked);
                var b = await StoredAsync(db, type, bulk);
                Assert.Equal(t.Row.Json.Replace(tracked, bulk), b.Row.Json);
                Assert.Equal(t.Row.LastUpdated, b.Row.LastUpdated);
                Assert.Equal((t.Row.Version, t.Row.Deleted), (b.Row.Version, b.Row.Deleted));
                // The hash covers the id too, so each is checked against its own content.
                Assert.Equal(ResourceStore.Hash(FhirFormat.ParseJson(t.Row.Json)), t.Row.ContentHash);
                Assert.Equal(ResourceStore.Hash(FhirFormat.ParseJson(b.Row.Json)), b.Row.ContentHash);
                Assert.Equal(bulk, b.Row.PatientId);
                Assert.Equal((t.Version.Method, t.Version.LastUpdated, t.Version.Json.Replace(tracked, bulk)), (b.Version.Method, b.Version.LastUpdated, b.Version.Json));
                Assert.NotEmpty(b.Index);
                Assert.Equal(t.Index.Select(i => i.Replace(tracked, bulk)), b.Index);
            }
            var facts = await db.PatientFacts.AsNoTracking().SingleAsync(f => f.PatientId == bulk);
            Assert.Equal((new DateOnly(2015, 4, 12), true, "933"), (facts.BirthDate, facts.LookedAfter, facts.ManagingLa));
            // Date and string search compare the stored forms: both children are found the same way.
            var births = await db.Dates.AsNoTracking()
                .Where(d => d.Type == "Patient" && d.Param == "birthdate" && d.Start >= new DateTime(2015, 4, 12, 0, 0, 0, DateTimeKind.Utc) && d.Start < new DateTime(2015, 4, 13, 0, 0, 0, DateTimeKind.Utc) && (d.Id == tracked || d.Id == bulk))
                .Select(d => d.Id).ToListAsync();
            Assert.Equal([bulk, tracked], births.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task a_bulk_update_of_a_resource_changed_since_it_was_read_fails_and_writes_nothing()
    {
        var indexer = fixture.Hub.App.Services.GetRequiredService<SearchIndexer>();
        var id = $"c{Guid.NewGuid():N}"[..20];
        var (db, scope) = await DbAsync();
        using (scope)
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            var batch = new BulkBatch();
            var patient = Child(id);
            batch.Created.Add(ResourceStore.Stage(patient, 0, "POST", indexer.Extract(patient), id, Now));
            await using (var writer = BulkWriter.For(db)) await writer.WriteAsync(batch, default);
            await tx.CommitAsync();
        }

        (db, scope) = await DbAsync();
        using (scope)
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            var changed = Child(id);
            changed.BirthDate = "2016-01-01";
            var batch = new BulkBatch();
            // Version 1 is stored; an import that read version 0 (or any other) must not overwrite it.
            batch.Updated.Add((ResourceStore.Stage(changed, 1, "PUT", indexer.Extract(changed), id, Now), ExpectedVersion: 7));
            await using var writer = BulkWriter.For(db);
            var e = await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => writer.WriteAsync(batch, default));
            Assert.Contains("changed while the import ran", e.Message);
            await tx.RollbackAsync();
        }

        (db, scope) = await DbAsync();
        using (scope)
        {
            var stored = await StoredAsync(db, "Patient", id);
            Assert.Equal(1, stored.Row.Version);
            Assert.Contains("2015-04-12", stored.Row.Json);
            Assert.Contains(stored.Index, i => i.StartsWith("date birthdate 2015-04-12", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task a_bulk_update_replaces_the_index_and_keeps_the_history()
    {
        var indexer = fixture.Hub.App.Services.GetRequiredService<SearchIndexer>();
        var id = $"u{Guid.NewGuid():N}"[..20];
        foreach (var (version, birth) in new[] { (0, "2015-04-12"), (1, "2016-05-06") })
        {
            var (db, scope) = await DbAsync();
            using (scope)
            {
                await using var tx = await db.Database.BeginTransactionAsync();
                var patient = Child(id);
                patient.BirthDate = birth;
                var batch = new BulkBatch();
                var rows = ResourceStore.Stage(patient, version, version == 0 ? "POST" : "PUT", indexer.Extract(patient), id, Now.AddSeconds(version));
                if (version == 0) batch.Created.Add(rows); else batch.Updated.Add((rows, version));
                await using (var writer = BulkWriter.For(db)) await writer.WriteAsync(batch, default);
                await tx.CommitAsync();
            }
        }
        var (db2, scope2) = await DbAsync();
        using (scope2)
        {
            var stored = await StoredAsync(db2, "Patient", id);
            Assert.Equal(2, stored.Row.Version);
            Assert.Equal(["date birthdate 2016-05-06"], stored.Index.Where(i => i.StartsWith("date birthdate", StringComparison.Ordinal)).Select(i => i[..25]));
            var history = await db2.Versions.AsNoTracking().Where(v => v.Type == "Patient" && v.Id == id).OrderBy(v => v.Version).Select(v => v.Method).ToListAsync();
            Assert.Equal(["POST", "PUT"], history);
        }
    }

    sealed class FixedClock(DateTime now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(now);
    }
}

public sealed class SqliteBulkWriterTests(SqliteHubFixture fixture) : BulkWriterTests(fixture), IClassFixture<SqliteHubFixture>;
public sealed class PostgresBulkWriterTests(PostgresHubFixture fixture) : BulkWriterTests(fixture), IClassFixture<PostgresHubFixture>;

/// <summary>One serialisation serves the hash and the stored JSON: the stamped JSON must be what the serialiser writes itself.</summary>
public sealed class StoredJsonTests
{
    public static TheoryData<string> Examples() =>
        [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "fhir-profiles", "examples"), "*.json").Select(Path.GetFileName)!];

    [Theory]
    [MemberData(nameof(Examples))]
    public void a_staged_resource_stores_the_json_the_serialiser_writes(string example)
    {
        var resource = FhirFormat.ParseJson(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fhir-profiles", "examples", example)));
        resource.Id ??= "x1";
        var rows = ResourceStore.Stage(resource, 4, "PUT", new IndexEntries([], [], [], []), null, new DateTime(2026, 11, 26, 9, 30, 15, 120, DateTimeKind.Utc));
        Assert.Equal(FhirFormat.SerializeToString(resource), rows.Row.Json);
        Assert.Contains("\"versionId\":\"5\"", rows.Row.Json);
        Assert.Equal(ResourceStore.Hash(resource), rows.Row.ContentHash);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void a_resource_with_no_meta_or_only_a_profile_gets_its_version_stamped(bool profile)
    {
        var patient = new Patient { Id = "p1", BirthDate = "2015-04-12" };
        if (profile) patient.Meta = new Meta { Profile = ["https://fhir.carehub.org.uk/StructureDefinition/CLAPatient"] };
        var rows = ResourceStore.Stage(patient, 0, "POST", new IndexEntries([], [], [], []), "p1", new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        Assert.Equal(FhirFormat.SerializeToString(patient), rows.Row.Json);
        var parsed = FhirFormat.ParseJson(rows.Row.Json);
        Assert.Equal("1", parsed.Meta.VersionId);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), parsed.Meta.LastUpdated);
    }
}
