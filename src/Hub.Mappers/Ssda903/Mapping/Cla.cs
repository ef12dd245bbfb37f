namespace Hub.Mappers.Ssda903.Mapping;

/// <summary>The canonical URLs of the CLA profiles, extensions, code systems and identifier systems (fhir-profiles/).</summary>
public static class Cla
{
    public const string Base = "https://fhir.carehub.org.uk";
    public const string Profile = Base + "/StructureDefinition/";
    public const string CodeSystem = Base + "/CodeSystem/";

    public static string Ssda903(string field) => CodeSystem + "ssda903-" + field;
    public static string Extension(string id) => Profile + id;

    public const string FlagSystem = CodeSystem + "cla-flag";
    public const string HealthSystem = CodeSystem + "cla-health";
    public const string CareLeaverSystem = CodeSystem + "cla-care-leaver";
    public const string LocationMethodSystem = CodeSystem + "placement-location-method";
    public const string Snomed = "http://snomed.info/sct";
    /// <summary>SNOMED CT "Looked after child" (confirmed in reference/fhir-uk.md).</summary>
    public const string SnomedLookedAfterChild = "764841000000100";

    public const string ChildIdSystemPrefix = Base + "/Id/la-child-id/";
    public static string ChildIdSystem(string la) => ChildIdSystemPrefix + la;
    public static string EpisodeIdSystem(string la) => $"{Base}/Id/la-episode/{la}";
    public static string ObservationIdSystem(string la) => $"{Base}/Id/la-observation/{la}";
    public static string FlagIdSystem(string la) => $"{Base}/Id/la-flag/{la}";
    public const string UpnSystem = Base + "/Id/upn";
    public const string LaNumberSystem = Base + "/Id/dfe-la-number";

    /// <summary>The record of an NHS provider's system, by the provider's ODS code: the identifiers of its Encounters, Immunizations …</summary>
    public static string ProviderRecordIdSystem(string ods) => $"{Base}/Id/provider-record/{ods}";

    /// <summary>The statutory health assessments (cla-health codes of the CLAHealthAssessment type slice), with their displays.</summary>
    public static class Assessments
    {
        public const string Initial = "initial-health-assessment", Review = "review-health-assessment";
        public const string InitialDisplay = "Initial health assessment", ReviewDisplay = "Review health assessment";
    }

    public static class Flags
    {
        public const string LookedAfter = "looked-after", CareLeaver = "care-leaver", PlacedOutOfArea = "placed-out-of-area";
    }
}
