using Npgsql;
using Xunit.Abstractions;

namespace Hub.Tests.Infrastructure;

public sealed class PostgresClusterTests(ITestOutputHelper output)
{
    [Fact]
    public void Two_databases_answer_queries_and_are_separate()
    {
        var cluster = PostgresCluster.Instance;
        output.WriteLine($"PostgreSQL {cluster.ServerVersion} on {cluster.Host}:{cluster.Port} from {cluster.BinDirectory}, " +
                         $"started in {cluster.StartupDuration.TotalMilliseconds:0} ms, directory {cluster.RootDirectory}");

        var first = cluster.CreateDatabase(nameof(PostgresClusterTests));
        var second = cluster.CreateDatabase(nameof(PostgresClusterTests));
        Assert.NotEqual(first, second);
        Assert.Contains("Host=127.0.0.1;", first, StringComparison.Ordinal);
        Assert.Contains($"Port={cluster.Port};", first, StringComparison.Ordinal);
        Assert.Contains("Username=postgres;", first, StringComparison.Ordinal);
        Assert.Contains("Pooling=true", first, StringComparison.Ordinal);

        Assert.Equal(1, Scalar<int>(first, "select 1"));
        Assert.Equal(1, Scalar<int>(second, "select 1"));

        Execute(first, "create table marker (id int primary key, value text not null)");
        Execute(first, "insert into marker values (1, 'first'), (2, 'first again')");
        Execute(second, "create table marker (id int primary key, value text not null)");
        Execute(second, "insert into marker values (1, 'second')");

        Assert.Equal(2L, Scalar<long>(first, "select count(*) from marker"));
        Assert.Equal("first", Scalar<string>(first, "select value from marker where id = 1"));
        Assert.Equal(1L, Scalar<long>(second, "select count(*) from marker"));
        Assert.Equal("second", Scalar<string>(second, "select value from marker where id = 1"));

        Assert.NotEqual(Scalar<string>(first, "select current_database()"), Scalar<string>(second, "select current_database()"));
        Assert.Equal("UTF8", Scalar<string>(first, "show server_encoding"));
        Assert.Equal("ÄÖÜ", Scalar<string>(first, "select upper('äöü')"));

        cluster.DropDatabase(second);
        Assert.Equal(0L, Scalar<long>(cluster.AdminConnectionString,
            $"select count(*) from pg_database where datname = '{new NpgsqlConnectionStringBuilder(second).Database}'"));
        Assert.Equal(2L, Scalar<long>(first, "select count(*) from marker"));
    }

    [Fact]
    public void The_cluster_is_shared_and_runs_as_configured()
    {
        Assert.Same(PostgresCluster.Instance, PostgresCluster.Instance);
        var cluster = PostgresCluster.Instance;
        Assert.True(Directory.Exists(cluster.DataDirectory));
        Assert.StartsWith(Path.GetTempPath().TrimEnd('/'), cluster.RootDirectory, StringComparison.Ordinal);
        Assert.Equal("off", Scalar<string>(cluster.AdminConnectionString, "show fsync"));
        Assert.Equal("400", Scalar<string>(cluster.AdminConnectionString, "show max_connections"));
        Assert.Equal("UTC", Scalar<string>(cluster.AdminConnectionString, "show timezone"));
    }

    [Fact]
    public void Process_runner_captures_output_and_enforces_the_timeout()
    {
        var echo = ProcessRunner.Run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"], TimeSpan.FromSeconds(10));
        Assert.Equal(3, echo.ExitCode);
        Assert.False(echo.TimedOut);
        Assert.Equal("out", echo.StandardOutput.Trim());
        Assert.Equal("err", echo.StandardError.Trim());
        Assert.Throws<InvalidOperationException>(() => echo.EnsureSuccess());

        var slow = ProcessRunner.Run("/bin/sh", ["-c", "sleep 30"], TimeSpan.FromMilliseconds(300));
        Assert.True(slow.TimedOut);
        Assert.False(slow.Succeeded);
        Assert.True(slow.Elapsed < TimeSpan.FromSeconds(10));
    }

    private static T Scalar<T>(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return (T)command.ExecuteScalar()!;
    }

    private static void Execute(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
