using Hub.Api.ReferenceData;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Generation;

namespace Hub.Api.Demo;

/// <summary>One of the demo's local authorities and the size and seed of its generated return.</summary>
public sealed record DemoLa(string La, string Name, string Icb, int Children, int Seed);

/// <summary>
/// The demo's data (decisions.md "The demo and the generator"): for each of two LAs in two ICBs, a small SSDA903 return
/// from the generator, whose first children are its fixed scenarios (placed out of area, care leaver aged 19, adopted),
/// and the provider records of the CLA health teams of the built-in reference data. Fixed seeds: the same every start.
/// </summary>
public static class DemoReturns
{
    public static readonly IReadOnlyList<DemoLa> Las =
    [
        new("933", "Somerset", "QSL", Children: 30, Seed: 933),
        new("888", "Lancashire", "QE1", Children: 20, Seed: 888),
    ];

    /// <summary>
    /// The latest complete collection year on a day: the year in progress would hold episodes dated after today, so from
    /// 1 April the return of the year just ended (2025/26 on 26 November 2026), within the years the hub accepts.
    /// </summary>
    public static int YearOn(DateOnly today) => Math.Min(Ssda903Tables.LatestYear, today.Month >= 4 ? today.Year : today.Year - 1);

    /// <summary>The LA's demo return, its postcode areas and health teams taken from the built-in reference data.</summary>
    public static GeneratedReturn Generate(DemoLa la, int year, CodeLists codes)
    {
        var areas = GenerationAreas.For(ReferenceDataOptions.BuiltIn, la.La);
        return ReturnGenerator.Generate(la.La, year, la.Children, la.Seed, codes, areas.Home, areas.Away, areas.HealthTeams, areas.Practices);
    }
}
