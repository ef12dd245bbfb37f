using Hub.Api.Storage;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Hub.Api.CareLeavers;

/// <summary>
/// Stores many AuditEvents of one call at once: binary COPY on PostgreSQL (a 10,000-number call can name thousands of
/// children, each its own AuditEvent), EF Core's batched inserts on SQLite. One transaction either way.
/// </summary>
public static class AuditBatch
{
    public static async System.Threading.Tasks.Task WriteAsync(HubDb db, IReadOnlyList<AuditRow> rows, CancellationToken ct)
    {
        if (db is not PostgresHubDb)
        {
            db.Audit.AddRange(rows);
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            return;
        }
        var entity = db.Model.FindEntityType(typeof(AuditRow))!;
        string Column(string property) => $"\"{entity.FindProperty(property)!.GetColumnName()}\"";
        string[] columns = [nameof(AuditRow.Id), nameof(AuditRow.Recorded), nameof(AuditRow.AgentOrg), nameof(AuditRow.AgentType), nameof(AuditRow.Purpose),
            nameof(AuditRow.Action), nameof(AuditRow.Outcome), nameof(AuditRow.PatientId), nameof(AuditRow.Json)];
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var copy = await connection.BeginBinaryImportAsync(
                $"COPY \"{entity.GetTableName()}\" ({string.Join(", ", columns.Select(Column))}) FROM STDIN (FORMAT BINARY)", ct);
            foreach (var r in rows)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(r.Id, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(DateTime.SpecifyKind(r.Recorded, DateTimeKind.Utc), NpgsqlDbType.TimestampTz, ct);
                await copy.WriteAsync(r.AgentOrg, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.AgentType, NpgsqlDbType.Text, ct);
                await WriteNullableAsync(copy, r.Purpose, ct);
                await copy.WriteAsync(r.Action, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.Outcome, NpgsqlDbType.Text, ct);
                await WriteNullableAsync(copy, r.PatientId, ct);
                await copy.WriteAsync(r.Json, NpgsqlDbType.Text, ct);
            }
            await copy.CompleteAsync(ct);
        }
        finally { await db.Database.CloseConnectionAsync(); }
    }

    static async System.Threading.Tasks.Task WriteNullableAsync(NpgsqlBinaryImporter copy, string? value, CancellationToken ct)
    {
        if (value is null) await copy.WriteNullAsync(ct);
        else await copy.WriteAsync(value, NpgsqlDbType.Text, ct);
    }
}
