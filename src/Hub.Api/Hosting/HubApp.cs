using System.Text.Json;
using Hl7.Fhir.Model;
using Hub.Api.Access;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Conformance;
using Hub.Api.Fhir;
using Hub.Api.Jobs;
using Hub.Api.Peers;
using Hub.Api.ReferenceData;
using Hub.Api.Search;
using Hub.Api.Ssda903;
using Hub.Api.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.OpenApi;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Hub.Api.Hosting;

/// <summary>`Hub:Telemetry`: OpenTelemetry export, off unless an OTLP endpoint is given.</summary>
public sealed class TelemetryOptions
{
    public string? OtlpEndpoint { get; set; }
}

/// <summary>Composes the hub: services, the HTTP pipeline, and what must happen before it serves (migrations, reference data).</summary>
public static class HubApp
{
    public const string DefaultUrl = "http://127.0.0.1:5080";
    public const string DefaultConnectionString = "Data Source=.carehub/carehub.db";

    public static string ProfilesFolder => Path.Combine(AppContext.BaseDirectory, "fhir-profiles");

    // The validator loads the whole specification once (seconds): hubs sharing a process (the tests) share it.
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ProfileValidator> Validators = new();

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var demo = args.Contains("--demo");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args.Where(a => a != "--demo").ToArray(),
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (demo) builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Hub:Auth:DevTokens"] = "true", ["Hub:Demo"] = "true" });
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o => o.IncludeScopes = false);
        configure?.Invoke(builder);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls(DefaultUrl);

        AddServices(builder);
        var app = builder.Build();
        UsePipeline(app);
        return app;
    }

    static void AddServices(WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var services = builder.Services;
        // ASP.NET Core's hosting diagnostics log each request's URL, whose query carries NHS numbers, names and dates of
        // birth: held at Warning whatever the configured level, so no setting can make the logs carry patient data.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);

        services.Configure<FhirOptions>(config.GetSection("Hub:Fhir"));
        services.Configure<DatabaseOptions>(config.GetSection("Hub:Database"));
        services.Configure<ReferenceDataOptions>(config.GetSection("Hub:ReferenceData"));
        services.AddSingleton(TimeProvider.System);

        var fhirOptions = config.GetSection("Hub:Fhir").Get<FhirOptions>() ?? new FhirOptions();
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = fhirOptions.MaxBodyBytes + 1);

        var provider = config.GetSection("Hub:Database").Get<DatabaseOptions>()?.Provider ?? DatabaseProvider.Sqlite;
        var connectionString = config.GetConnectionString("Hub") is { Length: > 0 } cs ? cs : DefaultConnectionString;
        if (provider == DatabaseProvider.Postgres)
        {
            connectionString = WithPreparedStatements(connectionString);
            services.AddPooledDbContextFactory<PostgresHubDb>(o => o.UseNpgsql(connectionString));
        }
        else
            services.AddPooledDbContextFactory<SqliteHubDb>(o => o.UseSqlite(connectionString).AddInterceptors(new SqlitePragmas()));
        services.AddSingleton(sp => new HubDbFactory(provider, sp));
        services.AddScoped<HubDb>(sp => sp.GetRequiredService<HubDbFactory>().Create());

        services.AddSingleton(_ => SearchParameters.Load(ProfilesFolder));
        services.AddSingleton<SearchIndexer>();
        services.AddSingleton(_ => Validators.GetOrAdd(ProfilesFolder, f => new ProfileValidator(f)));
        services.AddSingleton<OrganisationDirectory>();
        services.AddSingleton<Relationships>();
        services.AddSingleton<Capabilities>();
        services.AddSingleton<AuditWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditWriter>());
        services.AddScoped<ResourceStore>();
        services.AddScoped<FhirService>();
        services.AddScoped<Episodes.EpisodeWrites>();
        services.AddScoped<ReferenceLoader>();
        services.AddSingleton(_ => Hub.Mappers.Ssda903.CodeLists.Load(ProfilesFolder));
        services.AddSingleton(_ => Hub.Mappers.Summary.CodeDisplays.Load(ProfilesFolder));
        services.AddScoped<Summary.SummaryService>();
        services.Configure<Passport.PassportOptions>(config.GetSection("Hub:Passport"));
        services.AddSingleton<Passport.PassportTables>();
        services.AddScoped<Passport.PassportService>();
        services.AddScoped<Ssda903.Ssda903Importer>();
        services.Configure<Notifications.NotificationOptions>(config.GetSection("Hub:Notifications"));
        services.AddHttpClient(nameof(Notifications.PlacementNotifier));
        services.AddScoped<Notifications.PlacementNotifier>();
        services.AddSingleton<Notifications.NotificationSweeps>();
        services.AddScoped<Ssda903.CareLeaverExpiry>();
        services.AddScoped<Ssda903.ImportJob>();
        services.AddSingleton<Ssda903.ImportProgressBoard>();

        builder.AddHubAuth();
        builder.AddPeers();
        Pds.PdsSetup.AddPds(builder);
        CareLeavers.IdentifyCareLeaversEndpoints.AddCareLeavers(services);
        Kpis.KpiEndpoints.AddKpis(services);
        builder.AddHubJobs(provider, connectionString);

        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o => o.SwaggerDoc("v1", new OpenApiInfo
        {
            Title = "CareHub (non-FHIR endpoints)",
            Version = "v1",
            Description = "Tokens, jobs and health. The FHIR REST API is described by its CapabilityStatement at [/fhir/metadata](/fhir/metadata).",
        }));

        // Traces and metrics go to an OTLP collector when one is configured; off by default, and then nothing listens,
        // so an unobserved hub pays nothing for them.
        var telemetry = config.GetSection("Hub:Telemetry").Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (telemetry.OtlpEndpoint is { Length: > 0 } endpoint)
            services.AddOpenTelemetry().ConfigureResource(r => r.AddService("carehub"))
                .WithTracing(t => t
                    .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/healthz"))
                    .AddHttpClientInstrumentation()
                    .AddOtlpExporter(o => o.Endpoint = new Uri(endpoint)))
                .WithMetrics(m => m
                    .AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddMeter("CareHub")
                    .AddOtlpExporter(o => o.Endpoint = new Uri(endpoint)));
    }

    /// <summary>
    /// Npgsql prepares the hub's few hot statements once per connection unless told otherwise: PostgreSQL then skips
    /// parsing and planning them on every request.
    /// </summary>
    static string WithPreparedStatements(string connectionString)
    {
        var b = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (b.MaxAutoPrepare == 0) b.MaxAutoPrepare = 64;
        return b.ConnectionString;
    }

    static void UsePipeline(WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            try { await next(http); }
            catch (FhirProblem p) when (!http.Response.HasStarted) { await FhirFormat.WriteOutcomeAsync(http, p.Status, p.Outcome); }
            catch (BadHttpRequestException e) when (!http.Response.HasStarted)
            {
                await FhirFormat.WriteOutcomeAsync(http, e.StatusCode, Outcomes.Error(e.StatusCode == 413 ? OperationOutcome.IssueType.TooLong : OperationOutcome.IssueType.Invalid, e.Message));
            }
            catch (Exception e) when (!http.Response.HasStarted && e is not OperationCanceledException)
            {
                // The exception type and trace id only: messages can carry request data.
                app.Logger.LogError("Unhandled {ExceptionType} on {Method} {Route} (trace {TraceId})", e.GetType().Name, http.Request.Method, http.GetEndpoint()?.DisplayName, http.TraceIdentifier);
                app.Logger.LogDebug(e, "Unhandled exception detail");
                await FhirFormat.WriteOutcomeAsync(http, 500, Outcomes.Error(OperationOutcome.IssueType.Exception, $"Internal error; quote trace id {http.TraceIdentifier}"));
            }
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseOnBehalfOf();
        app.UseSwagger();
        app.UseSwaggerUI(o => o.RoutePrefix = "swagger");
        app.UseHubJobsDashboard();
        app.MapAuthEndpoints();
        app.MapSsda903Import();
        app.MapFhir();
        Dashboard.DashboardEndpoints.MapDashboard(app);
        app.MapGet("/healthz", async (HubDb db) =>
            await db.Database.CanConnectAsync()
                ? Results.Json(new { status = "ok", database = "reachable" })
                : Results.Json(new { status = "unhealthy", database = "unreachable" }, statusCode: 503))
            .AllowAnonymous().WithTags("health").WithSummary("Liveness: the database is reachable");
        app.MapGet("/", () => Results.Redirect("/swagger")).ExcludeFromDescription();
    }

    /// <summary>Before serving: schema migrated, reference data upserted, the validator warming in the background.</summary>
    public static async System.Threading.Tasks.Task InitialiseAsync(WebApplication app, CancellationToken ct = default, bool warmValidator = true)
    {
        await MigrateAsync(app, ct);
        using var scope = app.Services.CreateScope();
        var folderOption = app.Configuration["Hub:ReferenceData:Path"];
        var referenceFolder = string.IsNullOrEmpty(folderOption) ? ReferenceDataOptions.BuiltIn : folderOption;
        var result = await scope.ServiceProvider.GetRequiredService<ReferenceLoader>().LoadAsync(referenceFolder, ct);
        app.Logger.LogInformation("Reference data: {Organisations} organisations ({Created} created, {Updated} updated), {Postcodes} postcode prefixes",
            result.Organisations, result.Created, result.Updated, result.Postcodes);
        // A serving hub pays the validator's start-up cost now rather than on its first write; the CLI never validates.
        if (warmValidator) _ = app.Services.GetRequiredService<ProfileValidator>().WarmUpAsync(ct);
        if (warmValidator)
        {
            var recurring = app.Services.GetRequiredService<Hangfire.IRecurringJobManager>();
            Hangfire.RecurringJobManagerExtensions.AddOrUpdate<Ssda903.CareLeaverExpiry>(recurring,
                Ssda903.CareLeaverExpiry.JobId, j => j.RunAsync(CancellationToken.None), Hangfire.Cron.Daily(2));
            // Only a serving hub delivers: one sweep now for whatever an import (or a crash) left pending, then every minute.
            Notifications.PlacementNotifier.Register(recurring);
            scope.ServiceProvider.GetRequiredService<Notifications.PlacementNotifier>().Kick();
        }
    }

    /// <summary>Creates or migrates the schema of the configured provider.</summary>
    public static async System.Threading.Tasks.Task MigrateAsync(WebApplication app, CancellationToken ct = default)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        if (db is SqliteHubDb)
        {
            var source = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
            if (Path.GetDirectoryName(Path.GetFullPath(source)) is { } folder) Directory.CreateDirectory(folder);
        }
        var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
        await db.Database.MigrateAsync(ct);
        // A store from before kpi_records existed (and not a new one, which has nothing to fill in).
        if (pending.Any(m => m.EndsWith("_" + Kpis.KpiRecordsBackfill.Migration, StringComparison.Ordinal))
            && pending.Count < (await db.Database.GetAppliedMigrationsAsync(ct)).Count())
            await Kpis.KpiRecordsBackfill.RunAsync(db, app.Logger, ct);
        if (db is SqliteHubDb)
        {
            // WAL lets readers go on while one writer commits; NORMAL is durable at each checkpoint under WAL.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            await SqlitePragmas.RefreshStatisticsAsync(db, ct);
        }
        await app.Services.GetRequiredService<OrganisationDirectory>().RefreshAsync(db);
    }

    public static string? BoundAddress(WebApplication app) =>
        app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.FirstOrDefault();
}
