using System.Text.Json;

namespace Hub.Api.Auth;

/// <summary>The <c>purpose_of_use</c> codes a token may carry, read from the CodeSystem in fhir-profiles/.</summary>
public static class PurposesOfUse
{
    public const string CodeSystemUrl = "https://fhir.carehub.org.uk/CodeSystem/purpose-of-use";

    /// <summary>What a token that names no purpose is taken to mean (the CodeSystem's definition of it says so).</summary>
    public const string Default = "direct-care";

    static readonly Lazy<IReadOnlySet<string>> Codes = new(Load);

    public static IReadOnlySet<string> All => Codes.Value;

    public static bool IsKnown(string? code) => code is not null && All.Contains(code);

    static IReadOnlySet<string> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "fhir-profiles", "CodeSystem-purpose-of-use.json");
        using var json = JsonDocument.Parse(File.ReadAllBytes(path));
        var codes = json.RootElement.GetProperty("concept").EnumerateArray()
            .Select(c => c.GetProperty("code").GetString()!)
            .ToHashSet(StringComparer.Ordinal);
        if (!codes.Contains(Default)) throw new InvalidOperationException($"{path} has no code '{Default}'");
        return codes;
    }
}
