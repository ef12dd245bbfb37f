using Microsoft.AspNetCore.Mvc;

namespace Hub.Api.Auth;

public static class AuthEndpoints
{
    public const string JwksPath = "/.well-known/jwks.json";

    /// <summary>Maps <c>POST /auth/token</c>, <c>POST /auth/dev-token</c> and <c>GET /.well-known/jwks.json</c>, all open to anonymous callers.</summary>
    public static void MapAuthEndpoints(this WebApplication app)
    {
        app.MapPost(BackendServicesToken.Path, BackendServicesToken.HandleAsync).AllowAnonymous();
        app.MapPost(DevTokens.Path, DevTokens.HandleAsync).AllowAnonymous();
        app.MapGet(JwksPath, (HttpContext http, [FromServices] HubSigningKey key) =>
        {
            http.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Json(key.Jwks(), contentType: "application/jwk-set+json");
        }).AllowAnonymous();
    }
}
