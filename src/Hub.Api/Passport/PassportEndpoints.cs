using Hl7.Fhir.Model;
using Hub.Api.Fhir;

namespace Hub.Api.Passport;

/// <summary>`GET /fhir/Patient/{id}/$health-passport` (contract §8): PDF for `Accept: application/pdf`, otherwise an HTML page.</summary>
public static class PassportEndpoints
{
    public static void MapHealthPassport(this RouteGroupBuilder fhir)
    {
        fhir.MapGet("Patient/{id}/$health-passport", async (HttpContext http, string id, PassportService svc) =>
        {
            var format = Negotiate(http.Request);
            var document = await svc.ForPatientAsync(FhirEndpoints.Caller(http), id, format);
            http.Response.StatusCode = 200;
            http.Response.ContentType = document.MediaType == "text/html" ? "text/html; charset=utf-8" : document.MediaType;
            // A young person's health record: never kept by a shared cache or a browser's back button on a shared computer.
            http.Response.Headers.CacheControl = "no-store";
            if (format == PassportFormat.Pdf) http.Response.Headers.ContentDisposition = "inline; filename=\"health-passport.pdf\"";
            await http.Response.Body.WriteAsync(document.Content);
            return Results.Empty;
        });
    }

    /// <summary>
    /// `_format=pdf|html` first, then Accept: PDF only when asked for (and preferred to HTML if both are listed); HTML for
    /// text/html, a browser's `*/*` or no Accept at all. Anything else (e.g. only FHIR JSON) is 406.
    /// </summary>
    public static PassportFormat Negotiate(HttpRequest request)
    {
        var format = request.Query["_format"].ToString();
        if (format.Length > 0)
            return format.Contains("pdf", StringComparison.OrdinalIgnoreCase) ? PassportFormat.Pdf
                : format.Contains("html", StringComparison.OrdinalIgnoreCase) ? PassportFormat.Html
                : throw NotAcceptable($"_format '{format}'");
        var accept = request.Headers.Accept.ToString();
        if (accept.Contains("application/pdf", StringComparison.OrdinalIgnoreCase)) return PassportFormat.Pdf;
        if (string.IsNullOrWhiteSpace(accept) || accept.Contains("text/html", StringComparison.OrdinalIgnoreCase) || accept.Contains("*/*", StringComparison.Ordinal))
            return PassportFormat.Html;
        throw NotAcceptable($"'{accept}'");
    }

    static FhirProblem NotAcceptable(string asked) =>
        FhirProblem.Of(406, OperationOutcome.IssueType.NotSupported, $"The health passport is HTML (text/html) or PDF (application/pdf), not {asked}");
}
