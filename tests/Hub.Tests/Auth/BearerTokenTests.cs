using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hub.Api.Auth;
using Microsoft.Extensions.Options;

namespace Hub.Tests.Auth;

/// <summary>A clock that runs at the real pace but from a different moment.</summary>
public sealed class ShiftedClock(TimeSpan shift) : TimeProvider
{
    public TimeSpan Shift { get; set; } = shift;
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;
}

public sealed class BearerTokenTests(DevTokensOnFixture fx) : IClassFixture<DevTokensOnFixture>
{
    HttpClient Http => fx.Host.Http;

    async Task<HttpResponseMessage> Ping(string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/fhir/ping");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Http.SendAsync(request);
    }

    static async Task AssertLoginOutcome(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var outcome = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("OperationOutcome", outcome.GetProperty("resourceType").GetString());
        var issue = outcome.GetProperty("issue")[0];
        Assert.Equal("error", issue.GetProperty("severity").GetString());
        Assert.Equal("login", issue.GetProperty("code").GetString());
        Assert.Contains("bearer token is required", issue.GetProperty("details").GetProperty("text").GetString());
    }

    TokenIssuer IssuerWith(HubSigningKey? key = null, TimeProvider? clock = null, string issuer = "carehub") =>
        new(key ?? fx.Host.Service<HubSigningKey>(), Options.Create(new AuthOptions { Issuer = issuer }), clock ?? TimeProvider.System);

    [Fact]
    public async Task no_token_is_401_with_a_login_operation_outcome()
    {
        var response = await Ping(null);
        await AssertLoginOutcome(response);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task token_from_the_issuer_opens_fhir()
    {
        var token = fx.Host.Service<TokenIssuer>().Issue("QSL", OrgTypes.Icb, null, "direct-care", null, "system/*.rs", null);
        var response = await Ping(token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("QSL", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task tampered_token_is_401()
    {
        var token = fx.Host.Service<TokenIssuer>().Issue("QSL", OrgTypes.Icb, null, "direct-care", null, "system/*.rs", null);
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[1]));
        Assert.Contains("\"QSL\"", payload);
        parts[1] = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload.Replace("\"QSL\"", "\"QOX\""));
        var response = await Ping(string.Join('.', parts));
        await AssertLoginOutcome(response);
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task token_signed_by_another_key_is_401()
    {
        var dir = Directory.CreateTempSubdirectory("carehub-otherkey-");
        try
        {
            var other = HubSigningKey.LoadOrCreate(Path.Combine(dir.FullName, "k.pem"));
            await AssertLoginOutcome(await Ping(IssuerWith(other).Issue("QSL", OrgTypes.Icb, null, "direct-care", null, "system/*.rs", null)));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public async Task expired_token_is_401()
    {
        var twoHoursAgo = IssuerWith(clock: new ShiftedClock(TimeSpan.FromHours(-2)));
        await AssertLoginOutcome(await Ping(twoHoursAgo.Issue("QSL", OrgTypes.Icb, null, "direct-care", null, "system/*.rs", null)));
    }

    [Fact]
    public async Task token_from_another_issuer_is_401()
    {
        await AssertLoginOutcome(await Ping(IssuerWith(issuer: "elsewhere").Issue("QSL", OrgTypes.Icb, null, "direct-care", null, "system/*.rs", null)));
    }

    [Fact]
    public async Task garbage_token_is_401()
    {
        await AssertLoginOutcome(await Ping("not.a.token"));
    }
}

public sealed class HubSigningKeyTests
{
    [Fact]
    public void key_is_created_with_its_folder_and_owner_only_mode_then_read_back_with_the_same_kid()
    {
        var dir = Directory.CreateTempSubdirectory("carehub-key-");
        try
        {
            var path = Path.Combine(dir.FullName, "nested", ".carehub", "signing-key.pem");
            var created = HubSigningKey.LoadOrCreate(path);
            Assert.True(File.Exists(path));
            Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(path));
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));

            var again = HubSigningKey.LoadOrCreate(path);
            Assert.Equal(created.KeyId, again.KeyId);
            Assert.Equal(path, again.Path);
            Assert.Equal("RS384", again.Credentials.Algorithm);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void a_file_that_is_not_an_rsa_pem_stops_the_hub()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "not a key");
            Assert.Throws<InvalidOperationException>(() => HubSigningKey.LoadOrCreate(file));
        }
        finally { File.Delete(file); }
    }
}

public sealed class AuthOptionsTests
{
    [Theory]
    [InlineData("OrgType", "council")]
    [InlineData("OrgType", "young-person")]
    [InlineData("Jwk", "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}")]
    [InlineData("Jwk", "not json")]
    [InlineData("Scopes", "")]
    [InlineData("Org", "")]
    public async Task a_client_registration_that_could_never_sign_in_stops_the_host(string key, string value)
    {
        var config = new Dictionary<string, string?>
        {
            ["Hub:Auth:Clients:0:ClientId"] = "c1",
            ["Hub:Auth:Clients:0:Org"] = "QSL",
            ["Hub:Auth:Clients:0:OrgType"] = "icb",
            ["Hub:Auth:Clients:0:Scopes"] = "system/*.rs",
            ["Hub:Auth:Clients:0:Jwk"] = ClientKey.Rsa().PublicJwkJson,
        };
        config[$"Hub:Auth:Clients:0:{key}"] = value;
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => AuthTestHost.StartAsync(devTokens: false, config));
        Assert.Contains("c1", e.Message);
    }
}

public sealed class AssertionReplayGuardTests
{
    [Fact]
    public void a_jti_is_taken_once_until_it_expires_and_per_client()
    {
        var clock = new ShiftedClock(TimeSpan.Zero);
        var guard = new AssertionReplayGuard(clock);
        var expires = clock.GetUtcNow().AddMinutes(5);
        Assert.True(guard.TryUse("a", "j1", expires));
        Assert.False(guard.TryUse("a", "j1", expires));
        Assert.True(guard.TryUse("b", "j1", expires));

        clock.Shift = TimeSpan.FromMinutes(6);
        Assert.True(guard.TryUse("a", "j1", clock.GetUtcNow().AddMinutes(5)));
        Assert.False(guard.TryUse("a", "j1", clock.GetUtcNow().AddMinutes(5)));
    }

    [Fact]
    public void concurrent_offers_of_one_jti_let_exactly_one_through()
    {
        var guard = new AssertionReplayGuard(TimeProvider.System);
        var expires = DateTimeOffset.UtcNow.AddMinutes(5);
        var wins = 0;
        Parallel.For(0, 64, _ => { if (guard.TryUse("a", "same", expires)) Interlocked.Increment(ref wins); });
        Assert.Equal(1, wins);
    }
}
