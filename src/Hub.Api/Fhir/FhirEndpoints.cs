using Hl7.Fhir.Model;
using Hub.Api.Auth;
using Hub.Api.Peers;
using Hub.Api.Summary;
using Microsoft.Extensions.Options;

namespace Hub.Api.Fhir;

/// <summary>`Hub:Fhir`: limits of the REST layer.</summary>
public sealed class FhirOptions
{
    /// <summary>Request bodies larger than this are refused with 413 before they are parsed.</summary>
    public long MaxBodyBytes { get; set; } = 50L * 1024 * 1024;
}

/// <summary>The FHIR REST routes under /fhir: each reads the request, calls FhirService, writes the answer.</summary>
public static class FhirEndpoints
{
    public static void MapFhir(this WebApplication app)
    {
        app.MapGet("/fhir/metadata", (HttpContext http, Capabilities caps) => Write(http, new FhirResult { Resource = caps.Statement(BaseUrl(http)) }))
            .AllowAnonymous().ExcludeFromDescription();

        var fhir = app.MapGroup("/fhir").RequireAuthorization().ExcludeFromDescription();
        fhir.AddEndpointFilter(async (ctx, next) =>
        {
            try { return await next(ctx); }
            catch (FhirProblem p)
            {
                // Every refusal leaves an AuditEvent (contract section 2), wherever it was decided.
                if (ctx.HttpContext.GetCaller() is { } caller)
                    await ctx.HttpContext.RequestServices.GetRequiredService<FhirService>().AuditRefusalAsync(caller, ctx.HttpContext.Request.Method, ctx.HttpContext.Request.Path, p);
                if (p.RetryAfterSeconds is { } retry) ctx.HttpContext.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await FhirFormat.WriteOutcomeAsync(ctx.HttpContext, p.Status, p.Outcome);
                return Results.Empty;
            }
        });

        // Operations before the generic {type}/{id} routes (literal segments win anyway; this keeps them findable).
        fhir.MapSummary();
        Passport.PassportEndpoints.MapHealthPassport(fhir);
        CareLeavers.IdentifyCareLeaversEndpoints.MapIdentifyCareLeavers(fhir);
        Kpis.KpiEndpoints.MapKpis(fhir);

        fhir.MapPost("", async (HttpContext http, FhirService svc) =>
        {
            var resource = await ReadBodyAsync(http);
            if (resource is not Bundle bundle) throw FhirProblem.Invalid($"POST /fhir takes a Bundle, not a {resource.TypeName}", "resourceType");
            return await Write(http, await svc.ProcessBundleAsync(Caller(http), bundle, BaseUrl(http)));
        });

        fhir.MapGet("{type}", async (HttpContext http, string type, FhirService svc) =>
            await Write(http, await svc.SearchAsync(Caller(http), type, QueryPairs(http.Request.Query), BaseUrl(http), Strict(http))));

        fhir.MapPost("{type}/_search", async (HttpContext http, string type, FhirService svc) =>
        {
            var pairs = QueryPairs(http.Request.Query);
            if (http.Request.HasFormContentType) pairs.AddRange(QueryPairs(await http.Request.ReadFormAsync()));
            return await Write(http, await svc.SearchAsync(Caller(http), type, pairs, BaseUrl(http), Strict(http)));
        });

        fhir.MapPost("{type}", async (HttpContext http, string type, FhirService svc) =>
        {
            FhirService.CheckType(type);
            var resource = await ReadBodyAsync(http);
            var caller = Caller(http);
            // A peer CareHub's placement notification is received (stored once, the child's summary fetched), not created.
            if (type == "Communication" && caller.OrgType == Auth.OrgTypes.Hub)
                return await Write(http, await http.RequestServices.GetRequiredService<Peers.PlacementNotificationReceiver>().ReceiveAsync(caller, resource));
            if (resource.TypeName != type) throw FhirProblem.Invalid($"The body is a {resource.TypeName}, but the URL names {type}", "resourceType");
            var ifNoneExist = http.Request.Headers["If-None-Exist"].ToString();
            return await Write(http, await svc.CreateAsync(caller, resource, string.IsNullOrEmpty(ifNoneExist) ? null : ifNoneExist));
        });

        fhir.MapPut("{type}", async (HttpContext http, string type, FhirService svc) =>
        {
            FhirService.CheckType(type);
            var query = http.Request.QueryString.Value?.TrimStart('?');
            if (string.IsNullOrEmpty(query)) throw FhirProblem.Of(405, OperationOutcome.IssueType.NotSupported, "PUT on a type needs search criteria (conditional update)");
            var resource = await ReadBodyAsync(http);
            return await Write(http, await svc.ConditionalUpdateAsync(Caller(http), type, query, resource));
        });

        fhir.MapGet("{type}/{id}", async (HttpContext http, string type, string id, FhirService svc) =>
            await Write(http, await svc.ReadAsync(Caller(http), type, id)));

        fhir.MapPut("{type}/{id}", async (HttpContext http, string type, string id, FhirService svc) =>
        {
            FhirService.CheckType(type);
            var resource = await ReadBodyAsync(http);
            var ifMatch = http.Request.Headers.IfMatch.ToString();
            return await Write(http, await svc.UpdateAsync(Caller(http), type, id, resource, string.IsNullOrEmpty(ifMatch) ? null : ifMatch));
        });

        fhir.MapDelete("{type}/{id}", async (HttpContext http, string type, string id, FhirService svc) =>
            await Write(http, await svc.DeleteAsync(Caller(http), type, id)));

        fhir.MapGet("{type}/{id}/_history", async (HttpContext http, string type, string id, FhirService svc) =>
        {
            var count = int.TryParse(http.Request.Query["_count"], out var c) ? c : 50;
            var offset = int.TryParse(http.Request.Query["_offset"], out var o) ? o : 0;
            return await Write(http, await svc.HistoryAsync(Caller(http), type, id, count, Math.Max(0, offset), BaseUrl(http)));
        });

        fhir.MapGet("{type}/{id}/_history/{vid}", async (HttpContext http, string type, string id, string vid, FhirService svc) =>
            await Write(http, await svc.VReadAsync(Caller(http), type, id, vid)));

        fhir.MapPost("{type}/$validate", async (HttpContext http, string type, Conformance.ProfileValidator validator) =>
        {
            FhirService.CheckType(type);
            var resource = await ReadBodyAsync(http);
            if (resource is Parameters ps && ps.Parameter.FirstOrDefault(p => p.Name == "resource")?.Resource is { } inner) resource = inner;
            if (resource.TypeName != type) throw FhirProblem.Invalid($"The body is a {resource.TypeName}, but the URL names {type}", "resourceType");
            var outcome = Conformance.ValidationIssues.Clarify(await validator.ValidateAsync(resource));
            if (outcome.Issue.Count == 0) outcome.Issue.Add(Outcomes.Information("Validation successful: no issues").Issue[0]);
            return await Write(http, new FhirResult { Resource = outcome });
        });
    }

    internal static Caller Caller(HttpContext http) =>
        http.GetCaller() ?? throw FhirProblem.Of(401, OperationOutcome.IssueType.Login, "A valid bearer token is required");

    public static string BaseUrl(HttpContext http) => $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/fhir";

    static bool Strict(HttpContext http) => http.Request.Headers["Prefer"].ToString().Contains("handling=strict", StringComparison.OrdinalIgnoreCase);

    static List<(string Name, string Value)> QueryPairs(IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> q) =>
        q.SelectMany(kv => kv.Value.Select(v => (kv.Key, v ?? ""))).ToList();

    /// <summary>Reads and parses a FHIR body: 415 for a non-FHIR content type, 413 past the size limit, 400 for anything malformed.</summary>
    public static async Task<Resource> ReadBodyAsync(HttpContext http)
    {
        var limit = http.RequestServices.GetRequiredService<IOptions<FhirOptions>>().Value.MaxBodyBytes;
        var format = FhirFormat.BodyFormat(http.Request)
            ?? throw FhirProblem.Of(415, OperationOutcome.IssueType.NotSupported, $"Content-Type '{http.Request.ContentType}' is not FHIR JSON or XML (use {FhirFormat.JsonMime} or {FhirFormat.XmlMime})");
        if (http.Request.ContentLength > limit) throw TooLarge(limit);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        try
        {
            while ((read = await http.Request.Body.ReadAsync(chunk)) > 0)
            {
                if (buffer.Length + read > limit) throw TooLarge(limit);
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413) { throw TooLarge(limit); }
        if (buffer.Length == 0) throw FhirProblem.Invalid("The request has no body");
        return FhirFormat.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), format);
    }

    static FhirProblem TooLarge(long limit) =>
        FhirProblem.Of(413, OperationOutcome.IssueType.TooLong, $"The request body is larger than the limit of {limit} bytes (Hub:Fhir:MaxBodyBytes)");

    /// <summary>Puts a result on the wire with its FHIR headers, honouring `Prefer: return=`.</summary>
    public static async Task<IResult> Write(HttpContext http, FhirResult r)
    {
        var format = FhirFormat.Negotiate(http.Request)
            ?? throw FhirProblem.Of(406, OperationOutcome.IssueType.NotSupported, $"Cannot answer in '{http.Request.Headers.Accept}': use {FhirFormat.JsonMime} or {FhirFormat.XmlMime}");
        var h = http.Response.Headers;
        if (r.ETag is not null) h.ETag = r.ETag;
        if (r.LastModified is { } lm) h.LastModified = lm.ToString("R");
        if (r.Location is not null) h.Location = $"{BaseUrl(http)}/{r.Location}";
        if (r.Status == 204) { http.Response.StatusCode = 204; return Results.Empty; }
        var prefer = http.Request.Headers["Prefer"].ToString();
        if (r.Location is not null && prefer.Contains("return=minimal", StringComparison.OrdinalIgnoreCase)) { http.Response.StatusCode = r.Status; return Results.Empty; }
        if (r.Location is not null && prefer.Contains("return=OperationOutcome", StringComparison.OrdinalIgnoreCase))
        {
            await FhirFormat.WriteAsync(http, r.Status, Outcomes.Information($"{r.Location} stored"), format);
            return Results.Empty;
        }
        if (r.Json is not null) await FhirFormat.WriteStoredAsync(http, r.Status, System.Text.Encoding.UTF8.GetBytes(r.Json), format);
        else if (r.Resource is not null) await FhirFormat.WriteAsync(http, r.Status, r.Resource, format);
        else http.Response.StatusCode = r.Status;
        return Results.Empty;
    }
}
