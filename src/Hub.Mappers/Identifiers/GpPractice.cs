namespace Hub.Mappers.Identifiers;

/// <summary>A GP practice by its ODS code: one letter and five digits (e.g. L85001), as NHS England issues them.</summary>
public static class GpPractice
{
    public const string OdsSystem = "https://fhir.nhs.uk/Id/ods-organization-code";

    /// <summary>The code upper-cased and trimmed, or null when it is not a GP practice's ODS code.</summary>
    public static string? Normalise(string? value)
    {
        var v = value?.Trim().ToUpperInvariant();
        return v is { Length: 6 } && char.IsAsciiLetterUpper(v[0]) && v[1..].All(char.IsAsciiDigit) ? v : null;
    }
}
