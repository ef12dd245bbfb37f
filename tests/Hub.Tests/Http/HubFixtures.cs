using Hub.Tests.Infrastructure;

namespace Hub.Tests.Http;

/// <summary>One running hub shared by the tests of a class; each test makes its own children so tests stay independent.</summary>
public abstract class HubFixture(string provider) : IAsyncLifetime
{
    public RunningHub Hub { get; private set; } = null!;
    public string Provider => provider;

    public async Task InitializeAsync() => Hub = await RunningHub.StartAsync(provider);
    public async Task DisposeAsync() => await Hub.DisposeAsync();
}

public sealed class SqliteHubFixture() : HubFixture("Sqlite");
public sealed class PostgresHubFixture() : HubFixture("Postgres");
