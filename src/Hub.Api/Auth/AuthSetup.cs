using System.Text.Json;
using Hl7.Fhir.Model;
using Hub.Api.Fhir;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Hub.Api.Auth;

public static class AuthSetup
{
    /// <summary>Authorization policy: the caller is an <c>admin</c> token.</summary>
    public const string AdminPolicy = "admin";

    /// <summary>Cookie the dashboard and the jobs page may carry the bearer token in (contract §8).</summary>
    public const string TokenCookie = "carehub_token";

    static readonly string[] CookiePaths = ["/dashboard", "/jobs"];

    /// <summary>Registers <see cref="AuthOptions"/> (<c>Hub:Auth</c>), the hub's key, token issuing, the client
    /// registry, and JWT bearer authentication whose 401 and 403 answers are FHIR OperationOutcomes.</summary>
    public static void AddHubAuth(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(AuthOptions.Section);
        var services = builder.Services;
        services.AddOptions<AuthOptions>().Configure(o => Read(o, section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => HubSigningKey.LoadOrCreate(sp.GetRequiredService<IOptions<AuthOptions>>().Value.SigningKey));
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<RegisteredClients>();
        services.AddSingleton<AssertionReplayGuard>();
        services.AddHostedService<SigningKeyAtStart>();

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<HubSigningKey, IOptions<AuthOptions>, TimeProvider>((o, key, auth, time) =>
            {
                o.MapInboundClaims = false;
                o.TokenHandlers.Clear();
                o.TokenHandlers.Add(new ValidatedTokenCache(time) { MapInboundClaims = false });
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = auth.Value.Issuer,
                    ValidAudience = auth.Value.Issuer,
                    IssuerSigningKey = key.Key,
                    ValidAlgorithms = [HubSigningKey.Algorithm],
                    ValidateIssuer = true,
                    ValidateAudience = true,
                    ValidateLifetime = true,
                    ValidateIssuerSigningKey = true,
                    RequireSignedTokens = true,
                    RequireExpirationTime = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                    NameClaimType = HubClaims.Org,
                    RoleClaimType = HubClaims.Role,
                };
                o.Events = new JwtBearerEvents
                {
                    OnMessageReceived = ReadTokenCookie,
                    OnChallenge = WriteUnauthorized,
                    OnForbidden = WriteForbidden,
                };
            });

        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new AuthorizationPolicyBuilder(JwtBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser().Build())
            .AddPolicy(AdminPolicy, p => p.AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser().RequireClaim(HubClaims.OrgType, OrgTypes.Admin));
    }

    // Only pages a browser opens take the cookie; /fhir and the APIs need the Authorization header, so no CSRF there.
    static System.Threading.Tasks.Task ReadTokenCookie(MessageReceivedContext context)
    {
        var request = context.Request;
        if (string.IsNullOrEmpty(request.Headers.Authorization) && CookiePaths.Any(p => request.Path.StartsWithSegments(p))
            && request.Cookies.TryGetValue(TokenCookie, out var token) && !string.IsNullOrEmpty(token))
            context.Token = token;
        return System.Threading.Tasks.Task.CompletedTask;
    }

    static async System.Threading.Tasks.Task WriteUnauthorized(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        if (context.Response.HasStarted) return;
        var failed = context.AuthenticateFailure is not null;
        context.Response.Headers.WWWAuthenticate = failed ? "Bearer error=\"invalid_token\"" : "Bearer";
        var text = context.AuthenticateFailure is SecurityTokenExpiredException
            ? "The bearer token has expired; a valid bearer token is required (Authorization: Bearer <token>)"
            : "A valid bearer token is required (Authorization: Bearer <token>)";
        await FhirFormat.WriteOutcomeAsync(context.HttpContext, StatusCodes.Status401Unauthorized, Outcomes.Error(OperationOutcome.IssueType.Login, text));
    }

    static async System.Threading.Tasks.Task WriteForbidden(ForbiddenContext context)
    {
        if (context.Response.HasStarted) return;
        await FhirFormat.WriteOutcomeAsync(context.HttpContext, StatusCodes.Status403Forbidden,
            Outcomes.Error(OperationOutcome.IssueType.Forbidden, "This token does not allow this request"));
    }

    /// <summary>Reads <c>Hub:Auth</c> by hand rather than with the binder, which silently drops a whole client whose
    /// <c>Jwk</c> is written as an object: here it may be one JSON string (handy in an environment variable) or an
    /// object of its members (handy in appsettings.json).</summary>
    static void Read(AuthOptions options, IConfigurationSection section)
    {
        options.Issuer = section[nameof(AuthOptions.Issuer)] ?? options.Issuer;
        options.DevTokens = section.GetValue(nameof(AuthOptions.DevTokens), options.DevTokens);
        options.SigningKey = section[nameof(AuthOptions.SigningKey)] ?? options.SigningKey;
        options.TokenLifetimeSeconds = section.GetValue(nameof(AuthOptions.TokenLifetimeSeconds), options.TokenLifetimeSeconds);
        foreach (var entry in section.GetSection(nameof(AuthOptions.Clients)).GetChildren())
        {
            options.Clients.Add(new ClientRegistration
            {
                ClientId = entry[nameof(ClientRegistration.ClientId)] ?? "",
                Org = entry[nameof(ClientRegistration.Org)] ?? "",
                OrgType = entry[nameof(ClientRegistration.OrgType)] ?? "",
                Role = entry[nameof(ClientRegistration.Role)] is { Length: > 0 } role ? role : null,
                Scopes = entry[nameof(ClientRegistration.Scopes)] ?? "",
                Jwk = JwkJson(entry.GetSection(nameof(ClientRegistration.Jwk))),
            });
        }
    }

    static string? JwkJson(IConfigurationSection jwk)
    {
        if (jwk.Value is not null) return jwk.Value;
        var members = jwk.GetChildren().ToList();
        if (members.Count == 0) return null;
        // Every JWK member is a string but key_ops and x5c, which are arrays of strings.
        return JsonSerializer.Serialize(members.ToDictionary(
            m => m.Key,
            m => m.Value is not null ? (object)m.Value : m.GetChildren().Select(v => v.Value).ToArray()));
    }

    /// <summary>Reads (or creates) the signing key as the host starts, so a bad PEM stops it there and then.</summary>
    sealed class SigningKeyAtStart(HubSigningKey key, ILogger<SigningKeyAtStart> log) : IHostedService
    {
        public System.Threading.Tasks.Task StartAsync(CancellationToken cancellationToken)
        {
            log.LogInformation("Signing tokens with key {KeyId} from {Path}", key.KeyId, key.Path);
            return System.Threading.Tasks.Task.CompletedTask;
        }

        public System.Threading.Tasks.Task StopAsync(CancellationToken cancellationToken) => System.Threading.Tasks.Task.CompletedTask;
    }
}
