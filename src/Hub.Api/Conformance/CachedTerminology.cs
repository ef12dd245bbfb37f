using System.Collections.Concurrent;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Terminology;
using Hub.Api.Fhir;

namespace Hub.Api.Conformance;

/// <summary>
/// Remembers the answers of the local terminology service. Every write checks its codes against required bindings, and
/// working one out (expanding the value set, blocking on async code) took most of a Patient's validation; the same
/// (value set, code) question always has the same answer while the hub runs, because its code systems are fixed.
/// </summary>
public sealed class CachedTerminology(ICodeValidationTerminologyService inner) : ICodeValidationTerminologyService
{
    const int MaxEntries = 50_000;
    static readonly HashSet<string> Kept = ["result", "message", "display", "cause"];
    readonly ConcurrentDictionary<string, Parameters> answers = new(StringComparer.Ordinal);

    public async Task<Parameters> ValueSetValidateCode(Parameters parameters, string? id = null, bool useGet = false)
    {
        var key = $"{id}|{useGet}|{FhirFormat.SerializeToString(parameters)}";
        if (answers.TryGetValue(key, out var known)) return known;
        var answer = await inner.ValueSetValidateCode(parameters, id, useGet);
        // Only what the validator reads: a smaller answer is quicker to read on every later hit.
        var slim = new Parameters { Parameter = answer.Parameter.Where(p => Kept.Contains(p.Name ?? "")).ToList() };
        if (answers.Count >= MaxEntries) answers.Clear();
        answers[key] = slim;
        return slim;
    }

    public Task<Parameters> Subsumes(Parameters parameters, string? id = null, bool useGet = false) => inner.Subsumes(parameters, id, useGet);
}
