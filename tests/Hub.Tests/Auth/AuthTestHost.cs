using System.Security.Cryptography;
using Hub.Api.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hub.Tests.Auth;

/// <summary>A minimal in-memory host with only the hub's authentication: the auth endpoints and a few protected pings.</summary>
public sealed class AuthTestHost : IAsyncDisposable
{
    public const string TokenUrl = "http://localhost/auth/token";

    AuthTestHost(WebApplication app, DirectoryInfo dir)
    {
        App = app;
        Dir = dir;
        Http = app.GetTestClient();
    }

    public WebApplication App { get; }
    public DirectoryInfo Dir { get; }
    public HttpClient Http { get; }
    public string SigningKeyPath => Path.Combine(Dir.FullName, "keys", "signing-key.pem");

    public static async Task<AuthTestHost> StartAsync(bool devTokens, IDictionary<string, string?>? config = null)
    {
        var dir = Directory.CreateTempSubdirectory("carehub-auth-");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing", ContentRootPath = dir.FullName });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        var settings = new Dictionary<string, string?>
        {
            ["Hub:Auth:SigningKey"] = Path.Combine(dir.FullName, "keys", "signing-key.pem"),
            ["Hub:Auth:DevTokens"] = devTokens ? "true" : "false",
        };
        foreach (var (k, v) in config ?? new Dictionary<string, string?>()) settings[k] = v;
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddHubAuth();

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapAuthEndpoints();
        app.MapGet("/fhir/ping", [Authorize] (HttpContext http) => http.GetCaller()!.Org);
        app.MapGet("/fhir/caller", [Authorize] (HttpContext http) => Results.Json(http.GetCaller()));
        app.MapGet("/fhir/admin-ping", (HttpContext http) => http.GetCaller()!.Org).RequireAuthorization(AuthSetup.AdminPolicy);
        app.MapGet("/dashboard/ping", [Authorize] (HttpContext http) => http.GetCaller()!.Org);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            dir.Delete(recursive: true);
            throw;
        }
        return new AuthTestHost(app, dir);
    }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        try { Dir.Delete(recursive: true); } catch (IOException) { }
    }
}

/// <summary>A client's key pair: the private half signs assertions, the public half is what the hub registers.</summary>
public sealed class ClientKey
{
    static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    ClientKey(SecurityKey key, string algorithm, IReadOnlyDictionary<string, string> publicJwk)
    {
        Credentials = new SigningCredentials(key, algorithm);
        PublicJwk = publicJwk;
    }

    public SigningCredentials Credentials { get; }
    public IReadOnlyDictionary<string, string> PublicJwk { get; }
    public string PublicJwkJson => System.Text.Json.JsonSerializer.Serialize(PublicJwk);

    public static ClientKey Rsa(string algorithm = SecurityAlgorithms.RsaSha384)
    {
        var rsa = RSA.Create(2048);
        var p = rsa.ExportParameters(false);
        var kid = Guid.NewGuid().ToString("N");
        return new ClientKey(new RsaSecurityKey(rsa) { KeyId = kid }, algorithm, new Dictionary<string, string>
        {
            ["kty"] = "RSA", ["kid"] = kid, ["n"] = Base64UrlEncoder.Encode(p.Modulus!), ["e"] = Base64UrlEncoder.Encode(p.Exponent!),
        });
    }

    public static ClientKey EcP384()
    {
        var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var p = ec.ExportParameters(false);
        var kid = Guid.NewGuid().ToString("N");
        return new ClientKey(new ECDsaSecurityKey(ec) { KeyId = kid }, SecurityAlgorithms.EcdsaSha384, new Dictionary<string, string>
        {
            ["kty"] = "EC", ["crv"] = "P-384", ["kid"] = kid, ["x"] = Base64UrlEncoder.Encode(p.Q.X!), ["y"] = Base64UrlEncoder.Encode(p.Q.Y!),
        });
    }

    /// <summary>The same private key, signing with another algorithm.</summary>
    public ClientKey With(string algorithm) => new(Credentials.Key, algorithm, PublicJwk);

    /// <summary>A SMART Backend Services client assertion: iss = sub = client id, aud = the token URL, short exp, fresh jti.</summary>
    public string Assertion(string clientId, string aud = AuthTestHost.TokenUrl, string? jti = "fresh", TimeSpan? expiresIn = null,
        TimeSpan? issuedAgo = null, string? sub = null) =>
        Sign(Credentials, clientId, aud, jti, expiresIn, issuedAgo, sub);

    public static string Sign(SigningCredentials? credentials, string clientId, string aud = AuthTestHost.TokenUrl, string? jti = "fresh",
        TimeSpan? expiresIn = null, TimeSpan? issuedAgo = null, string? sub = null)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object> { ["sub"] = sub ?? clientId };
        if (jti is not null) claims["jti"] = jti == "fresh" ? Guid.NewGuid().ToString() : jti;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = clientId,
            Audience = aud,
            IssuedAt = now - (issuedAgo ?? TimeSpan.Zero),
            Expires = now + (expiresIn ?? TimeSpan.FromMinutes(4)),
            Claims = claims,
            SigningCredentials = credentials,
        });
    }
}
