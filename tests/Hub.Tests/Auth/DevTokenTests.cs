using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Hub.Tests.Auth;

public sealed class DevTokensOnFixture : IAsyncLifetime
{
    public AuthTestHost Host { get; private set; } = null!;
    public async Task InitializeAsync() => Host = await AuthTestHost.StartAsync(devTokens: true);
    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class DevTokenTests(DevTokensOnFixture fx) : IClassFixture<DevTokensOnFixture>
{
    HttpClient Http => fx.Host.Http;

    Task<HttpResponseMessage> Ask(string json) =>
        Http.PostAsync("/auth/dev-token", new StringContent(json, Encoding.UTF8, "application/json"));

    async Task<string> TokenFor(string json)
    {
        var response = await Ask(json);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(3600, body.GetProperty("expires_in").GetInt32());
        return body.GetProperty("access_token").GetString()!;
    }

    async Task<JsonElement> CallerOf(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/fhir/caller");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    async Task AssertInvalidRequest(string json)
    {
        var response = await Ask(json);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("invalid_request", body.GetProperty("error").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("error_description").GetString()));
    }

    [Fact]
    public async Task dev_token_opens_fhir_as_the_caller_asked_for()
    {
        var token = await TokenFor("""{"org":"QSL","org_type":"icb","role":"designated-professional","purpose_of_use":"statutory-health-assessment","nhs_number":null}""");
        var caller = await CallerOf(token);
        Assert.Equal("QSL", caller.GetProperty("org").GetString());
        Assert.Equal("icb", caller.GetProperty("orgType").GetString());
        Assert.Equal("designated-professional", caller.GetProperty("role").GetString());
        Assert.Equal("statutory-health-assessment", caller.GetProperty("purpose").GetString());
        Assert.Equal(JsonValueKind.Null, caller.GetProperty("nhsNumber").ValueKind);
        Assert.Equal(["system/*.cruds"], caller.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));

        var jwt = new JsonWebToken(token);
        Assert.Equal("statutory-health-assessment", jwt.GetClaim("purpose_of_use").Value);
        Assert.False(jwt.TryGetClaim("nhs_number", out _));
        Assert.False(jwt.TryGetClaim("client_id", out _));
    }

    [Fact]
    public async Task dev_token_without_purpose_or_role_is_direct_care_with_no_role()
    {
        var jwt = new JsonWebToken(await TokenFor("""{"org":"933","org_type":"la"}"""));
        Assert.Equal("direct-care", jwt.GetClaim("purpose_of_use").Value);
        Assert.False(jwt.TryGetClaim("role", out _));
        Assert.Equal("933", jwt.GetClaim("org").Value);
        Assert.Equal("la", jwt.GetClaim("org_type").Value);
    }

    [Fact]
    public async Task young_person_dev_token_carries_the_nhs_number()
    {
        var token = await TokenFor("""{"org":"9434765919","org_type":"young-person","purpose_of_use":"own-record","nhs_number":"9434765919"}""");
        var caller = await CallerOf(token);
        Assert.Equal("young-person", caller.GetProperty("orgType").GetString());
        Assert.Equal("9434765919", caller.GetProperty("nhsNumber").GetString());
        Assert.Equal("own-record", caller.GetProperty("purpose").GetString());
        Assert.Equal("system/*.cruds", new JsonWebToken(token).GetClaim("scope").Value);
    }

    [Theory]
    [InlineData("""{"org":"QSL","org_type":"council"}""")]
    [InlineData("""{"org":"QSL"}""")]
    [InlineData("""{"org":"","org_type":"icb"}""")]
    [InlineData("""{"org_type":"icb"}""")]
    [InlineData("""{"org":"QSL","org_type":"icb","purpose_of_use":"curiosity"}""")]
    [InlineData("""{"org":"QSL","org_type":"icb","nhs_number":"9434765919"}""")]
    [InlineData("""{"org":"X","org_type":"young-person"}""")]
    [InlineData("""{"org":"X","org_type":"young-person","nhs_number":"9434765918"}""")]
    [InlineData("""{"org":"X","org_type":"young-person","nhs_number":"94347659"}""")]
    [InlineData("""{"org":42,"org_type":"icb"}""")]
    [InlineData("""{"org":"QSL",""")]
    [InlineData("null")]
    [InlineData("")]
    public async Task bad_dev_token_request_is_invalid_request(string json) => await AssertInvalidRequest(json);

    [Fact]
    public async Task admin_policy_lets_admin_in_and_answers_others_403_with_an_operation_outcome()
    {
        using var asIcb = new HttpRequestMessage(HttpMethod.Get, "/fhir/admin-ping");
        asIcb.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenFor("""{"org":"QSL","org_type":"icb"}"""));
        var forbidden = await Http.SendAsync(asIcb);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        var outcome = await forbidden.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("OperationOutcome", outcome.GetProperty("resourceType").GetString());
        Assert.Equal("forbidden", outcome.GetProperty("issue")[0].GetProperty("code").GetString());

        using var asAdmin = new HttpRequestMessage(HttpMethod.Get, "/fhir/admin-ping");
        asAdmin.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenFor("""{"org":"HUB","org_type":"admin","purpose_of_use":"kpi"}"""));
        var ok = await Http.SendAsync(asAdmin);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("HUB", await ok.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task dashboard_takes_the_token_from_the_cookie_but_fhir_does_not()
    {
        var token = await TokenFor("""{"org":"QSL","org_type":"icb","purpose_of_use":"kpi"}""");
        foreach (var (path, expected) in new[] { ("/dashboard/ping", HttpStatusCode.OK), ("/fhir/ping", HttpStatusCode.Unauthorized) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("Cookie", $"carehub_token={token}");
            Assert.Equal(expected, (await Http.SendAsync(request)).StatusCode);
        }
    }
}

public sealed class DevTokensOffTests
{
    [Fact]
    public async Task dev_token_is_404_when_dev_tokens_are_off()
    {
        await using var host = await AuthTestHost.StartAsync(devTokens: false);
        var response = await host.Http.PostAsync("/auth/dev-token",
            new StringContent("""{"org":"QSL","org_type":"icb"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
