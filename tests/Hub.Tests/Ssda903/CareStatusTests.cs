using Hub.Mappers.Ssda903.Mapping;

namespace Hub.Tests.Ssda903;

/// <summary>The flags' definitions (contract section 4) as the pure status function applies them, case by case.</summary>
public sealed class CareStatusTests
{
    static readonly DateOnly Birth = new(2006, 5, 10), Today = new(2026, 11, 26);
    const string Home = "QSL", Away = "QE1";

    static EpisodeFacts Episode(string start, string? end, string ls = "C2", string? rec = null, string? icb = Home) =>
        new(DateOnly.Parse(start), end is null ? null : DateOnly.Parse(end), rec, ls, icb);

    [Fact]
    public void an_open_episode_is_looked_after_and_placed_out_of_area_when_its_icb_is_not_the_las()
    {
        var home = CareStatus.Of(new DateOnly(2015, 1, 1), [Episode("2022-03-01", null)], Home, Today);
        Assert.Equal((true, false, false, false), (home.LookedAfter, home.CareLeaver, home.PlacedOutOfArea, home.Adopted));
        var away = CareStatus.Of(new DateOnly(2015, 1, 1), [Episode("2021-06-10", "2025-01-15", icb: Home), Episode("2025-01-15", null, icb: Away)], Home, Today);
        Assert.Equal((true, true, Away), (away.LookedAfter, away.PlacedOutOfArea, away.PlacementIcb));
        Assert.Equal(new DateOnly(2021, 6, 10), away.LookedAfterSince);
    }

    [Fact]
    public void care_ceased_at_17_after_years_in_care_makes_a_care_leaver_until_the_25th_birthday()
    {
        var s = CareStatus.Of(Birth, [Episode("2019-02-01", "2023-06-15", rec: "E17")], Home, Today);
        Assert.Equal((false, true, new DateOnly(2031, 5, 10)), (s.LookedAfter, s.CareLeaver, s.EligibleUntil));
        Assert.False(CareStatus.Of(Birth, [Episode("2019-02-01", "2023-06-15", rec: "E17")], Home, new DateOnly(2031, 5, 10)).CareLeaver);
    }

    [Theory]
    [InlineData("2020-01-01", "2021-05-01", "C2")] // ceased at 14: before 16
    [InlineData("2022-09-01", "2022-10-01", "C2")] // ceased at 16 after 30 days: not 13 weeks
    [InlineData("2020-01-01", "2023-06-15", "V3")] // short breaks only
    public void care_ending_too_early_too_briefly_or_in_short_breaks_is_not_care_leaving(string start, string end, string ls)
    {
        Assert.False(CareStatus.Of(Birth, [Episode(start, end, ls)], Home, Today).CareLeaver);
    }

    [Fact]
    public void an_oc3_row_alone_makes_a_care_leaver_of_one_who_left_before_the_held_episodes()
    {
        var s = CareStatus.Of(Birth, [], Home, Today, inCareLeaverReturn: true);
        Assert.Equal((true, new DateOnly(2031, 5, 10), false), (s.CareLeaver, s.EligibleUntil, s.LookedAfter));
        Assert.False(CareStatus.Of(Birth, [], Home, Today).CareLeaver);
        Assert.False(CareStatus.Of(new DateOnly(2000, 1, 1), [], Home, Today, inCareLeaverReturn: true).CareLeaver); // 26: past the 25th birthday
        Assert.False(CareStatus.Of(Birth, [Episode("2024-01-01", null)], Home, Today, inCareLeaverReturn: true).CareLeaver); // back in care
    }

    [Fact]
    public void adoption_seals_and_clears_every_flag()
    {
        var s = CareStatus.Of(new DateOnly(2020, 2, 2), [Episode("2020-05-01", "2023-07-20", "E1", rec: "E11")], Home, Today, inCareLeaverReturn: true);
        Assert.Equal((true, false, false, false), (s.Adopted, s.LookedAfter, s.CareLeaver, s.PlacedOutOfArea));
    }

    [Fact]
    public void a_care_leaver_known_only_by_oc3_gets_the_same_flag_whichever_day_the_return_is_imported()
    {
        var ctx = new MappingContext("933", 2026, Home, _ => Home);
        string Flag(DateOnly today) => Hub.Api.Fhir.FhirFormat.SerializeToString(
            ChildMapper.Flags("C1", "p1", CareStatus.Of(Birth, [], Home, today, inCareLeaverReturn: true), ctx, today).Single(f => f.Code.Coding[0].Code == "care-leaver"));
        Assert.Equal(Flag(new DateOnly(2026, 11, 26)), Flag(new DateOnly(2027, 2, 3)));
        Assert.Contains("\"start\":\"2025-04-01\"", Flag(Today));
    }
}
