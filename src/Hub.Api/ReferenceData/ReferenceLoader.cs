using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Hl7.Fhir.Model;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Fhir;
using Hub.Api.Search;
using Hub.Api.Storage;
using Microsoft.EntityFrameworkCore;

namespace Hub.Api.ReferenceData;

/// <summary>`Hub:ReferenceData`: where the reference data folder is.</summary>
public sealed class ReferenceDataOptions
{
    /// <summary>Folder holding organisations.csv and postcode-icb.csv; empty means the built-in demo set.</summary>
    public string? Path { get; set; }

    public static string BuiltIn => System.IO.Path.Combine(AppContext.BaseDirectory, "ReferenceData", "demo");
}

/// <summary>What a reference load changed.</summary>
public sealed record ReferenceLoadResult(int Organisations, int Created, int Updated, int Unchanged, int Postcodes);

/// <summary>
/// Loads organisations.csv and postcode-icb.csv (contract section 3) into Organization/Endpoint resources and the
/// postcode table, upserting: loading the same folder twice changes nothing.
/// </summary>
public sealed class ReferenceLoader(HubDb db, ResourceStore store, SearchIndexer indexer, OrganisationDirectory directory, TimeProvider clock)
{
    static readonly Caller Loader = new("carehub", OrgTypes.Admin, null, "direct-care", null, ["system/*.cruds"], "reference-load");
    static readonly HashSet<string> Kinds = ["la", "icb", "gp", "provider"];

    public async Task<ReferenceLoadResult> LoadAsync(string folder, CancellationToken ct = default)
    {
        var orgFile = System.IO.Path.Combine(folder, "organisations.csv");
        var postcodeFile = System.IO.Path.Combine(folder, "postcode-icb.csv");
        if (!File.Exists(orgFile)) throw new ReferenceDataException($"{orgFile}: file not found");
        var orgs = ReadOrganisations(orgFile);
        var postcodes = File.Exists(postcodeFile) ? ReadPostcodes(postcodeFile, orgs) : [];

        int created = 0, updated = 0, unchanged = 0;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var o in orgs)
        {
            foreach (var resource in ToResources(o))
            {
                var current = await store.ReadAsync(resource.TypeName, resource.Id!);
                if (current is not null && !current.Row.Deleted && SameContent(current.Row.Json, resource)) { unchanged++; continue; }
                var index = indexer.Extract(resource);
                var row = await store.StageWriteAsync(resource, current?.Row, current is null ? "POST" : "PUT", index, null);
                db.Audit.Add(AuditEvents.ToRow(new AuditRecord(Loader, current is null ? "create" : "update", AuditEvent.AuditEventOutcome.N0, null, [$"{row.Type}/{row.Id}"]), clock.GetUtcNow().UtcDateTime));
                if (current is null) created++; else updated++;
                await db.SaveChangesAsync(ct);
            }
        }
        var existing = await db.PostcodeIcbs.ToDictionaryAsync(p => p.Prefix, ct);
        foreach (var (prefix, icb) in postcodes)
        {
            if (existing.TryGetValue(prefix, out var row)) { if (row.Icb != icb) row.Icb = icb; }
            else db.PostcodeIcbs.Add(new PostcodeIcbRow { Prefix = prefix, Icb = icb });
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        await directory.RefreshAsync(db);
        return new ReferenceLoadResult(orgs.Count, created, updated, unchanged, postcodes.Count);
    }

    static bool SameContent(string storedJson, Resource candidate)
    {
        var stored = FhirFormat.ParseJson(storedJson);
        stored.Meta = null;
        var copy = (Resource)candidate.DeepCopy();
        copy.Meta = null;
        return stored.IsExactly(copy);
    }

    static IEnumerable<Resource> ToResources(Organisation o)
    {
        var org = new Organization
        {
            Id = o.Code,
            Active = true,
            Name = o.Name,
            Identifier = [new Identifier(o.Kind == "la" ? PatientFacts.LaNumberSystem : PatientFacts.OdsSystem, o.Code)],
            Type = [new CodeableConcept(OrganisationDirectory.KindSystem, o.Kind)],
        };
        if (o.ParentIcb is not null) org.PartOf = new ResourceReference($"Organization/{o.ParentIcb}");
        if (o.Endpoint is not null)
        {
            var endpointId = $"{o.Code}-notifications";
            org.Endpoint = [new ResourceReference($"Endpoint/{endpointId}")];
            yield return new Hl7.Fhir.Model.Endpoint
            {
                Id = endpointId,
                Status = Hl7.Fhir.Model.Endpoint.EndpointStatus.Active,
                ConnectionType = new Coding("http://terminology.hl7.org/CodeSystem/endpoint-connection-type", "hl7-fhir-rest"),
                Name = $"Placement notifications for {o.Name}",
                ManagingOrganization = new ResourceReference($"Organization/{o.Code}"),
                PayloadType = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/endpoint-payload-type", "any")],
                Address = o.Endpoint,
            };
        }
        yield return org;
    }

    static CsvConfiguration Csv => new(CultureInfo.InvariantCulture)
    {
        PrepareHeaderForMatch = a => a.Header.Trim().ToLowerInvariant(),
        TrimOptions = TrimOptions.Trim,
        MissingFieldFound = null,
        BadDataFound = null,
    };

    static List<Organisation> ReadOrganisations(string file)
    {
        using var reader = new StreamReader(file);
        using var csv = new CsvReader(reader, Csv);
        csv.Read(); csv.ReadHeader();
        foreach (var col in new[] { "code", "kind", "name", "parent_icb", "endpoint" })
            if (!csv.HeaderRecord!.Any(h => h.Trim().Equals(col, StringComparison.OrdinalIgnoreCase)))
                throw new ReferenceDataException($"{file}: missing column '{col}'");
        var list = new List<Organisation>();
        var row = 0;
        while (csv.Read())
        {
            row++;
            string Field(string name) => csv.GetField(name)?.Trim() ?? "";
            var code = Field("code"); var kind = Field("kind").ToLowerInvariant();
            if (code.Length == 0) throw new ReferenceDataException($"{file}:{row}:code: empty");
            if (!Kinds.Contains(kind)) throw new ReferenceDataException($"{file}:{row}:kind: '{kind}' is not la, icb, gp or provider");
            if (!global::System.Text.RegularExpressions.Regex.IsMatch(code, "^[A-Za-z0-9]{1,10}$")) throw new ReferenceDataException($"{file}:{row}:code: '{code}' is not an ODS code or LA number");
            var endpoint = Field("endpoint");
            if (endpoint.Length > 0 && !Uri.TryCreate(endpoint, UriKind.Absolute, out _)) throw new ReferenceDataException($"{file}:{row}:endpoint: '{endpoint}' is not an absolute URL");
            var parent = Field("parent_icb");
            list.Add(new Organisation(code, kind, Field("name") is { Length: > 0 } n ? n : code, parent.Length == 0 ? null : parent, endpoint.Length == 0 ? null : endpoint));
        }
        var codes = list.Select(o => o.Code).ToHashSet();
        var dup = list.GroupBy(o => o.Code).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ReferenceDataException($"{file}: code '{dup.Key}' appears more than once");
        foreach (var o in list.Where(o => o.ParentIcb is not null && !list.Any(p => p.Code == o.ParentIcb && p.Kind == "icb")))
            throw new ReferenceDataException($"{file}: {o.Code}'s parent_icb '{o.ParentIcb}' is not an icb in this file");
        return list;
    }

    static List<(string Prefix, string Icb)> ReadPostcodes(string file, List<Organisation> orgs)
    {
        using var reader = new StreamReader(file);
        using var csv = new CsvReader(reader, Csv);
        csv.Read(); csv.ReadHeader();
        var list = new List<(string, string)>();
        var row = 0;
        while (csv.Read())
        {
            row++;
            var prefix = (csv.GetField("postcode_prefix") ?? "").Trim().ToUpperInvariant();
            var icb = (csv.GetField("icb") ?? "").Trim();
            if (prefix.Length == 0 || icb.Length == 0) throw new ReferenceDataException($"{file}:{row}: postcode_prefix and icb are both needed");
            list.Add((prefix, icb));
        }
        return list;
    }
}

/// <summary>A reference data file that cannot be loaded; the message names the file, row and field.</summary>
public sealed class ReferenceDataException(string message) : Exception(message);
