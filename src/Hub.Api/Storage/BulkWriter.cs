using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Hub.Api.Storage;

/// <summary>
/// One batch of the bulk path's writes: new resources, new versions of existing ones (each expecting the version it
/// replaces), and the facts of their patients, inserted or replaced whole.
/// </summary>
public sealed class BulkBatch
{
    public List<StagedRows> Created { get; } = [];
    public List<(StagedRows Rows, int ExpectedVersion)> Updated { get; } = [];
    public List<PatientFactsRow> Facts { get; } = [];
    public bool IsEmpty => Created.Count == 0 && Updated.Count == 0 && Facts.Count == 0;
}

/// <summary>
/// Writes thousands of resources at a time inside the caller's open transaction, without the change tracker:
/// PostgreSQL by binary COPY, SQLite by prepared statements. An import of a national return makes millions of index
/// rows; one tracked entity and one INSERT each cost minutes. A resource changed by someone else since it was read
/// fails the batch, as the tracked path's concurrency token does. Table and column names come from the EF model.
/// </summary>
public abstract class BulkWriter : IAsyncDisposable
{
    /// <summary>The tables the bulk path writes, named as the EF model names them (both providers quote names alike).</summary>
    protected readonly Table resources, versions, tokens, references, dates, strings, kpis, facts;

    protected BulkWriter(HubDb db)
    {
        static string Quote(string name) => $"\"{name}\"";
        resources = TableOf<ResourceRow>(db, Quote, ResourceColumns);
        versions = TableOf<ResourceVersionRow>(db, Quote, VersionColumns);
        tokens = TableOf<TokenIndexRow>(db, Quote, TokenColumns);
        references = TableOf<ReferenceIndexRow>(db, Quote, ReferenceColumns);
        dates = TableOf<DateIndexRow>(db, Quote, DateColumns);
        strings = TableOf<StringIndexRow>(db, Quote, StringColumns);
        kpis = TableOf<KpiRecordRow>(db, Quote, KpiColumns);
        facts = TableOf<PatientFactsRow>(db, Quote, FactColumns);
    }

    public static BulkWriter For(HubDb db) => db is PostgresHubDb ? new PostgresBulkWriter(db) : new SqliteBulkWriter(db);

    public abstract Task WriteAsync(BulkBatch batch, CancellationToken ct);

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    protected static DbUpdateConcurrencyException Conflict(int expected, int actual) =>
        new($"{expected - actual} of {expected} resources changed while the import ran; the import is rolled back and can be run again");

    /// <summary>A table's name and the quoted column names of the given properties, in that order.</summary>
    protected sealed record Table(string Name, string[] Columns)
    {
        public string List => string.Join(", ", Columns);
        public string this[string property] => Columns[Array.IndexOf(Properties, property)];
        public required string[] Properties { get; init; }
    }

    protected static Table TableOf<T>(HubDb db, Func<string, string> quote, params string[] properties)
    {
        var entity = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model");
        var store = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        return new Table(quote(entity.GetTableName()!), [.. properties.Select(p => quote(entity.FindProperty(p)!.GetColumnName(store)!))]) { Properties = properties };
    }

    protected static readonly string[] ResourceColumns =
        [nameof(ResourceRow.Type), nameof(ResourceRow.Id), nameof(ResourceRow.Version), nameof(ResourceRow.LastUpdated), nameof(ResourceRow.Deleted),
         nameof(ResourceRow.PatientId), nameof(ResourceRow.Json), nameof(ResourceRow.ContentHash)];
    protected static readonly string[] VersionColumns =
        [nameof(ResourceVersionRow.Type), nameof(ResourceVersionRow.Id), nameof(ResourceVersionRow.Version), nameof(ResourceVersionRow.LastUpdated),
         nameof(ResourceVersionRow.Deleted), nameof(ResourceVersionRow.Method), nameof(ResourceVersionRow.Json)];
    protected static readonly string[] TokenColumns = [nameof(TokenIndexRow.Type), nameof(TokenIndexRow.Id), nameof(TokenIndexRow.Param), nameof(TokenIndexRow.System), nameof(TokenIndexRow.Code)];
    protected static readonly string[] ReferenceColumns = [nameof(ReferenceIndexRow.Type), nameof(ReferenceIndexRow.Id), nameof(ReferenceIndexRow.Param), nameof(ReferenceIndexRow.TargetType), nameof(ReferenceIndexRow.TargetId)];
    protected static readonly string[] DateColumns = [nameof(DateIndexRow.Type), nameof(DateIndexRow.Id), nameof(DateIndexRow.Param), nameof(DateIndexRow.Start), nameof(DateIndexRow.End)];
    protected static readonly string[] StringColumns = [nameof(StringIndexRow.Type), nameof(StringIndexRow.Id), nameof(StringIndexRow.Param), nameof(StringIndexRow.Value)];
    protected static readonly string[] KpiColumns =
        [nameof(KpiRecordRow.Type), nameof(KpiRecordRow.Id), nameof(KpiRecordRow.PatientId), nameof(KpiRecordRow.Kind), nameof(KpiRecordRow.Code),
         nameof(KpiRecordRow.Start), nameof(KpiRecordRow.End), nameof(KpiRecordRow.LegalStatus), nameof(KpiRecordRow.ReasonNewEpisode),
         nameof(KpiRecordRow.PlacementIcb), nameof(KpiRecordRow.Flag), nameof(KpiRecordRow.Score)];

    // The kind as its name: the EF model stores the enum as a string.
    protected static object?[] KpiValues(KpiRecordRow k) =>
        [k.Type, k.Id, k.PatientId, k.Kind.ToString(), k.Code, k.Start, k.End, k.LegalStatus, k.ReasonNewEpisode, k.PlacementIcb, k.Flag, k.Score];

    protected static readonly string[] FactColumns =
        [nameof(PatientFactsRow.PatientId), nameof(PatientFactsRow.NhsNumber), nameof(PatientFactsRow.ManagingLa), nameof(PatientFactsRow.RegisteredGp),
         nameof(PatientFactsRow.BirthDate), nameof(PatientFactsRow.Sealed), nameof(PatientFactsRow.SealedYear), nameof(PatientFactsRow.LaChildId),
         nameof(PatientFactsRow.LookedAfter), nameof(PatientFactsRow.PlacementIcb), nameof(PatientFactsRow.LastPlacementIcb),
         nameof(PatientFactsRow.LastPlacementEnded), nameof(PatientFactsRow.CareLeaverUntil)];

    protected static object?[] FactValues(PatientFactsRow f) =>
        [f.PatientId, f.NhsNumber, f.ManagingLa, f.RegisteredGp, f.BirthDate, f.Sealed, f.SealedYear, f.LaChildId, f.LookedAfter,
         f.PlacementIcb, f.LastPlacementIcb, f.LastPlacementEnded, f.CareLeaverUntil];
}

/// <summary>Binary COPY into the tables; changed resources and facts go through temporary tables and one UPDATE or upsert each.</summary>
sealed class PostgresBulkWriter : BulkWriter
{
    readonly NpgsqlConnection connection;
    bool staging;

    public PostgresBulkWriter(HubDb db) : base(db) => connection = (NpgsqlConnection)db.Database.GetDbConnection();

    public override async Task WriteAsync(BulkBatch batch, CancellationToken ct)
    {
        if (batch.IsEmpty) return;
        await StagingTablesAsync(ct);
        if (batch.Updated.Count > 0)
        {
            await ExecuteAsync("TRUNCATE bulk_resources", ct);
            await CopyAsync($"COPY bulk_resources ({resources.List}, \"Expected\")", batch.Updated, async (w, u) =>
            {
                await WriteResourceAsync(w, u.Rows.Row, ct);
                await w.WriteAsync(u.ExpectedVersion, NpgsqlDbType.Integer, ct);
            }, ct);
            var set = string.Join(", ", resources.Columns.Skip(2).Select(c => $"{c} = b.{c}"));
            var changed = await ExecuteAsync(
                $"UPDATE {resources.Name} r SET {set} FROM bulk_resources b WHERE r.{resources["Type"]} = b.{resources["Type"]} AND r.{resources["Id"]} = b.{resources["Id"]} AND r.{resources["Version"]} = b.\"Expected\"", ct);
            if (changed != batch.Updated.Count) throw Conflict(batch.Updated.Count, changed);
            foreach (var index in new[] { tokens, references, dates, strings, kpis })
                await ExecuteAsync($"DELETE FROM {index.Name} i USING bulk_resources b WHERE i.{index["Type"]} = b.{resources["Type"]} AND i.{index["Id"]} = b.{resources["Id"]}", ct);
        }
        var staged = batch.Created.Concat(batch.Updated.Select(u => u.Rows)).ToList();
        await CopyAsync($"COPY {resources.Name} ({resources.List})", batch.Created, (w, s) => WriteResourceAsync(w, s.Row, ct), ct);
        await CopyAsync($"COPY {versions.Name} ({versions.List})", staged, async (w, s) =>
        {
            var v = s.Version;
            await w.WriteAsync(v.Type, NpgsqlDbType.Varchar, ct); await w.WriteAsync(v.Id, NpgsqlDbType.Varchar, ct);
            await w.WriteAsync(v.Version, NpgsqlDbType.Integer, ct); await w.WriteAsync(v.LastUpdated, NpgsqlDbType.TimestampTz, ct);
            await w.WriteAsync(v.Deleted, NpgsqlDbType.Boolean, ct); await w.WriteAsync(v.Method, NpgsqlDbType.Varchar, ct);
            await w.WriteAsync(v.Json, NpgsqlDbType.Text, ct);
        }, ct);
        await CopyAsync($"COPY {tokens.Name} ({tokens.List})", staged.SelectMany(s => s.Index.Tokens).ToList(), async (w, t) =>
        {
            await w.WriteAsync(t.Type, NpgsqlDbType.Text, ct); await w.WriteAsync(t.Id, NpgsqlDbType.Text, ct); await w.WriteAsync(t.Param, NpgsqlDbType.Text, ct);
            await TextOrNullAsync(w, t.System, ct); await w.WriteAsync(t.Code, NpgsqlDbType.Text, ct);
        }, ct);
        await CopyAsync($"COPY {references.Name} ({references.List})", staged.SelectMany(s => s.Index.References).ToList(), async (w, r) =>
        {
            await w.WriteAsync(r.Type, NpgsqlDbType.Text, ct); await w.WriteAsync(r.Id, NpgsqlDbType.Text, ct); await w.WriteAsync(r.Param, NpgsqlDbType.Text, ct);
            await w.WriteAsync(r.TargetType, NpgsqlDbType.Text, ct); await w.WriteAsync(r.TargetId, NpgsqlDbType.Text, ct);
        }, ct);
        await CopyAsync($"COPY {dates.Name} ({dates.List})", staged.SelectMany(s => s.Index.Dates).ToList(), async (w, d) =>
        {
            await w.WriteAsync(d.Type, NpgsqlDbType.Text, ct); await w.WriteAsync(d.Id, NpgsqlDbType.Text, ct); await w.WriteAsync(d.Param, NpgsqlDbType.Text, ct);
            await w.WriteAsync(d.Start, NpgsqlDbType.TimestampTz, ct); await w.WriteAsync(d.End, NpgsqlDbType.TimestampTz, ct);
        }, ct);
        await CopyAsync($"COPY {strings.Name} ({strings.List})", staged.SelectMany(s => s.Index.Strings).ToList(), async (w, s) =>
        {
            await w.WriteAsync(s.Type, NpgsqlDbType.Text, ct); await w.WriteAsync(s.Id, NpgsqlDbType.Text, ct); await w.WriteAsync(s.Param, NpgsqlDbType.Text, ct);
            await w.WriteAsync(s.Value, NpgsqlDbType.Text, ct);
        }, ct);
        await CopyAsync($"COPY {kpis.Name} ({kpis.List})", staged.Where(s => s.Index.Kpi is not null).Select(s => s.Index.Kpi!).ToList(),
            (w, k) => WriteValuesAsync(w, KpiValues(k), ct), ct);
        if (batch.Facts.Count > 0)
        {
            await ExecuteAsync("TRUNCATE bulk_facts", ct);
            await CopyAsync($"COPY bulk_facts ({facts.List})", batch.Facts, (w, f) => WriteValuesAsync(w, FactValues(f), ct), ct);
            var key = facts[nameof(PatientFactsRow.PatientId)];
            var set = string.Join(", ", facts.Columns.Where(c => c != key).Select(c => $"{c} = EXCLUDED.{c}"));
            await ExecuteAsync($"INSERT INTO {facts.Name} ({facts.List}) SELECT {facts.List} FROM bulk_facts ON CONFLICT ({key}) DO UPDATE SET {set}", ct);
        }
    }

    /// <summary>Staging tables live as long as the transaction, so a rolled-back import leaves nothing behind.</summary>
    async Task StagingTablesAsync(CancellationToken ct)
    {
        if (staging) return;
        await ExecuteAsync($"CREATE TEMP TABLE IF NOT EXISTS bulk_resources ON COMMIT DROP AS SELECT {resources.List}, 0 AS \"Expected\" FROM {resources.Name} WITH NO DATA", ct);
        await ExecuteAsync($"CREATE TEMP TABLE IF NOT EXISTS bulk_facts ON COMMIT DROP AS SELECT {facts.List} FROM {facts.Name} WITH NO DATA", ct);
        staging = true;
    }

    async Task WriteResourceAsync(NpgsqlBinaryImporter w, ResourceRow r, CancellationToken ct)
    {
        await w.WriteAsync(r.Type, NpgsqlDbType.Varchar, ct); await w.WriteAsync(r.Id, NpgsqlDbType.Varchar, ct);
        await w.WriteAsync(r.Version, NpgsqlDbType.Integer, ct); await w.WriteAsync(r.LastUpdated, NpgsqlDbType.TimestampTz, ct);
        await w.WriteAsync(r.Deleted, NpgsqlDbType.Boolean, ct);
        if (r.PatientId is null) await w.WriteNullAsync(ct); else await w.WriteAsync(r.PatientId, NpgsqlDbType.Varchar, ct);
        await w.WriteAsync(r.Json, NpgsqlDbType.Text, ct);
        await TextOrNullAsync(w, r.ContentHash, ct);
    }

    static async Task WriteValuesAsync(NpgsqlBinaryImporter w, object?[] values, CancellationToken ct)
    {
        foreach (var value in values)
        {
            switch (value)
            {
                case null: await w.WriteNullAsync(ct); break;
                case string s: await w.WriteAsync(s, NpgsqlDbType.Text, ct); break;
                case DateOnly d: await w.WriteAsync(d, NpgsqlDbType.Date, ct); break;
                case bool b: await w.WriteAsync(b, NpgsqlDbType.Boolean, ct); break;
                case int i: await w.WriteAsync(i, NpgsqlDbType.Integer, ct); break;
                default: throw new InvalidOperationException($"No COPY type for {value.GetType().Name}");
            }
        }
    }

    static async Task TextOrNullAsync(NpgsqlBinaryImporter w, string? value, CancellationToken ct)
    {
        if (value is null) await w.WriteNullAsync(ct); else await w.WriteAsync(value, NpgsqlDbType.Text, ct);
    }

    async Task CopyAsync<T>(string copy, IReadOnlyCollection<T> rows, Func<NpgsqlBinaryImporter, T, Task> write, CancellationToken ct)
    {
        if (rows.Count == 0) return;
        await using var importer = await connection.BeginBinaryImportAsync(copy + " FROM STDIN (FORMAT BINARY)", ct);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(ct);
            await write(importer, row);
        }
        await importer.CompleteAsync(ct);
    }

    async Task<int> ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>SQLite has no COPY, but a prepared statement per table, rebound per row inside one transaction, is as fast as it gets.</summary>
sealed class SqliteBulkWriter : BulkWriter
{
    readonly HubDb db;
    readonly Dictionary<string, SqliteCommand> prepared = [];
    readonly Dictionary<Table, SqliteCommand> inserts = [];
    bool bigCache;

    public SqliteBulkWriter(HubDb db) : base(db) => this.db = db;

    public override async Task WriteAsync(BulkBatch batch, CancellationToken ct)
    {
        if (batch.IsEmpty) return;
        if (!bigCache)
        {
            // The index tables' B-trees outgrow SQLite's default 2 MB page cache within a few thousand children, and
            // every insert then reads pages back from the OS: a larger cache for this connection, while it imports.
            await using var pragma = Connection.CreateCommand();
            pragma.CommandText = $"PRAGMA cache_size = -{ImportCacheKiB}";
            await pragma.ExecuteNonQueryAsync(ct);
            bigCache = true;
        }
        var update = Command($"UPDATE {resources.Name} SET {string.Join(", ", resources.Columns.Skip(2).Select((c, i) => $"{c} = $p{i + 2}"))} " +
            $"WHERE {resources["Type"]} = $p0 AND {resources["Id"]} = $p1 AND {resources["Version"]} = $expected", resources.Columns.Length, "$expected");
        var changed = 0;
        foreach (var (rows, expected) in batch.Updated)
        {
            Bind(update, ResourceValues(rows.Row));
            update.Parameters["$expected"].Value = expected;
            changed += await update.ExecuteNonQueryAsync(ct);
            foreach (var index in new[] { tokens, references, dates, strings, kpis })
            {
                var delete = Command($"DELETE FROM {index.Name} WHERE {index["Type"]} = $p0 AND {index["Id"]} = $p1", 2);
                Bind(delete, [rows.Row.Type, rows.Row.Id]);
                await delete.ExecuteNonQueryAsync(ct);
            }
        }
        if (changed != batch.Updated.Count) throw Conflict(batch.Updated.Count, changed);

        foreach (var s in batch.Created) await InsertAsync(resources, ResourceValues(s.Row), ct);
        foreach (var s in batch.Created.Concat(batch.Updated.Select(u => u.Rows)))
        {
            var v = s.Version;
            await InsertAsync(versions, [v.Type, v.Id, v.Version, v.LastUpdated, v.Deleted, v.Method, v.Json], ct);
            foreach (var t in s.Index.Tokens) await InsertAsync(tokens, [t.Type, t.Id, t.Param, t.System, t.Code], ct);
            foreach (var r in s.Index.References) await InsertAsync(references, [r.Type, r.Id, r.Param, r.TargetType, r.TargetId], ct);
            foreach (var d in s.Index.Dates) await InsertAsync(dates, [d.Type, d.Id, d.Param, d.Start, d.End], ct);
            foreach (var x in s.Index.Strings) await InsertAsync(strings, [x.Type, x.Id, x.Param, x.Value], ct);
            if (s.Index.Kpi is { } k) await InsertAsync(kpis, KpiValues(k), ct);
        }
        var key = facts[nameof(PatientFactsRow.PatientId)];
        var upsert = Command($"INSERT INTO {facts.Name} ({facts.List}) VALUES ({Placeholders(facts.Columns.Length)}) " +
            $"ON CONFLICT ({key}) DO UPDATE SET {string.Join(", ", facts.Columns.Where(c => c != key).Select(c => $"{c} = excluded.{c}"))}", facts.Columns.Length);
        foreach (var f in batch.Facts)
        {
            Bind(upsert, FactValues(f));
            await upsert.ExecuteNonQueryAsync(ct);
        }
    }

    const int ImportCacheKiB = 256 * 1024;

    DbConnection Connection => db.Database.GetDbConnection();

    public override async ValueTask DisposeAsync()
    {
        foreach (var command in prepared.Values) await command.DisposeAsync();
        prepared.Clear();
        inserts.Clear();
        if (bigCache && Connection.State == System.Data.ConnectionState.Open)
        {
            // The connection goes back to the pool: back to the default cache, so idle connections hold no import's memory.
            await using var pragma = Connection.CreateCommand();
            pragma.CommandText = "PRAGMA cache_size = -2000";
            await pragma.ExecuteNonQueryAsync();
        }
    }

    static object?[] ResourceValues(ResourceRow r) => [r.Type, r.Id, r.Version, r.LastUpdated, r.Deleted, r.PatientId, r.Json, r.ContentHash];

    async Task InsertAsync(Table table, object?[] values, CancellationToken ct)
    {
        if (!inserts.TryGetValue(table, out var insert))
            inserts[table] = insert = Command($"INSERT INTO {table.Name} ({table.List}) VALUES ({Placeholders(table.Columns.Length)})", table.Columns.Length);
        Bind(insert, values);
        await insert.ExecuteNonQueryAsync(ct);
    }

    static string Placeholders(int n) => string.Join(", ", Enumerable.Range(0, n).Select(i => $"$p{i}"));

    // In the formats EF Core's SQLite provider uses (dates as ISO text, booleans as 0/1), so rows written here compare,
    // sort and read back exactly as tracked ones do: BulkWriterTests holds the two paths to the same bytes.
    void Bind(SqliteCommand command, object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
            command.Parameters[i].Value = values[i] switch
            {
                null => DBNull.Value,
                DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture),
                DateOnly d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                bool b => b ? 1 : 0,
                var v => v,
            };
    }

    SqliteCommand Command(string sql, int parameters, params string[] named)
    {
        if (prepared.TryGetValue(sql, out var command)) return command;
        command = (SqliteCommand)Connection.CreateCommand();
        command.Transaction = (SqliteTransaction?)db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("The bulk writer writes inside the caller's transaction");
        command.CommandText = sql;
        for (var i = 0; i < parameters; i++) command.Parameters.Add(new SqliteParameter($"$p{i}", null));
        foreach (var name in named) command.Parameters.Add(new SqliteParameter(name, null));
        command.Prepare();
        return prepared[sql] = command;
    }
}
