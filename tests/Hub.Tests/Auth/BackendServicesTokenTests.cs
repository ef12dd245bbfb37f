using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hub.Api.Auth;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hub.Tests.Auth;

public sealed class TokenEndpointFixture : IAsyncLifetime
{
    public ClientKey Rs { get; } = ClientKey.Rsa();
    public ClientKey Es { get; } = ClientKey.EcP384();
    public AuthTestHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var config = new Dictionary<string, string?>
        {
            ["Hub:Auth:Clients:0:ClientId"] = "rs-client",
            ["Hub:Auth:Clients:0:Org"] = "QSL",
            ["Hub:Auth:Clients:0:OrgType"] = "icb",
            ["Hub:Auth:Clients:0:Role"] = "designated-professional",
            ["Hub:Auth:Clients:0:Scopes"] = "system/*.rs system/Consent.cruds",
            ["Hub:Auth:Clients:0:Jwk"] = Rs.PublicJwkJson,
            // The second client's JWK is written as an object, member by member, as appsettings.json would.
            ["Hub:Auth:Clients:1:ClientId"] = "es-client",
            ["Hub:Auth:Clients:1:Org"] = "933",
            ["Hub:Auth:Clients:1:OrgType"] = "la",
            ["Hub:Auth:Clients:1:Scopes"] = "system/*.cruds",
        };
        foreach (var (k, v) in Es.PublicJwk) config[$"Hub:Auth:Clients:1:Jwk:{k}"] = v;
        Host = await AuthTestHost.StartAsync(devTokens: false, config);
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class BackendServicesTokenTests(TokenEndpointFixture fx) : IClassFixture<TokenEndpointFixture>
{
    const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    HttpClient Http => fx.Host.Http;

    Task<HttpResponseMessage> AskForToken(string assertion, string? scope = "system/*.rs", string grantType = "client_credentials",
        string assertionType = AssertionType)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = grantType, ["client_assertion_type"] = assertionType, ["client_assertion"] = assertion };
        if (scope is not null) form["scope"] = scope;
        return Http.PostAsync("/auth/token", new FormUrlEncodedContent(form));
    }

    static async Task<string> ErrorOf(HttpResponseMessage response, string? because = null)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var description = body.RootElement.GetProperty("error_description").GetString();
        Assert.False(string.IsNullOrEmpty(description));
        if (because is not null) Assert.Contains(because, description);
        return body.RootElement.GetProperty("error").GetString()!;
    }

    static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    async Task<HttpResponseMessage> Ping(string token, string path = "/fhir/ping")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Http.SendAsync(request);
    }

    [Fact]
    public async Task rs384_client_assertion_gets_a_token_that_opens_fhir()
    {
        var response = await AskForToken(fx.Rs.Assertion("rs-client"));
        var body = await Json(response);
        Assert.Equal("bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(3600, body.GetProperty("expires_in").GetInt32());
        Assert.Equal("system/*.rs", body.GetProperty("scope").GetString());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());

        var ping = await Ping(body.GetProperty("access_token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        Assert.Equal("QSL", await ping.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task access_token_carries_the_registered_clients_claims()
    {
        var body = await Json(await AskForToken(fx.Rs.Assertion("rs-client")));
        var token = new JsonWebToken(body.GetProperty("access_token").GetString()!);
        Assert.Equal("RS384", token.Alg);
        Assert.Equal("at+jwt", token.Typ);
        Assert.Equal(fx.Host.Service<HubSigningKey>().KeyId, token.Kid);
        Assert.Equal("carehub", token.Issuer);
        Assert.Equal(["carehub"], token.Audiences);
        Assert.Equal("QSL", token.GetClaim("org").Value);
        Assert.Equal("icb", token.GetClaim("org_type").Value);
        Assert.Equal("designated-professional", token.GetClaim("role").Value);
        Assert.Equal("direct-care", token.GetClaim("purpose_of_use").Value);
        Assert.Equal("system/*.rs", token.GetClaim("scope").Value);
        Assert.Equal("rs-client", token.GetClaim("client_id").Value);
        Assert.False(token.TryGetClaim("nhs_number", out _));
        Assert.False(string.IsNullOrEmpty(token.Id));
        Assert.InRange((token.ValidTo - token.IssuedAt).TotalSeconds, 3599, 3601);
    }

    [Fact]
    public async Task es384_client_gets_a_token_that_opens_fhir()
    {
        var body = await Json(await AskForToken(fx.Es.Assertion("es-client"), "system/*.cruds"));
        Assert.Equal("system/*.cruds", body.GetProperty("scope").GetString());

        var caller = await (await Ping(body.GetProperty("access_token").GetString()!, "/fhir/caller")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("933", caller.GetProperty("org").GetString());
        Assert.Equal("la", caller.GetProperty("orgType").GetString());
        Assert.Equal(JsonValueKind.Null, caller.GetProperty("role").ValueKind);
        Assert.Equal("es-client", caller.GetProperty("clientId").GetString());
    }

    [Fact]
    public async Task replayed_jti_is_rejected()
    {
        var assertion = fx.Rs.Assertion("rs-client");
        Assert.Equal(HttpStatusCode.OK, (await AskForToken(assertion)).StatusCode);
        Assert.Equal("invalid_client", await ErrorOf(await AskForToken(assertion), "jti"));

        // A new assertion reusing the jti is a replay too.
        var jti = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.OK, (await AskForToken(fx.Rs.Assertion("rs-client", jti: jti))).StatusCode);
        Assert.Equal("invalid_client", await ErrorOf(await AskForToken(fx.Rs.Assertion("rs-client", jti: jti))));
    }

    [Fact]
    public async Task assertion_signed_with_another_key_is_rejected()
    {
        var stranger = ClientKey.Rsa();
        Assert.Equal("invalid_client", await ErrorOf(await AskForToken(stranger.Assertion("rs-client")), "signature"));
        Assert.Equal("invalid_client", await ErrorOf(await AskForToken(ClientKey.EcP384().Assertion("es-client")), "signature"));
    }

    [Fact]
    public async Task expired_assertion_is_rejected()
    {
        var expired = fx.Rs.Assertion("rs-client", issuedAgo: TimeSpan.FromMinutes(10), expiresIn: TimeSpan.FromMinutes(-5));
        Assert.Equal("invalid_client", await ErrorOf(await AskForToken(expired), "expired"));
    }

    [Fact]
    public async Task assertion_expiring_more_than_five_minutes_ahead_is_rejected()
    {
        var tooLong = fx.Rs.Assertion("rs-client", expiresIn: TimeSpan.FromMinutes(30));
        Assert.Equal("invalid_client", await ErrorOf(await AskForToken(tooLong), "5 minutes"));
    }

    [Theory]
    [InlineData(SecurityAlgorithms.RsaSha256)]
    [InlineData(SecurityAlgorithms.RsaSha512)]
    [InlineData(SecurityAlgorithms.RsaSsaPssSha384)]
    public async Task rsa_assertion_with_an_algorithm_other_than_rs384_is_rejected(string alg)
    {
        Assert.Equal("invalid_client", await ErrorOf(await AskForToken(fx.Rs.With(alg).Assertion("rs-client")), "alg"));
    }

    [Fact]
    public async Task assertion_signed_with_a_key_of_another_type_is_rejected()
    {
        Assert.Equal("invalid_client", await ErrorOf(await AskForToken(fx.Es.Assertion("rs-client")), "signature"));
    }

    [Fact]
    public async Task hs256_assertion_is_rejected()
    {
        var secret = new SigningCredentials(new SymmetricSecurityKey(RandomBytes(64)), SecurityAlgorithms.HmacSha256);
        Assert.Equal("invalid_client", await ErrorOf(await AskForToken(ClientKey.Sign(secret, "rs-client")), "alg"));
    }

    [Fact]
    public async Task unsigned_assertion_is_rejected()
    {
        Assert.Equal("invalid_client", await ErrorOf(await AskForToken(ClientKey.Sign(null, "rs-client")), "alg"));
    }

    [Fact]
    public async Task unknown_client_is_rejected()
    {
        Assert.Equal("invalid_client", await ErrorOf(await AskForToken(fx.Rs.Assertion("who-is-this")), "not registered"));
    }

    [Fact]
    public async Task assertion_for_another_audience_is_rejected()
    {
        Assert.Equal("invalid_client", await ErrorOf(await AskForToken(fx.Rs.Assertion("rs-client", aud: "https://elsewhere.example/auth/token")), "aud"));
    }

    [Fact]
    public async Task assertion_whose_sub_is_not_the_client_is_rejected()
    {
        Assert.Equal("invalid_client", await ErrorOf(await AskForToken(fx.Rs.Assertion("rs-client", sub: "es-client")), "sub"));
    }

    [Fact]
    public async Task assertion_without_jti_is_rejected()
    {
        Assert.Equal("invalid_client", await ErrorOf(await AskForToken(fx.Rs.Assertion("rs-client", jti: null)), "jti"));
    }

    [Fact]
    public async Task granted_scope_is_the_intersection_of_asked_and_registered()
    {
        var asked = "system/Patient.rs system/Observation.cruds system/Consent.cruds system/Encounter.d launch";
        var body = await Json(await AskForToken(fx.Rs.Assertion("rs-client"), asked));
        var granted = "system/Patient.rs system/Observation.rs system/Consent.cruds";
        Assert.Equal(granted, body.GetProperty("scope").GetString());
        Assert.Equal(granted, new JsonWebToken(body.GetProperty("access_token").GetString()!).GetClaim("scope").Value);
    }

    [Fact]
    public async Task nothing_left_of_the_asked_scope_is_invalid_scope()
    {
        Assert.Equal("invalid_scope", await ErrorOf(await AskForToken(fx.Rs.Assertion("rs-client"), "system/Encounter.cud patient/*.rs")));
    }

    [Fact]
    public async Task missing_scope_is_invalid_request()
    {
        Assert.Equal("invalid_request", await ErrorOf(await AskForToken(fx.Rs.Assertion("rs-client"), scope: null)));
    }

    [Fact]
    public async Task grant_type_other_than_client_credentials_is_unsupported()
    {
        Assert.Equal("unsupported_grant_type", await ErrorOf(await AskForToken(fx.Rs.Assertion("rs-client"), grantType: "authorization_code")));
    }

    [Fact]
    public async Task wrong_client_assertion_type_is_invalid_client()
    {
        Assert.Equal("invalid_client", await ErrorOf(await AskForToken(fx.Rs.Assertion("rs-client"), assertionType: "urn:example:other")));
    }

    [Fact]
    public async Task body_that_is_not_a_form_is_invalid_request()
    {
        var response = await Http.PostAsJsonAsync("/auth/token", new { grant_type = "client_credentials" });
        Assert.Equal("invalid_request", await ErrorOf(response));
    }

    [Fact]
    public async Task garbage_assertion_is_invalid_client()
    {
        Assert.Equal("invalid_client", await ErrorOf(await AskForToken("not-a-jwt")));
    }

    [Fact]
    public async Task jwks_names_the_key_that_signs_access_tokens()
    {
        var jwks = await Http.GetStringAsync("/.well-known/jwks.json");
        var set = new JsonWebKeySet(jwks);
        var key = Assert.Single(set.Keys);
        Assert.Equal("RSA", key.Kty);
        Assert.False(key.HasPrivateKey);

        var token = (await Json(await AskForToken(fx.Rs.Assertion("rs-client")))).GetProperty("access_token").GetString()!;
        Assert.Equal(key.Kid, new JsonWebToken(token).Kid);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = "carehub", ValidAudience = "carehub", IssuerSigningKeys = set.GetSigningKeys(),
        });
        Assert.True(result.IsValid, result.Exception?.Message);
    }

    [Fact]
    public async Task behind_a_proxy_the_issuer_url_is_accepted_as_audience()
    {
        var key = ClientKey.Rsa();
        await using var host = await AuthTestHost.StartAsync(devTokens: false, new Dictionary<string, string?>
        {
            ["Hub:Auth:Issuer"] = "https://hub.example.org/",
            ["Hub:Auth:Clients:0:ClientId"] = "proxied",
            ["Hub:Auth:Clients:0:Org"] = "QSL",
            ["Hub:Auth:Clients:0:OrgType"] = "icb",
            ["Hub:Auth:Clients:0:Scopes"] = "system/*.rs",
            ["Hub:Auth:Clients:0:Jwk"] = key.PublicJwkJson,
        });
        var response = await host.Http.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_assertion_type"] = AssertionType,
            ["client_assertion"] = key.Assertion("proxied", aud: "https://hub.example.org/auth/token"),
            ["scope"] = "system/*.rs",
        }));
        var token = (await Json(response)).GetProperty("access_token").GetString()!;
        Assert.Equal("https://hub.example.org/", new JsonWebToken(token).Issuer);

        using var ping = new HttpRequestMessage(HttpMethod.Get, "/fhir/ping");
        ping.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.SendAsync(ping)).StatusCode);
    }

    static byte[] RandomBytes(int n) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(n);
}
