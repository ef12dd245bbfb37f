using Hl7.Fhir.Model;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Fhir;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hub.Api.Peers;

/// <summary>
/// The answering side of hub to hub (decisions.md, Who is who row <c>hub</c>): a peer hub's request is decided on the
/// caller it carries in <c>X-On-Behalf-Of</c>, never on the hub. The carried JWT must be signed with the key the peer
/// registered here as a client; the caller it names gets no more scopes than the peer's token has, and the peer stays
/// beside it in every AuditEvent (<see cref="Caller.Via"/>). Without the header a hub is only itself: no relationship
/// to any child, so no patient data.
/// </summary>
public static class OnBehalfOf
{
    public const string Header = "X-On-Behalf-Of";
    public const string TokenType = "JWT";

    static readonly TimeSpan ClockSkew = BackendServicesToken.ClockSkew;
    static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(5);
    static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    /// <summary>Who a peer hub may speak for: clinicians, LAs and young people; never another hub (no chains) or an admin.</summary>
    static readonly IReadOnlySet<string> CarriedTypes = new HashSet<string> { OrgTypes.Icb, OrgTypes.Gp, OrgTypes.La, OrgTypes.Provider, OrgTypes.YoungPerson };

    /// <summary>Resolves the carried caller before any endpoint runs; a header that does not verify is refused (403) and audited.</summary>
    public static void UseOnBehalfOf(this WebApplication app) => app.Use(async (http, next) =>
    {
        if (http.GetCaller() is { OrgType: OrgTypes.Hub } hub && http.Request.Headers.TryGetValue(Header, out var values))
        {
            var clients = http.RequestServices.GetRequiredService<RegisteredClients>();
            var issuer = http.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.Issuer;
            var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
            RegisteredClient? client = null;
            var (carried, problem) = values.Count != 1 ? (null, $"{Header} must be given once")
                : hub.ClientId is null || !clients.TryGet(hub.ClientId, out client) || client.Registration.OrgType != OrgTypes.Hub ? (null, "the hub is not a registered client of this hub")
                : await ReadAsync(values[0]!, hub, client, AudiencesOf(http.Request, issuer), now);
            if (carried is null)
            {
                await AuditRefusalAsync(http, hub, problem!);
                await FhirFormat.WriteOutcomeAsync(http, StatusCodes.Status403Forbidden,
                    Outcomes.Error(OperationOutcome.IssueType.Forbidden, $"{Header} refused: {problem}"));
                return;
            }
            http.SetCaller(carried);
        }
        await next(http);
    });

    /// <summary>The carried caller when <paramref name="jwt"/> is the peer's, for us, current and well formed; else why not.</summary>
    public static async Task<(Caller? Caller, string? Problem)> ReadAsync(string jwt, Caller hub, RegisteredClient client, IReadOnlyList<string> audiences, DateTimeOffset now)
    {
        var checks = BackendServicesToken.SignedBy(client, audiences);
        // Short-lived by rule, and judged by the hub's clock (a test's or the host's), not the machine's.
        checks.LifetimeValidator = (notBefore, expires, _, _) => expires is { } e && e > now.UtcDateTime - ClockSkew && e <= (now + MaxLifetime + ClockSkew).UtcDateTime
            && (notBefore is not { } nb || nb <= (now + ClockSkew).UtcDateTime);
        var result = await Handler.ValidateTokenAsync(jwt, checks);
        if (!result.IsValid) return (null, Describe(result.Exception));
        var token = (JsonWebToken)result.SecurityToken;
        string? Claim(string type) => token.TryGetPayloadValue<string>(type, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null;

        var org = Claim(HubClaims.Org);
        var orgType = Claim(HubClaims.OrgType);
        if (org is null || orgType is null) return (null, "the carried caller needs org and org_type");
        if (!CarriedTypes.Contains(orgType)) return (null, $"a hub may not speak for an org_type '{orgType}'");
        var purpose = Claim(HubClaims.Purpose) ?? PurposesOfUse.Default;
        if (!PurposesOfUse.IsKnown(purpose)) return (null, $"purpose_of_use '{purpose}' is not a code of {PurposesOfUse.CodeSystemUrl}");
        var nhs = Claim(HubClaims.NhsNumber);
        if (orgType == OrgTypes.YoungPerson && nhs is null) return (null, "a young person's claims need their nhs_number");

        // The carried caller's scopes are the peer's grant: a hub cannot pass on more than it was given.
        return (new Caller(org, orgType, Claim(HubClaims.Role), purpose, orgType == OrgTypes.YoungPerson ? nhs : null, hub.Scopes, ClientId: null)
        {
            AccessReason = hub.AccessReason,
            Via = hub,
        }, null);
    }

    /// <summary>This hub as a peer may address it: the root the request reached, and the configured issuer when it is a URL.</summary>
    static List<string> AudiencesOf(HttpRequest request, string issuer)
    {
        var root = UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase).TrimEnd('/');
        var audiences = new List<string> { root, root + "/" };
        if (Uri.TryCreate(issuer, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") audiences.Add(issuer.TrimEnd('/'));
        return audiences;
    }

    static string Describe(Exception? e) => e switch
    {
        SecurityTokenExpiredException => "it has expired",
        SecurityTokenInvalidLifetimeException => "its exp is past, or more than 5 minutes ahead",
        SecurityTokenNoExpirationException => "it needs an exp",
        SecurityTokenInvalidAudienceException => "its aud is not this hub",
        SecurityTokenInvalidIssuerException => "its iss is not the hub's client id",
        SecurityTokenInvalidAlgorithmException => "its alg must be RS384 or ES384",
        SecurityTokenMalformedException or ArgumentException => "it is not a JWT",
        _ => "its signature does not verify with the hub's registered key",
    };

    static async System.Threading.Tasks.Task AuditRefusalAsync(HttpContext http, Caller hub, string problem)
    {
        var action = http.Request.Method switch { "GET" => "read", "POST" => "create", "PUT" => "update", "DELETE" => "delete", var m => m.ToLowerInvariant() };
        var path = http.Request.Path.Value ?? "";
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        await http.RequestServices.GetRequiredService<AuditWriter>().WriteAsync(AuditEvents.ToRow(new AuditRecord(hub, action, AuditEvent.AuditEventOutcome.N4, null,
            [path.StartsWith("/fhir/", StringComparison.Ordinal) ? path[6..] : path], $"403: {Header} refused: {problem}"), now));
    }
}
