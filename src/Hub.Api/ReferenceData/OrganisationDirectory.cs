using Hl7.Fhir.Model;
using Hub.Api.Fhir;
using Hub.Api.Storage;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.ReferenceData;

/// <summary>An organisation of the reference data: an LA, ICB, GP practice or provider.</summary>
public sealed record Organisation(string Code, string Kind, string Name, string? ParentIcb, string? Endpoint);

/// <summary>
/// The reference organisations held in memory: every access decision asks "which ICB is this LA's?",
/// and that must not cost a query. Refreshed from the store whenever reference data changes.
/// </summary>
public sealed partial class OrganisationDirectory
{
    public const string KindSystem = "https://fhir.carehub.org.uk/CodeSystem/organisation-kind";
    volatile IReadOnlyDictionary<string, Organisation> byCode = new Dictionary<string, Organisation>();
    volatile IReadOnlyDictionary<string, string> jsonByCode = new Dictionary<string, string>();

    public Organisation? Find(string? code) => code is not null && byCode.TryGetValue(code, out var o) ? o : null;
    public string? ParentIcbOf(string? code) => Find(code)?.ParentIcb;
    public IEnumerable<Organisation> All => byCode.Values;

    /// <summary>The stored Organization resource of a code, as a fresh copy (every summary names a few; none should cost a query).</summary>
    public Organization? Resource(string code) =>
        jsonByCode.TryGetValue(code, out var json) ? (Organization)FhirFormat.ParseJson(json) : null;

    /// <summary>
    /// The Organizations a child's records (their JSON) and any further codes name, with the ICBs above them (an LA's
    /// partOf), from memory: what a summary or passport shows by name.
    /// </summary>
    public List<Organization> NamedIn(IEnumerable<string> json, IEnumerable<string>? codes = null)
    {
        var named = json.SelectMany(j => OrganisationReference().Matches(j).Select(m => m.Groups[1].Value)).Concat(codes ?? [])
            .ToHashSet(StringComparer.Ordinal);
        foreach (var code in named.ToList())
            for (var parent = ParentIcbOf(code); parent is not null && named.Add(parent); parent = ParentIcbOf(parent)) { }
        return [.. named.Select(Resource).OfType<Organization>()];
    }

    [System.Text.RegularExpressions.GeneratedRegex("\"reference\"\\s*:\\s*\"Organization/([A-Za-z0-9\\-\\.]{1,64})\"")]
    private static partial System.Text.RegularExpressions.Regex OrganisationReference();

    public async System.Threading.Tasks.Task RefreshAsync(HubDb db)
    {
        var rows = await db.Resources.AsNoTracking().Where(r => r.Type == "Organization" && !r.Deleted).Select(r => r.Json).ToListAsync();
        var endpoints = (await db.Resources.AsNoTracking().Where(r => r.Type == "Endpoint" && !r.Deleted).Select(r => r.Json).ToListAsync())
            .Select(j => (Hl7.Fhir.Model.Endpoint)FhirFormat.ParseJson(j)).ToDictionary(e => e.Id!, e => e.Address);
        var map = new Dictionary<string, Organisation>();
        var json = new Dictionary<string, string>();
        foreach (var row in rows)
        {
            var o = (Organization)FhirFormat.ParseJson(row);
            json[o.Id!] = row;
            var kind = o.Type.SelectMany(t => t.Coding).FirstOrDefault(c => c.System == KindSystem)?.Code ?? "provider";
            var parent = PatientFacts.OrganisationCode(o.PartOf);
            var endpoint = o.Endpoint.Select(e => e.Reference?.Split('/').Last()).OfType<string>().Where(endpoints.ContainsKey).Select(id => endpoints[id]).FirstOrDefault();
            map[o.Id!] = new Organisation(o.Id!, kind, o.Name ?? o.Id!, parent, endpoint);
        }
        byCode = map;
        jsonByCode = json;
    }
}
