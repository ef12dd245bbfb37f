using Hl7.Fhir.Model;
using Hub.Api.Episodes;
using Hub.Api.Storage;
using Hub.Mappers.Ssda903.Mapping;

namespace Hub.Tests.Episodes;

/// <summary>The pure step shared by the SSDA903 import and REST writes of EpisodeOfCare: episodes → status, Flags, facts, notice.</summary>
public sealed class ChildStandingTests
{
    const string La = "933", Home = "QSL", Away = "QE1";
    static readonly DateOnly Today = new(2026, 11, 26);
    static readonly ChildIds Child = new("C1", "p1", "9434765919");
    static readonly MappingContext Context = new(La, 2027, Home, prefix => prefix switch { "LA" => Away, "TA" => Home, _ => null });

    static EpisodeOfCare Episode(string id, string start, string? end = null, string? district = null, string? icb = null,
        EpisodeOfCare.EpisodeOfCareStatus? status = null, string la = La)
    {
        var e = new EpisodeOfCare
        {
            Id = id,
            Status = status ?? (end is null ? EpisodeOfCare.EpisodeOfCareStatus.Active : EpisodeOfCare.EpisodeOfCareStatus.Finished),
            Patient = new ResourceReference("Patient/p1"),
            ManagingOrganization = new ResourceReference($"Organization/{la}"),
            Period = new Period { Start = start, End = end },
        };
        if (district is not null) e.Extension.Add(new Extension(Cla.Extension("cla-placement-postcode-district"), new FhirString(district)));
        if (icb is not null) e.Extension.Add(new Extension(Cla.Extension("cla-placement-icb"), new ResourceReference($"Organization/{icb}")));
        return e;
    }

    static ChildStanding Of(params EpisodeOfCare[] episodes) =>
        ChildStanding.Of(Child, new DateOnly(2014, 2, 3), episodes, Context, "Somerset Council", code => $"name of {code}", Today, inCareLeaverReturn: false);

    static Flag FlagOf(ChildStanding s, string code) => s.Flags.Single(f => f.Code.Coding.Any(c => c.Code == code));

    [Fact]
    public void an_episode_placed_by_its_postcode_district_in_another_icb_is_placed_out_of_area_with_flags_facts_and_a_notice()
    {
        var s = Of(Episode("e1", "2025-06-01", "2026-01-10", district: "TA1"), Episode("e2", "2026-01-10T09:30:00Z", district: "LA1"));

        Assert.Equal((true, true, Away, new DateOnly(2025, 6, 1)), (s.Status.LookedAfter, s.Status.PlacedOutOfArea, s.Status.PlacementIcb, s.Status.LookedAfterSince));
        var notice = Assert.IsType<Hub.Api.Notifications.PlacementNotice>(s.Notice);
        // The import's key for the same placement: (LA, CHILD, start, host ICB), so either path notifies it once.
        Assert.Equal("933/C1/2026-01-10/QE1", notice.Key);
        Assert.Equal(("e2", "name of QE1", "9434765919"), (notice.EpisodeId, notice.HostIcbName, notice.NhsNumber));
        var placed = FlagOf(s, Cla.Flags.PlacedOutOfArea);
        Assert.Equal((Flag.FlagStatus.Active, "2026-01-10"), (placed.Status, placed.Period.Start));
        Assert.Equal((Cla.FlagIdSystem(La), "C1/placed-out-of-area"), (placed.Identifier[0].System, placed.Identifier[0].Value));
        Assert.Equal(Flag.FlagStatus.Active, FlagOf(s, Cla.Flags.LookedAfter).Status);

        var facts = new PatientFactsRow { PatientId = "p1", LastPlacementIcb = Home, LastPlacementEnded = new DateOnly(2020, 1, 1) };
        s.ApplyTo(facts, 2027);
        Assert.Equal((true, Away, (string?)null, (DateOnly?)null, false), (facts.LookedAfter, facts.PlacementIcb, facts.LastPlacementIcb, facts.LastPlacementEnded, facts.Sealed));
    }

    [Fact]
    public void the_placement_icb_comes_from_the_icb_extension_then_the_district_then_the_la()
    {
        Assert.Equal(Home, Of(Episode("e1", "2026-01-10", district: "LA1", icb: Home)).Status.PlacementIcb);
        Assert.Equal(Away, Of(Episode("e1", "2026-01-10", district: "la9")).Status.PlacementIcb);
        var unknownDistrict = Of(Episode("e1", "2026-01-10", district: "SW1A"));
        Assert.Equal((Home, false), (unknownDistrict.Status.PlacementIcb, unknownDistrict.Status.PlacedOutOfArea));
        Assert.Null(unknownDistrict.Notice);
        Assert.Equal(Home, Of(Episode("e1", "2026-01-10")).Status.PlacementIcb);
    }

    [Fact]
    public void an_ended_placement_leaves_the_host_icb_as_the_last_one_with_the_day_it_ended()
    {
        var s = Of(Episode("e1", "2025-06-01", "2026-11-16", district: "LA1"));
        Assert.Equal((false, false, (string?)null, Away, new DateOnly(2026, 11, 16)),
            (s.Status.LookedAfter, s.Status.PlacedOutOfArea, s.Status.PlacementIcb, s.Status.LastPlacementIcb, s.Status.LastPlacementEnded));
        Assert.Null(s.Notice);
        Assert.Equal((Flag.FlagStatus.Inactive, "2026-11-16"), (FlagOf(s, Cla.Flags.PlacedOutOfArea).Status, FlagOf(s, Cla.Flags.PlacedOutOfArea).Period.End));
    }

    [Fact]
    public void episodes_entered_in_error_planned_or_managed_by_someone_else_place_the_child_nowhere()
    {
        var s = Of(Episode("e1", "2025-06-01", district: "TA1"),
            Episode("e2", "2026-01-10", district: "LA1", status: EpisodeOfCare.EpisodeOfCareStatus.EnteredInError),
            Episode("e3", "2026-02-10", district: "LA1", status: EpisodeOfCare.EpisodeOfCareStatus.Planned),
            Episode("e4", "2026-03-10", district: "LA1", la: "RXN"));
        Assert.Equal((Home, false), (s.Status.PlacementIcb, s.Status.PlacedOutOfArea));
        Assert.Null(s.Notice);
    }

    [Fact]
    public void the_status_is_the_one_the_import_derives_from_the_same_episodes()
    {
        EpisodeOfCare[] episodes = [Episode("e1", "2019-02-01", "2023-06-15", icb: Home), Episode("e2", "2023-06-15", "2024-01-10", icb: Away)];
        var direct = CareStatus.Of(new DateOnly(2006, 5, 10), episodes.Select(ChildMapper.FactsOf).ToList(), Home, Today);
        var standing = ChildStanding.Of(Child, new DateOnly(2006, 5, 10), episodes, Context, "Somerset Council", c => c, Today, inCareLeaverReturn: false);
        Assert.Equal(direct, standing.Status);
        Assert.True(standing.Status.CareLeaver);
    }
}
