using Hl7.Fhir.Model;
using Hub.Api.Conformance;
using Hub.Api.Search;

namespace Hub.Api.Fhir;

/// <summary>The CapabilityStatement, generated from what the hub really supports: its search parameters, profiles and operations.</summary>
public sealed class Capabilities(SearchParameters parameters, ProfileValidator validator)
{
    /// <summary>Operations the hub serves, by resource type (null: system level); later capabilities add theirs here.</summary>
    public static readonly List<(string? Type, string Name, string Definition)> Operations =
    [
        (null, "validate", "http://hl7.org/fhir/OperationDefinition/Resource-validate"),
        // The CLA health summary document (contract §6); IPS's Patient-summary is the operation it follows.
        ("Patient", "summary", "http://hl7.org/fhir/uv/ips/OperationDefinition/summary"),
        // GP practices asking which of their patients are care leavers (contract §7).
        ("Patient", "identify-care-leavers", "https://fhir.carehub.org.uk/OperationDefinition/identify-care-leavers"),
        // The young person's health passport, HTML or PDF (contract §8).
        ("Patient", "health-passport", "https://fhir.carehub.org.uk/OperationDefinition/health-passport"),
        // The statutory health KPIs as MeasureReports (contract §8).
        ("Measure", "evaluate-measure", "http://hl7.org/fhir/OperationDefinition/Measure-evaluate-measure"),
    ];

    static readonly CapabilityStatement.TypeRestfulInteraction[] Interactions =
    [
        CapabilityStatement.TypeRestfulInteraction.Read, CapabilityStatement.TypeRestfulInteraction.Vread,
        CapabilityStatement.TypeRestfulInteraction.Update, CapabilityStatement.TypeRestfulInteraction.Delete,
        CapabilityStatement.TypeRestfulInteraction.HistoryInstance, CapabilityStatement.TypeRestfulInteraction.Create,
        CapabilityStatement.TypeRestfulInteraction.SearchType,
    ];

    public CapabilityStatement Statement(string baseUrl)
    {
        var rest = new CapabilityStatement.RestComponent
        {
            Mode = CapabilityStatement.RestfulCapabilityMode.Server,
            Security = new CapabilityStatement.SecurityComponent
            {
                Service = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR")],
                Description = "Bearer tokens from POST /auth/token (SMART Backend Services, private_key_jwt with RS384 or ES384). Every call except this one needs one.",
            },
            Interaction =
            [
                new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Transaction },
                new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Batch },
            ],
        };
        var oauth = new Extension { Url = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris" };
        oauth.Extension.Add(new Extension("token", new FhirUri(baseUrl[..^"/fhir".Length] + "/auth/token")));
        rest.Security.Extension.Add(oauth);
        foreach (var type in parameters.Types.Append("AuditEvent").Distinct().OrderBy(t => t, StringComparer.Ordinal))
        {
            var r = new CapabilityStatement.ResourceComponent
            {
                Type = type,
                Versioning = CapabilityStatement.ResourceVersionPolicy.VersionedUpdate,
                ReadHistory = true,
                UpdateCreate = true,
                ConditionalCreate = true,
                ConditionalUpdate = true,
                ConditionalDelete = CapabilityStatement.ConditionalDeleteStatus.NotSupported,
                Interaction = (type == "AuditEvent" ? Interactions.Where(i => i is CapabilityStatement.TypeRestfulInteraction.Read or CapabilityStatement.TypeRestfulInteraction.SearchType) : Interactions)
                    .Select(i => new CapabilityStatement.ResourceInteractionComponent { Code = i }).ToList(),
            };
            if (validator.ProfileFor.TryGetValue(type, out var profile)) r.Profile = profile;
            foreach (var p in parameters.For(type).OrderBy(p => p.Code, StringComparer.Ordinal))
                r.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = p.Code, Type = p.Type, Definition = p.Url });
            foreach (var op in Operations.Where(o => o.Type == type || o.Type is null))
                r.Operation.Add(new CapabilityStatement.OperationComponent { Name = op.Name, Definition = op.Definition });
            if (parameters.For(type).Any(p => p.Type == SearchParamType.Reference))
                r.SearchInclude = parameters.For(type).Where(p => p.Type == SearchParamType.Reference).Select(p => $"{type}:{p.Code}").ToList();
            rest.Resource.Add(r);
        }
        // Types served only for reading and their operations (the KPI Measures): not indexed, not writable.
        foreach (var type in Operations.Select(o => o.Type).OfType<string>().Distinct().Where(t => rest.Resource.All(r => r.Type != t)).Order(StringComparer.Ordinal))
            rest.Resource.Add(new CapabilityStatement.ResourceComponent
            {
                Type = type,
                Interaction = [new() { Code = CapabilityStatement.TypeRestfulInteraction.Read }, new() { Code = CapabilityStatement.TypeRestfulInteraction.SearchType }],
                Operation = [.. Operations.Where(o => o.Type == type).Select(o => new CapabilityStatement.OperationComponent { Name = o.Name, Definition = o.Definition })],
            });
        return new CapabilityStatement
        {
            Url = baseUrl + "/metadata",
            Name = "CareHub",
            Title = "CareHub: health records of children looked after, across ICB boundaries",
            Status = PublicationStatus.Active,
            Date = "2026-11-26",
            Publisher = "CareHub",
            Kind = CapabilityStatementKind.Instance,
            Software = new CapabilityStatement.SoftwareComponent { Name = "CareHub", Version = typeof(Capabilities).Assembly.GetName().Version?.ToString() },
            Implementation = new CapabilityStatement.ImplementationComponent { Description = "CareHub FHIR R4 gateway", Url = baseUrl },
            FhirVersion = FHIRVersion.N4_0_1,
            Format = ["application/fhir+json", "application/fhir+xml"],
            Rest = [rest],
        };
    }
}
