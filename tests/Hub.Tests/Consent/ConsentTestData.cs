using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hub.Consent.Policy;
using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;
using FhirConsent = Hl7.Fhir.Model.Consent;

namespace Hub.Tests.Consent;

/// <summary>Where the consent test data lives, and how the readable case files become engine inputs.</summary>
static class ConsentTestData
{
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string Folder => Path.Combine(RepoRoot, "tests", "Hub.Tests", "Consent");
    public static string CasesFile => Path.Combine(Folder, "Cases", "decision-cases.json");
    public static string ShippedPolicyFile => Path.Combine(RepoRoot, "src", "Hub.Consent", "Policy", "policy.v1.json");
    public static ConsentPolicy Policy => ConsentPolicy.Shipped;
    public static readonly JsonSerializerOptions Fhir = new JsonSerializerOptions().ForFhir();
    public static readonly JsonSerializerOptions FhirPretty = new JsonSerializerOptions { WriteIndented = true }.ForFhir();
    public static bool UpdateGolden => Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1";

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CareHub.sln"))) return dir.FullName;
        throw new InvalidOperationException("CareHub.sln not found above " + AppContext.BaseDirectory);
    }

    public static AccessRequest Caller(JsonNode caller, string purpose, string? reason = null, IEnumerable<string>? relevant = null) =>
        new((string)caller["org"]!, (string)caller["orgType"]!, (string?)caller["role"], purpose, (string?)caller["nhsNumber"], (string?)caller["parentIcb"])
        {
            AccessReason = reason,
            RelevantLabels = (relevant ?? []).ToHashSet(StringComparer.Ordinal),
        };

    /// <summary>The default child of the case file with the case's overrides laid on top.</summary>
    public static SubjectFacts Child(JsonObject defaults, JsonObject? overrides)
    {
        var c = (JsonObject)defaults.DeepClone();
        foreach (var (k, v) in overrides ?? []) c[k] = v?.DeepClone();
        DateOnly? Date(string k) => c[k] is { } v ? DateOnly.Parse((string)v!) : null;
        bool Flag(string k) => c[k] is { } v && (bool)v;
        return new SubjectFacts((string)c["patientId"]!, (string?)c["nhsNumber"], (string?)c["managingLa"], (string?)c["responsibleIcb"],
            (string?)c["registeredGp"], c["hostIcbs"]?.AsArray().Select(h => (string)h!).ToList() ?? [], Flag("sealed"))
        {
            BirthDate = Date("birthDate"),
            LegalStatus = c["legalStatus"] is { } ls ? Enum.Parse<LegalStatus>((string)ls!) : LegalStatus.None,
            LookedAfter = Flag("lookedAfter"),
            LookedAfterUntil = Date("lookedAfterUntil"),
            CareLeaver = Flag("careLeaver"),
            PersonalAdviserRequested = Flag("personalAdviserRequested"),
            SensitiveLocation = Flag("sensitiveLocation"),
            LookedUpByInvalidatedNumber = Flag("lookedUpByInvalidatedNumber"),
            HealthAssessmentRefused = Flag("healthAssessmentRefused"),
            ParentalResponsibilityLimited = Flag("parentalResponsibilityLimited"),
            Competence = c["competence"]?.AsArray().Select(x => new CompetenceAssessment((string)x!["category"]!,
                Enum.Parse<Competence>((string)x["outcome"]!), DateOnly.Parse((string)x["on"]!))).ToList() ?? [],
            ResponsiblePersons = c["responsiblePersons"]?.AsArray().Select(x => new ResponsiblePerson((string)x!["reference"]!,
                Enum.Parse<ConsentAuthority>((string)x["authority"]!))).ToList() ?? [],
        };
    }

    /// <summary>A CLAConsent from a profile example file, or from the compact form the case file uses.</summary>
    public static FhirConsent Consent(JsonNode spec, string patientId)
    {
        if (spec["file"] is { } file)
            return JsonSerializer.Deserialize<FhirConsent>(File.ReadAllText(Path.Combine(RepoRoot, (string)file!)), Fhir)!;
        var root = Provision(spec);
        if (spec["period"] is { } p) root.Period = new Period { Start = (string?)p["start"], End = (string?)p["end"] };
        return new FhirConsent
        {
            Id = (string)spec["id"]!,
            Status = spec["status"] is { } s ? Enum.Parse<FhirConsent.ConsentState>((string)s!, ignoreCase: true) : FhirConsent.ConsentState.Active,
            Scope = new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy"),
            Category = [new CodeableConcept("http://loinc.org", "59284-0")],
            Patient = new ResourceReference("Patient/" + patientId),
            DateTime = (string)spec["dateTime"]!,
            Performer = [new ResourceReference((string)spec["performer"]!)],
            Provision = root,
        };
    }

    static FhirConsent.provisionComponent Provision(JsonNode spec)
    {
        var p = new FhirConsent.provisionComponent
        {
            Type = spec["type"] is { } t ? ((string)t!) == "permit" ? FhirConsent.ConsentProvisionType.Permit : FhirConsent.ConsentProvisionType.Deny : null,
            Purpose = spec["purpose"]?.AsArray().Select(x => new Coding(LabelSystems.PurposeOfUse, (string)x!)).ToList() ?? [],
            Actor = spec["actor"]?.AsArray().Select(x => new FhirConsent.provisionActorComponent
            {
                Role = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"),
                Reference = new ResourceReference("Organization/" + (string)x!),
            }).ToList() ?? [],
            SecurityLabel = spec["labels"]?.AsArray().Select(x => new Coding(Policy.LabelSystems[(string)x!], (string)x!)).ToList() ?? [],
        };
        p.Provision = spec["provisions"]?.AsArray().Select(n => Provision(n!)).ToList() ?? [];
        return p;
    }
}
