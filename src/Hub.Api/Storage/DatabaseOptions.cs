namespace Hub.Api.Storage;

public enum DatabaseProvider { Sqlite, Postgres }

/// <summary>`Hub:Database`: which provider holds the store.</summary>
public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
}
