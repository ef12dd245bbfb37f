using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hub.Api.Fhir;
using Hub.Api.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace Hub.Tests.Infrastructure;

/// <summary>A real CareHub on a loopback port, with its own database, reached over real HTTP.</summary>
public sealed class RunningHub : IAsyncDisposable
{
    public WebApplication App { get; }
    public string BaseUrl { get; }
    public string FhirBase => BaseUrl + "/fhir";
    public HttpClient Http { get; }
    readonly string folder;

    RunningHub(WebApplication app, string baseUrl, string folder)
    {
        App = app; BaseUrl = baseUrl; this.folder = folder;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl + "/"), Timeout = TimeSpan.FromMinutes(2) };
    }

    /// <summary>Starts a hub on SQLite (a file in a temp folder) or on a fresh database in the test PostgreSQL cluster.</summary>
    public static async Task<RunningHub> StartAsync(string provider, IDictionary<string, string?>? settings = null) =>
        await (await PrepareAsync(provider, settings)).StartAsync();

    /// <summary>
    /// Hubs built and initialised one after the other, and only then started: the order in which two hubs in one
    /// process (the tests run classes in parallel) can interleave, for the tests of what must stay per hub.
    /// </summary>
    public static async Task<RunningHub[]> StartInterleavedAsync(int count, string provider, IDictionary<string, string?>? settings = null)
    {
        var prepared = new List<PreparedHub>();
        for (var i = 0; i < count; i++) prepared.Add(await PrepareAsync(provider, settings));
        var hubs = new List<RunningHub>();
        foreach (var p in prepared) hubs.Add(await p.StartAsync());
        return [.. hubs];
    }

    sealed record PreparedHub(WebApplication App, string Folder)
    {
        public async Task<RunningHub> StartAsync()
        {
            await App.StartAsync();
            var address = HubApp.BoundAddress(App)!.Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1");
            return new RunningHub(App, address, Folder);
        }
    }

    static async Task<PreparedHub> PrepareAsync(string provider, IDictionary<string, string?>? settings)
    {
        var folder = Path.Combine(Path.GetTempPath(), "carehub-test-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(folder);
        var config = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Hub:Database:Provider"] = provider,
            ["ConnectionStrings:Hub"] = provider == "Postgres"
                ? PostgresCluster.Instance.CreateDatabase("hub")
                : $"Data Source={Path.Combine(folder, "carehub.db")}",
            ["Hub:Auth:DevTokens"] = "true",
            ["Hub:Auth:SigningKey"] = Path.Combine(folder, "signing-key.pem"),
            ["Hub:Fhir:MaxBodyBytes"] = (2 * 1024 * 1024).ToString(),
            ["Hub:Jobs:PollSeconds"] = "0.2",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        var app = HubApp.Build([], b => b.Configuration.AddInMemoryCollection(config));
        await HubApp.InitialiseAsync(app);
        return new PreparedHub(app, folder);
    }

    public async Task<string> TokenAsync(string org, string orgType, string? role = null, string purpose = "direct-care", string? nhs = null)
    {
        var response = await Http.PostAsJsonAsync("auth/dev-token", new { org, org_type = orgType, role, purpose_of_use = purpose, nhs_number = nhs });
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"dev-token failed: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>
    /// Imports a small SSDA903 return as its LA's system would (`POST /fhir/$import-ssda903`, one multipart part per CSV
    /// table) and fails the test unless it committed; the answer's text, for what the test wants to read in it.
    /// </summary>
    public async Task<string> ImportReturnAsync(string la, int year, params (string Name, string Csv)[] tables)
    {
        using var form = new MultipartFormDataContent();
        foreach (var (name, csv) in tables) form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(csv)), "file", name);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"fhir/$import-ssda903?la={la}&year={year}") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(la, "la"));
        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return text;
    }

    public async Task<FhirCall> AsAsync(string org, string orgType, string? role = null, string purpose = "direct-care", string? nhs = null) =>
        new(Http, await TokenAsync(org, orgType, role, purpose, nhs));

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        var postgres = App.Configuration["Hub:Database:Provider"] == "Postgres" ? App.Configuration["ConnectionStrings:Hub"] : null;
        await App.StopAsync();
        await App.DisposeAsync();
        // Npgsql keeps a stopped hub's idle connections in its process-wide pool; with many hubs per test run they
        // would hold the cluster's connection slots until the run ends ("too many clients already").
        if (postgres is not null)
            using (var pooled = new Npgsql.NpgsqlConnection(postgres)) Npgsql.NpgsqlConnection.ClearPool(pooled);
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }
}

/// <summary>FHIR calls with one caller's token; answers are parsed but the raw response stays visible to assertions.</summary>
public sealed class FhirCall(HttpClient http, string? token)
{
    public string? Token => token;

    public async Task<FhirAnswer> SendAsync(HttpMethod method, string path, string? body = null, string contentType = FhirFormat.JsonMime, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType);
        if (body is not null && contentType.Length > 0) request.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        foreach (var (k, v) in headers ?? new Dictionary<string, string>())
            if (k == "Expect" && v == "100-continue") request.Headers.ExpectContinue = true;
            else if (!request.Headers.TryAddWithoutValidation(k, v)) request.Content?.Headers.TryAddWithoutValidation(k, v);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new FhirAnswer((int)response.StatusCode, text, response.Headers.ETag?.ToString(), response.Headers.Location?.ToString(),
            response.Content.Headers.ContentType?.MediaType, response.Headers.Concat(response.Content.Headers).ToDictionary(h => h.Key, h => string.Join(",", h.Value)));
    }

    public Task<FhirAnswer> GetAsync(string path, IDictionary<string, string>? headers = null) => SendAsync(HttpMethod.Get, path, headers: headers);
    public Task<FhirAnswer> PostAsync(string path, Resource r, IDictionary<string, string>? headers = null) => SendAsync(HttpMethod.Post, path, FhirFormat.SerializeToString(r), headers: headers);
    public Task<FhirAnswer> PutAsync(string path, Resource r, IDictionary<string, string>? headers = null) => SendAsync(HttpMethod.Put, path, FhirFormat.SerializeToString(r), headers: headers);
    public Task<FhirAnswer> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);
}

public sealed record FhirAnswer(int Status, string Body, string? ETag, string? Location, string? MediaType, Dictionary<string, string> Headers)
{
    public Resource Resource => Body.TrimStart().StartsWith('<')
        ? FhirFormat.Parse(System.Text.Encoding.UTF8.GetBytes(Body), WireFormat.Xml)
        : FhirFormat.ParseJson(Body);
    public T As<T>() where T : Resource => (T)Resource;
    public OperationOutcome Outcome => As<OperationOutcome>();
    public string Diagnostics => Resource is OperationOutcome o ? string.Join(" | ", o.Issue.Select(i => $"{i.Code}: {i.Diagnostics} @ {string.Join(",", i.Expression)}")) : Body[..Math.Min(400, Body.Length)];
    public override string ToString() => $"{Status} {Diagnostics}";
}
