using Hub.Api.ReferenceData;

namespace Hub.Tests.Infrastructure;

/// <summary>Reference data folders for tests: the built-in one with an ICB's notification endpoint pointed somewhere.</summary>
public static class TestReferenceData
{
    /// <summary>A copy of the built-in reference data in which <paramref name="icb"/>'s notifications go to <paramref name="endpoint"/>.</summary>
    public static string WithEndpoint(string icb, string endpoint)
    {
        var folder = Directory.CreateTempSubdirectory("carehub-ref-").FullName;
        var lines = File.ReadAllLines(Path.Combine(ReferenceDataOptions.BuiltIn, "organisations.csv"))
            .Select(l => l.StartsWith(icb + ",", StringComparison.Ordinal) ? l.TrimEnd(',') + ",," + endpoint : l);
        File.WriteAllLines(Path.Combine(folder, "organisations.csv"), lines);
        File.Copy(Path.Combine(ReferenceDataOptions.BuiltIn, "postcode-icb.csv"), Path.Combine(folder, "postcode-icb.csv"));
        return folder;
    }
}
