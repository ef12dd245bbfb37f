using Hub.Api.Fhir;

namespace Hub.Api.Summary;

/// <summary>The three routes of `$summary` (contract §6); the FHIR group they join catches problems and audits them.</summary>
public static class SummaryEndpoints
{
    public static void MapSummary(this RouteGroupBuilder fhir)
    {
        fhir.MapGet("Patient/{id}/$summary", async (HttpContext http, string id, SummaryService svc) =>
            await FhirEndpoints.Write(http, await svc.ForPatientAsync(FhirEndpoints.Caller(http), id)));

        fhir.MapGet("Patient/$summary", async (HttpContext http, SummaryService svc) =>
        {
            var caller = FhirEndpoints.Caller(http);
            var identifier = SummaryService.ParseToken([.. http.Request.Query["identifier"].OfType<string>()]);
            return await FhirEndpoints.Write(http, await svc.ForIdentifierAsync(caller, identifier));
        });

        fhir.MapPost("Patient/$summary", async (HttpContext http, SummaryService svc) =>
        {
            var caller = FhirEndpoints.Caller(http);
            var identifier = SummaryService.IdentifierOf(await FhirEndpoints.ReadBodyAsync(http));
            return await FhirEndpoints.Write(http, await svc.ForIdentifierAsync(caller, identifier));
        });
    }
}
