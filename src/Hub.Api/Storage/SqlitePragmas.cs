using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Hub.Api.Storage;

/// <summary>
/// Per-connection SQLite settings: wait for a busy writer instead of failing, and under WAL sync at checkpoints
/// (a crash can lose the last commits but never half of one: every transaction stays atomic).
/// </summary>
public sealed class SqlitePragmas : DbConnectionInterceptor
{
    const string Pragmas = "PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";

    /// <summary>
    /// Gives SQLite's planner table statistics (sampled, so it takes well under a second at any size): without them it
    /// walks every resource of a type to find one by identifier instead of starting from the search index. Run at start
    /// and after each import, the two moments the tables change shape.
    /// </summary>
    public static Task RefreshStatisticsAsync(HubDb db, CancellationToken ct) =>
        db.Database.ExecuteSqlRawAsync("PRAGMA analysis_limit=400; ANALYZE;", ct);

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
