using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Hub.Api.Storage;

// Used only by `dotnet ef migrations add`; the running hub configures the contexts in StorageSetup.
sealed class SqliteDesignFactory : IDesignTimeDbContextFactory<SqliteHubDb>
{
    public SqliteHubDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteHubDb>().UseSqlite("Data Source=design.db").Options);
}

sealed class PostgresDesignFactory : IDesignTimeDbContextFactory<PostgresHubDb>
{
    public PostgresHubDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresHubDb>().UseNpgsql("Host=localhost;Database=design").Options);
}
