using Hl7.Fhir.Model;
using Hub.Api.Fhir;
using Hub.Mappers.Kpis;

namespace Hub.Api.Kpis;

/// <summary>The KPI Measures as published in fhir-profiles/ (Measure-{id}.json), read once at start.</summary>
public sealed class MeasureLibrary
{
    readonly Dictionary<string, string> jsonById;

    public MeasureLibrary(string profilesFolder)
    {
        jsonById = Measures.All.ToDictionary(id => id, id => File.ReadAllText(Path.Combine(profilesFolder, $"Measure-{id}.json")));
    }

    public IEnumerable<string> Ids => Measures.All;

    /// <summary>A fresh copy of the Measure, or null for an id that is not one of ours.</summary>
    public Measure? Find(string id) => jsonById.TryGetValue(id, out var json) ? (Measure)FhirFormat.ParseJson(json) : null;
}
