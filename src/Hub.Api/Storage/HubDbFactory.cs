using Microsoft.EntityFrameworkCore;

namespace Hub.Api.Storage;

/// <summary>Creates the DbContext of the configured provider; one obvious place that knows which provider is in use.</summary>
public sealed class HubDbFactory(DatabaseProvider provider, IServiceProvider services)
{
    public DatabaseProvider Provider => provider;

    public HubDb Create() => provider switch
    {
        DatabaseProvider.Postgres => services.GetRequiredService<IDbContextFactory<PostgresHubDb>>().CreateDbContext(),
        _ => services.GetRequiredService<IDbContextFactory<SqliteHubDb>>().CreateDbContext(),
    };
}
