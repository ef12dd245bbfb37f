using System.Net;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hub.Tests.Auth;
using Hub.Tests.Http;
using Hub.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Hub.Tests.EndToEnd;

/// <summary>A hub run "for real": dev tokens off, one SMART Backend Services client registered for LA 933.</summary>
public sealed class RegisteredClientHubFixture : IAsyncLifetime
{
    public const string ClientId = "somerset-cms";
    public const string RegisteredScopes = "system/Patient.cruds system/EpisodeOfCare.rs";

    public ClientKey Key { get; } = ClientKey.Rsa();
    public RunningHub Hub { get; private set; } = null!;
    public string TokenUrl => Hub.BaseUrl + "/auth/token";

    public async Task InitializeAsync()
    {
        Hub = await RunningHub.StartAsync("Sqlite", new Dictionary<string, string?>
        {
            ["Hub:Auth:DevTokens"] = "false",
            ["Hub:Auth:Clients:0:ClientId"] = ClientId,
            ["Hub:Auth:Clients:0:Org"] = "933",
            ["Hub:Auth:Clients:0:OrgType"] = "la",
            ["Hub:Auth:Clients:0:Scopes"] = RegisteredScopes,
            ["Hub:Auth:Clients:0:Jwk"] = Key.PublicJwkJson,
        });
    }

    public async Task DisposeAsync()
    {
        await Hub.DisposeAsync();
    }
}

/// <summary>Contract §2 end to end: a registered client signs in with a client assertion and works through /fhir within its scopes.</summary>
public sealed class SmartBackendServicesTests(RegisteredClientHubFixture fx) : IClassFixture<RegisteredClientHubFixture>
{
    const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    RunningHub Hub => fx.Hub;

    Task<HttpResponseMessage> AskForTokenAsync(string assertion, string scope = RegisteredClientHubFixture.RegisteredScopes) =>
        Hub.Http.PostAsync("auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_assertion_type"] = AssertionType,
            ["client_assertion"] = assertion,
            ["scope"] = scope,
        }));

    async Task<FhirCall> SignInAsync()
    {
        var response = await AskForTokenAsync(fx.Key.Assertion(RegisteredClientHubFixture.ClientId, aud: fx.TokenUrl));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return new FhirCall(Hub.Http, JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString());
    }

    [Fact]
    public async Task a_signed_client_assertion_gets_a_token_that_creates_and_reads_a_child_over_fhir()
    {
        var response = await AskForTokenAsync(fx.Key.Assertion(RegisteredClientHubFixture.ClientId, aud: fx.TokenUrl));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal("bearer", body.GetProperty("token_type").GetString(), ignoreCase: true);
        Assert.Equal(RegisteredClientHubFixture.RegisteredScopes, body.GetProperty("scope").GetString());
        var accessToken = body.GetProperty("access_token").GetString()!;
        var jwt = new JsonWebToken(accessToken);
        Assert.Equal("933", jwt.GetClaim("org").Value);
        Assert.Equal("la", jwt.GetClaim("org_type").Value);
        Assert.Equal(RegisteredClientHubFixture.ClientId, jwt.GetClaim("client_id").Value);

        var la = new FhirCall(Hub.Http, accessToken);
        var child = Children.Patient("933");
        var created = await la.PostAsync("fhir/Patient", child);
        Assert.True(created.Status == 201, created.ToString());
        var id = created.As<Patient>().Id;
        Assert.False(string.IsNullOrEmpty(id));

        var read = await la.GetAsync($"fhir/Patient/{id}");
        Assert.True(read.Status == 200, read.ToString());
        var stored = read.As<Patient>();
        Assert.Equal(Children.ChildIdOf(child), Children.ChildIdOf(stored));
        Assert.Equal("Organization/933", stored.ManagingOrganization.Reference);
    }

    [Fact]
    public async Task dev_tokens_are_not_served_when_they_are_off()
    {
        var response = await Hub.Http.PostAsync("auth/dev-token",
            new StringContent("""{"org":"933","org_type":"la","role":null,"purpose_of_use":"direct-care","nhs_number":null}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("access_token", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task requests_outside_the_granted_scopes_are_403_with_an_outcome()
    {
        var la = await SignInAsync();
        var child = await la.PostAsync("fhir/Patient", Children.Patient("933"));
        Assert.True(child.Status == 201, child.ToString());
        var patientRef = $"Patient/{child.As<Patient>().Id}";

        var observation = new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept { Text = "weight" }, Subject = new ResourceReference(patientRef) };
        var refused = new[]
        {
            ("POST Observation (no Observation scope)", await la.PostAsync("fhir/Observation", observation)),
            ("GET Encounter (no Encounter scope)", await la.GetAsync($"fhir/Encounter?patient={patientRef}")),
            ("POST EpisodeOfCare (read and search only)", await la.PostAsync("fhir/EpisodeOfCare", Children.Episode("933", patientRef, "2025-01-01"))),
        };
        foreach (var (what, answer) in refused)
        {
            Assert.True(answer.Status == 403, $"{what}: {answer}");
            var outcome = Assert.IsType<OperationOutcome>(answer.Resource);
            Assert.Equal(OperationOutcome.IssueType.Forbidden, outcome.Issue[0].Code);
        }

        // What the scopes do grant still works with the same token.
        var episodes = await la.GetAsync($"fhir/EpisodeOfCare?patient={patientRef}");
        Assert.True(episodes.Status == 200, episodes.ToString());
        Assert.Empty(episodes.As<Bundle>().Entry);
    }

    [Fact]
    public async Task a_replayed_client_assertion_is_refused_and_gets_no_token()
    {
        var assertion = fx.Key.Assertion(RegisteredClientHubFixture.ClientId, aud: fx.TokenUrl);
        Assert.Equal(HttpStatusCode.OK, (await AskForTokenAsync(assertion)).StatusCode);

        var replay = await AskForTokenAsync(assertion);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        var body = JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
        Assert.Contains("jti", body.GetProperty("error_description").GetString());
        Assert.False(body.TryGetProperty("access_token", out _));
    }

    [Fact]
    public async Task an_assertion_for_another_audience_or_signed_by_another_key_gets_no_token()
    {
        var wrongAudience = await AskForTokenAsync(fx.Key.Assertion(RegisteredClientHubFixture.ClientId, aud: "https://elsewhere.example/auth/token"));
        Assert.Equal(HttpStatusCode.BadRequest, wrongAudience.StatusCode);
        var stranger = await AskForTokenAsync(ClientKey.Rsa().Assertion(RegisteredClientHubFixture.ClientId, aud: fx.TokenUrl));
        Assert.Equal(HttpStatusCode.BadRequest, stranger.StatusCode);
        Assert.Equal(401, (await new FhirCall(Hub.Http, null).GetAsync("fhir/Patient")).Status);
    }
}
