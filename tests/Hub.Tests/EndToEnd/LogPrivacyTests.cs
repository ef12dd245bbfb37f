using System.Collections.Concurrent;
using System.Text;
using Hl7.Fhir.Model;
using Hub.Api.Fhir;
using Hub.Api.Hosting;
using Hub.Tests.Http;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Net.Http.Json;
using System.Text.Json;

namespace Hub.Tests.EndToEnd;

/// <summary>One log entry as a provider receives it: the rendered message, every structured value, the scopes and the exception.</summary>
public sealed record CapturedLog(string Category, LogLevel Level, string Text);

/// <summary>Keeps every log entry at every level, with everything a sink could write out.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    readonly ConcurrentQueue<CapturedLog> entries = new();
    IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

    public IReadOnlyCollection<CapturedLog> Entries => entries;
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;
    public void Dispose() { }

    sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner.scopes.Push(state);
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = new StringBuilder(formatter(state, exception));
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
                foreach (var (k, v) in values) text.Append(" | ").Append(k).Append('=').Append(v);
            owner.scopes.ForEachScope((scope, sb) =>
            {
                sb.Append(" | scope: ").Append(scope);
                if (scope is IEnumerable<KeyValuePair<string, object?>> kvs)
                    foreach (var (k, v) in kvs) sb.Append(' ').Append(k).Append('=').Append(v);
            }, text);
            if (exception is not null) text.Append(" | exception: ").Append(exception);
            owner.entries.Enqueue(new CapturedLog(category, logLevel, text.ToString()));
        }
    }
}

/// <summary>STYLE.md: logs carry no patient data. A hub logging at Trace, every category, is driven through a child's
/// whole life over HTTP, and nothing it logs may name the child.</summary>
public sealed class LogPrivacyTests
{
    [Fact]
    public async Task nothing_logged_at_any_level_names_the_childs_nhs_number_name_postcode_or_date_of_birth()
    {
        var capture = new CapturingLoggerProvider();
        await using var hub = await StartLoggedHubAsync(capture);
        var la = await hub.AsAsync("933", "la");

        var nhs = Children.NewNhsNumber();
        const string given = "Zephyrinea", family = "Quillbotham", postcode = "TA7 9QZ", birthDate = "2012-08-27";
        var child = Children.Patient("933", nhs: nhs);
        child.Name = [new HumanName { Given = [given], Family = family, Use = HumanName.NameUse.Official }];
        child.BirthDate = birthDate;
        child.Address = [new Address { PostalCode = postcode, Use = Address.AddressUse.Home }];

        var created = await la.PostAsync("fhir/Patient", child);
        Assert.True(created.Status == 201, created.ToString());
        var id = created.As<Patient>().Id;

        var found = await la.GetAsync($"fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}");
        Assert.Equal(1, found.As<Bundle>().Total);
        Assert.Equal(200, (await la.GetAsync($"fhir/Patient/{id}")).Status);
        Assert.Equal(200, (await la.GetAsync($"fhir/Patient?birthdate={birthDate}&family={family}")).Status);
        Assert.Equal(404, (await la.GetAsync($"fhir/Patient/{Guid.NewGuid()}")).Status);
        Assert.Equal(404, (await (await hub.AsAsync("888", "la")).GetAsync($"fhir/Patient/{id}")).Status);

        // Invalid: an element the profile does not know, beside the child's details.
        var invalid = FhirFormat.SerializeToString(child).TrimEnd('}') + ",\"favouriteColour\":\"" + nhs + "\"}";
        var refused = await la.SendAsync(HttpMethod.Post, "fhir/Patient", invalid);
        Assert.Equal(400, refused.Status);
        var malformed = await la.SendAsync(HttpMethod.Post, "fhir/Patient", $"{{\"resourceType\":\"Patient\",\"birthDate\":\"{birthDate}\",\"identifier\":[{{\"system\":\"https://fhir.nhs.uk/Id/nhs-number\",\"value\":\"{nhs}\"}}");
        Assert.Equal(400, malformed.Status);

        await hub.DisposeAsync();

        // The capture really saw the hub at work, down to Trace, including the framework's request logs.
        var entries = capture.Entries.ToList();
        Assert.Contains(entries, e => e.Level == LogLevel.Trace);
        Assert.Contains(entries, e => e.Level == LogLevel.Debug);
        Assert.Contains(entries, e => e.Category.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Category.StartsWith("Microsoft.EntityFrameworkCore.", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Text.Contains(id, StringComparison.Ordinal));

        var leaks = (from e in entries
                     from secret in new[] { ("NHS number", nhs), ("given name", given), ("family name", family), ("postcode", postcode), ("postcode", postcode.Replace(" ", "")), ("date of birth", birthDate) }
                     where e.Text.Contains(secret.Item2, StringComparison.OrdinalIgnoreCase)
                     select $"{secret.Item1} in [{e.Level}] {e.Category}: {Shorten(e.Text)}").Distinct().ToList();
        Assert.True(leaks.Count == 0, $"{leaks.Count} log entries carry patient data:\n" + string.Join("\n", leaks));
    }

    static string Shorten(string s) => s.Length <= 400 ? s : s[..400] + "…";

    /// <summary>A hub like <see cref="RunningHub"/>, whose every category logs at Trace into <paramref name="capture"/> (and not to the console).</summary>
    static async Task<LoggedHub> StartLoggedHubAsync(CapturingLoggerProvider capture)
    {
        var folder = Directory.CreateTempSubdirectory("carehub-logs-");
        var config = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Hub:Database:Provider"] = "Sqlite",
            ["ConnectionStrings:Hub"] = $"Data Source={Path.Combine(folder.FullName, "carehub.db")}",
            ["Hub:Auth:DevTokens"] = "true",
            ["Hub:Auth:SigningKey"] = Path.Combine(folder.FullName, "signing-key.pem"),
            ["Hub:Jobs:PollSeconds"] = "0.2",
            ["Logging:LogLevel:Default"] = "Trace",
            // appsettings.json quietens these; here everything is heard.
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Trace",
            ["Logging:LogLevel:Hangfire"] = "Trace",
            ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Trace",
            ["Logging:Console:LogLevel:Default"] = "None",
        };
        var app = HubApp.Build([], b => b.Configuration.AddInMemoryCollection(config));
        // Joined to the built factory, so the capture sees every logger the hub creates, whatever the configured providers.
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(capture);
        await HubApp.InitialiseAsync(app);
        await app.StartAsync();
        var address = HubApp.BoundAddress(app)!.Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1");
        return new LoggedHub(app, address, folder);
    }

    sealed class LoggedHub(WebApplication app, string baseUrl, DirectoryInfo folder) : IAsyncDisposable
    {
        readonly HttpClient http = new() { BaseAddress = new Uri(baseUrl + "/"), Timeout = TimeSpan.FromMinutes(2) };
        bool disposed;

        public async Task<FhirCall> AsAsync(string org, string orgType)
        {
            var response = await http.PostAsJsonAsync("auth/dev-token", new { org, org_type = orgType });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            return new FhirCall(http, JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString());
        }

        public async ValueTask DisposeAsync()
        {
            if (disposed) return;
            disposed = true;
            http.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
            try { folder.Delete(recursive: true); } catch (IOException) { }
        }
    }
}
