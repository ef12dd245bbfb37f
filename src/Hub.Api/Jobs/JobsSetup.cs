using Hangfire;
using Hangfire.Dashboard;
using Hangfire.Logging;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.Storage.SQLite;
using Hub.Api.Auth;
using Microsoft.Data.Sqlite;

namespace Hub.Api.Jobs;

public enum JobStorageKind { Sqlite, Postgres, InMemory }

/// <summary>`Hub:Jobs`: where Hangfire keeps its jobs.</summary>
public sealed class JobsOptions
{
    /// <summary>Follows the database provider when not set; InMemory is for unit tests only.</summary>
    public JobStorageKind? Storage { get; set; }
    /// <summary>How often an idle worker looks for new jobs.</summary>
    public double PollSeconds { get; set; } = 1;
    public int Workers { get; set; } = 2;
}

/// <summary>Hangfire with storage that follows the database, its server, and its dashboard at /jobs for admins.</summary>
public static class JobsSetup
{
    public static void AddHubJobs(this WebApplicationBuilder builder, Storage.DatabaseProvider provider, string connectionString)
    {
        var options = builder.Configuration.GetSection("Hub:Jobs").Get<JobsOptions>() ?? new JobsOptions();
        var kind = options.Storage ?? (provider == Storage.DatabaseProvider.Postgres ? JobStorageKind.Postgres : JobStorageKind.Sqlite);
        var poll = TimeSpan.FromSeconds(options.PollSeconds);
        // Before any storage is made: its constructor logs through whatever provider Hangfire holds.
        LogProvider.SetCurrentLogProvider(HangfireLogging.Instance);
        // An instance, not JobStorage.Current: two hubs in one process (the tests) must not share a job store.
        JobStorage storage = kind switch
        {
            JobStorageKind.Postgres => new PostgreSqlStorage(
                new NpgsqlConnectionFactory(connectionString, new PostgreSqlStorageOptions()),
                new PostgreSqlStorageOptions { QueuePollInterval = poll, PrepareSchemaIfNecessary = true, SchemaName = "hangfire" }),
            JobStorageKind.InMemory => new InMemoryStorage(),
            _ => new SQLiteStorage(JobsDatabasePath(connectionString), new SQLiteStorageOptions { QueuePollInterval = poll }),
        };
        builder.Services.AddSingleton(storage);
        builder.Services.AddHangfire((sp, c) =>
        {
            c.UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings();
            HangfireLogging.Follow(sp.GetRequiredService<ILoggerFactory>());
        });
        builder.Services.AddHangfireServer((sp, o) =>
        {
            o.WorkerCount = options.Workers;
            o.SchedulePollingInterval = poll;
            o.ServerName = "carehub";
            // This hub's own container, not Hangfire's process-wide JobActivator.Current: that one follows whichever hub
            // was configured last, so with two hubs in a process (the tests, a hub beside its CLI) a job could run
            // against the other hub's services and database, or a disposed one.
            o.Activator = new Hangfire.AspNetCore.AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>());
        }, storage);
    }

    /// <summary>Hangfire's SQLite storage keeps its own file beside the hub's database.</summary>
    static string JobsDatabasePath(string hubConnectionString)
    {
        var dataSource = new SqliteConnectionStringBuilder(hubConnectionString).DataSource;
        var folder = Path.GetDirectoryName(Path.GetFullPath(dataSource)) ?? ".";
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, Path.GetFileNameWithoutExtension(dataSource) + "-jobs.db");
    }

    public static void UseHubJobsDashboard(this WebApplication app) =>
        app.UseHangfireDashboard("/jobs", new DashboardOptions
        {
            Authorization = [new AdminOnly()],
            DashboardTitle = "CareHub jobs",
            AppPath = "/swagger",
        }, app.Services.GetRequiredService<JobStorage>());

    /// <summary>The dashboard is for admin tokens (bearer header or the carehub_token cookie) only.</summary>
    sealed class AdminOnly : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context)
        {
            var http = context.GetHttpContext();
            var caller = http.GetCaller();
            if (caller is { IsAdmin: true }) return true;
            // Hangfire answers 401 for every refusal; an authenticated non-admin is told apart by 403.
            if (caller is not null) http.Response.OnStarting(() => { http.Response.StatusCode = 403; return System.Threading.Tasks.Task.CompletedTask; });
            return false;
        }
    }
}
