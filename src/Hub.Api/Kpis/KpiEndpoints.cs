using Hl7.Fhir.Model;
using Hub.Api.Fhir;

namespace Hub.Api.Kpis;

/// <summary>
/// The KPI routes (contract §8): the Measures themselves (not patient data: any authenticated caller; no MeasureReport
/// search, decisions.md) and `$evaluate-measure` by GET with query parameters or POST with a Parameters body.
/// </summary>
public static class KpiEndpoints
{
    public static void MapKpis(this RouteGroupBuilder fhir)
    {
        fhir.MapGet("Measure", async (HttpContext http, MeasureLibrary library) =>
        {
            FhirEndpoints.Caller(http);
            var ids = http.Request.Query["_id"].OfType<string>().SelectMany(v => v.Split(',')).ToHashSet();
            var urls = http.Request.Query["url"].OfType<string>().ToHashSet();
            var bundle = new Bundle { Type = Bundle.BundleType.Searchset };
            foreach (var measure in library.Ids.Select(library.Find).OfType<Measure>())
                if ((ids.Count == 0 || ids.Contains(measure.Id ?? "")) && (urls.Count == 0 || urls.Contains(measure.Url ?? "")))
                    bundle.Entry.Add(new Bundle.EntryComponent
                    {
                        FullUrl = $"{FhirEndpoints.BaseUrl(http)}/Measure/{measure.Id}",
                        Resource = measure,
                        Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
                    });
            bundle.Total = bundle.Entry.Count;
            return await FhirEndpoints.Write(http, new FhirResult { Resource = bundle });
        });

        fhir.MapGet("Measure/{id}", async (HttpContext http, string id, MeasureLibrary library) =>
        {
            FhirEndpoints.Caller(http);
            var measure = library.Find(id) ?? throw FhirProblem.NotFound($"Measure/{id}");
            return await FhirEndpoints.Write(http, new FhirResult { Resource = measure });
        });

        fhir.MapGet("Measure/{id}/$evaluate-measure", async (HttpContext http, string id, MeasureEvaluation evaluation) =>
        {
            var q = http.Request.Query;
            var query = new MeasureQuery(q["periodStart"].FirstOrDefault(), q["periodEnd"].FirstOrDefault(), q["subject"].FirstOrDefault());
            return await FhirEndpoints.Write(http, new FhirResult { Resource = await evaluation.EvaluateAsync(FhirEndpoints.Caller(http), id, query, http.RequestAborted) });
        });

        fhir.MapPost("Measure/{id}/$evaluate-measure", async (HttpContext http, string id, MeasureEvaluation evaluation) =>
        {
            var caller = FhirEndpoints.Caller(http);
            if (await FhirEndpoints.ReadBodyAsync(http) is not Parameters parameters)
                throw FhirProblem.Invalid("$evaluate-measure takes a Parameters resource", "resourceType");
            string? Text(string name) => parameters.Parameter.FirstOrDefault(p => p.Name == name)?.Value switch
            {
                Date d => d.Value,
                FhirDateTime dt => dt.Value,
                FhirString s => s.Value,
                Hl7.Fhir.Model.Code c => c.Value,
                ResourceReference r => r.Reference,
                null => null,
                var other => other.ToString(),
            };
            var query = new MeasureQuery(Text("periodStart"), Text("periodEnd"), Text("subject"));
            return await FhirEndpoints.Write(http, new FhirResult { Resource = await evaluation.EvaluateAsync(caller, id, query, http.RequestAborted) });
        });
    }

    public static void AddKpis(this IServiceCollection services)
    {
        services.AddSingleton(_ => new MeasureLibrary(Hosting.HubApp.ProfilesFolder));
        services.AddSingleton<KpiSnapshots>();
        services.AddScoped<KpiData>();
        services.AddScoped<MeasureEvaluation>();
    }
}
