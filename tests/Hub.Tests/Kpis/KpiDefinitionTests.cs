using Hub.Mappers.Kpis;

namespace Hub.Tests.Kpis;

/// <summary>
/// The KPI definitions as tables, each count worked out by hand from the Measure descriptions: working days over the
/// shipped bank holidays, the RHA interval at the 5th birthday, the OC2 cohort's edges, dated records against OC2 flags.
/// </summary>
public sealed class KpiDefinitionTests
{
    static DateOnly D(string iso) => DateOnly.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);
    static readonly BankHolidays Holidays = BankHolidays.EnglandAndWales;
    const string Icb = "QSL", Elsewhere = "QE1";

    static CareEpisode Episode(string start, string? end = null, string ls = "C2", string rne = "S", string? icb = Icb) =>
        new(D(start), end is null ? null : D(end), ls, rne, icb);

    static KpiChild Child(string birth, CareEpisode[] episodes, Oc2Items[]? oc2 = null, DatedAssessment[]? assessments = null) =>
        new(Guid.NewGuid().ToString("N"), D(birth), Icb, episodes, oc2 ?? [], assessments ?? []);

    static MeasurementPeriod Year2025 => new(D("2025-04-01"), D("2026-03-31"), D("2026-11-26"));

    [Theory]
    [InlineData("2025-06-02", "2025-06-30")] // no bank holiday: 20 weekdays on
    [InlineData("2025-04-17", "2025-05-20")] // Good Friday, Easter Monday and the early May bank holiday skipped (15 May without them)
    [InlineData("2025-12-15", "2026-01-15")] // Christmas Day, Boxing Day and New Year's Day skipped
    [InlineData("2025-06-07", "2025-07-04")] // a Saturday: Monday is working day 1
    [InlineData("2022-09-12", "2022-10-11")] // the State Funeral of Queen Elizabeth II, a one-off bank holiday
    public void the_iha_falls_due_on_the_20th_working_day_after_coming_into_care(string cameIntoCare, string due) =>
        Assert.Equal(D(due), Holidays.AddWorkingDays(D(cameIntoCare), Measures.IhaWorkingDays));

    [Fact]
    public void the_shipped_bank_holidays_cover_2015_to_2027_on_weekdays_with_good_friday_and_easter_monday_each_year()
    {
        Assert.Equal(D("2015-01-01"), Holidays.First);
        Assert.Equal(D("2027-12-31"), Holidays.Last);
        Assert.All(Holidays.Days, d => Assert.InRange(d.DayOfWeek, DayOfWeek.Monday, DayOfWeek.Friday));
        for (var year = 2015; year <= 2027; year++)
        {
            var easter = EasterSunday(year);
            Assert.Contains(easter.AddDays(-2), Holidays.Days);
            Assert.Contains(easter.AddDays(1), Holidays.Days);
            var expected = year switch { 2022 => 10, 2023 => 9, _ => 8 }; // Jubilee and State Funeral; Coronation
            Assert.Equal(expected, Holidays.Days.Count(d => d.Year == year));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Holidays.IsWorkingDay(D("2028-01-04")));
    }

    /// <summary>The Gregorian computus (anonymous algorithm), independent of the list.</summary>
    static DateOnly EasterSunday(int y)
    {
        int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3,
            h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451;
        return new DateOnly(y, (h + l - 7 * m + 114) / 31, (h + l - 7 * m + 114) % 31 + 1);
    }

    [Theory]
    [InlineData("2020-06-10", "2025-06-09", "2025-12-09")] // the day before the 5th birthday: still 6 months
    [InlineData("2020-06-10", "2025-06-10", "2026-06-10")] // on the 5th birthday: 12 months
    [InlineData("2020-06-10", "2025-01-15", "2025-07-15")] // aged 4: 6 months, though due after the birthday
    [InlineData("2010-01-01", "2025-01-15", "2026-01-15")]
    public void a_review_falls_due_six_months_on_under_five_and_twelve_from_five(string birth, string assessed, string due) =>
        Assert.Equal(D(due), MeasureCalculator.NextReview(D(birth), D(assessed)));

    [Fact]
    public void a_missed_review_stays_due_and_a_late_one_restarts_the_clock()
    {
        // Aged 10: IHA 2024-01-10 → due 2025-01-10 missed; RHA late 2025-03-01 → due 2026-03-01 kept on 2026-02-20.
        var dues = MeasureCalculator.ReviewsDue(D("2014-01-01"), [D("2024-01-10"), D("2025-03-01"), D("2026-02-20")], D("2026-12-31")).ToList();
        Assert.Equal([(D("2025-01-10"), false), (D("2026-03-01"), true)], dues);
        // Nothing after the IHA: due 2025-01-10 missed, then 2026-01-10 missed again.
        var none = MeasureCalculator.ReviewsDue(D("2014-01-01"), [D("2024-01-10")], D("2026-06-30")).ToList();
        Assert.Equal([(D("2025-01-10"), false), (D("2026-01-10"), false)], none);
    }

    [Fact]
    public void a_review_on_the_day_the_next_falls_due_after_a_missed_one_keeps_that_day()
    {
        // Aged 10: IHA 2024-01-10 → due 2025-01-10 missed → next due 2026-01-10, and the RHA is done that very day.
        var dues = MeasureCalculator.ReviewsDue(D("2014-01-01"), [D("2024-01-10"), D("2026-01-10")], D("2026-12-31")).ToList();
        Assert.Equal([(D("2025-01-10"), false), (D("2026-01-10"), true)], dues);
        // So in 2025/26 the child had a review due, and kept it.
        var child = Child("2014-01-01", [Episode("2023-01-01")], assessments: [new(AssessmentKind.Initial, D("2024-01-10")), new(AssessmentKind.Review, D("2026-01-10"))]);
        Assert.Equal(new Tally(1, 1, 1), MeasureCalculator.Count(Measures.ReviewHealthAssessment, [child], Year2025, Holidays)[Stratum.All]);
    }

    [Fact]
    public void a_child_back_in_care_has_reviews_run_from_the_new_periods_assessment_not_an_earlier_one()
    {
        // Aged 10: RHA 2024-05-01, left care 2024-08-01, back 2025-04-15 (RNE S), IHA 2025-05-10. The old clock would
        // make a review due 2025-05-01 (missed, two weeks into the new period); the new one is due 2026-05-10, after the year.
        var back = Child("2015-01-01", [Episode("2023-01-01", "2024-08-01"), Episode("2025-04-15")],
            assessments: [new(AssessmentKind.Review, D("2024-05-01")), new(AssessmentKind.Initial, D("2025-05-10"))]);
        Assert.Equal(new Tally(1, 0, 0), MeasureCalculator.Count(Measures.ReviewHealthAssessment, [back], Year2025, Holidays)[Stratum.All]);
        // In care throughout, but the hub's returns begin with a placement move (RNE P): the earlier review still counts.
        var held = Child("2015-01-01", [Episode("2024-09-01", rne: "P")],
            assessments: [new(AssessmentKind.Review, D("2024-05-01")), new(AssessmentKind.Review, D("2025-04-20"))]);
        Assert.Equal(new Tally(1, 1, 1), MeasureCalculator.Count(Measures.ReviewHealthAssessment, [held], Year2025, Holidays)[Stratum.All]);
    }

    [Theory]
    [InlineData("2024-04-01", null, true)]            // began 1 April the year before: 12 months at 31 March
    [InlineData("2024-04-02", null, false)]           // a day short
    [InlineData("2024-03-31", "2025-03-31", false)]   // ceased on the 31 March: not looked after that day
    [InlineData("2024-03-31", "2025-04-01", true)]    // ceased the day after
    public void oc2_cohort_edges(string start, string? ceased, bool inCohort) =>
        Assert.Equal(inCohort, new CareHistory([Episode(start, ceased)]).InOc2Cohort(D("2025-03-31")));

    [Fact]
    public void contiguous_episodes_make_one_period_of_care_and_short_breaks_neither_count_nor_join()
    {
        var march = D("2026-03-31");
        // A placement move (new episode on the day the last ceased) keeps the care continuous.
        Assert.True(new CareHistory([Episode("2024-06-01", "2025-09-01"), Episode("2025-09-01", rne: "P", icb: Elsewhere)]).InOc2Cohort(march));
        // A one-day gap starts a new period of care.
        Assert.False(new CareHistory([Episode("2024-06-01", "2025-09-01"), Episode("2025-09-02")]).InOc2Cohort(march));
        // Short breaks alone are not care; nor do they bridge a gap.
        Assert.False(new CareHistory([Episode("2024-01-01", ls: "V3")]).InOc2Cohort(march));
        Assert.False(new CareHistory([Episode("2024-01-01", "2025-06-01"), Episode("2025-06-01", "2025-06-03", ls: "V4", rne: "S"), Episode("2025-06-03", rne: "S")]).InOc2Cohort(march));
    }

    [Fact]
    public void iha_counts_children_still_in_care_on_the_due_day_and_an_iha_from_the_first_day_in_care_to_it()
    {
        var period = Year2025;
        KpiChild Entered(string start, string? ceased = null, string? iha = null, string? icb = Icb) =>
            Child("2015-01-01", [Episode(start, ceased, icb: icb)], assessments: iha is null ? [] : [new(AssessmentKind.Initial, D(iha))]);
        var children = new[]
        {
            Entered("2025-06-02", iha: "2025-06-30"),                  // on the due day: met
            Entered("2025-06-02", iha: "2025-07-01"),                  // a day late
            Entered("2025-06-02", iha: "2025-06-01"),                  // before care began: not this child's IHA
            Entered("2025-06-02", ceased: "2025-06-20", iha: "2025-06-10"), // left before the due day: not in the denominator
            Entered("2025-06-02", icb: Elsewhere, iha: "2025-06-20"),  // out of area, met
            Entered("2025-03-01", iha: "2025-03-20"),                  // due 2025-03-28, before the period
            Entered("2026-03-10"),                                     // due 2026-04-08, after the period
        };
        var counts = MeasureCalculator.Count(Measures.InitialHealthAssessment, children, period, Holidays);
        Assert.Equal(new Tally(7, 4, 2), counts[Stratum.All]);
        Assert.Equal(new Tally(6, 3, 1), counts[Stratum.InArea]);
        Assert.Equal(new Tally(1, 1, 1), counts[Stratum.OutOfArea]);
    }

    [Fact]
    public void a_later_episode_of_the_same_period_of_care_is_no_new_iha()
    {
        var child = Child("2015-01-01", [Episode("2025-01-06", "2025-05-01"), Episode("2025-05-01", rne: "P")]);
        var counts = MeasureCalculator.Count(Measures.InitialHealthAssessment, [child], Year2025, Holidays);
        Assert.Equal(new Tally(1, 0, 0), counts[Stratum.All]);
    }

    [Fact]
    public void dated_assessments_win_over_the_oc2_flag_and_the_flag_stands_in_without_them()
    {
        var march = D("2026-03-31");
        var inCare = new[] { Episode("2023-01-01") };
        var flagYes = new[] { new Oc2Items(march, true, true, true, null) };
        var children = new[]
        {
            // Aged 10: RHA 2025-02-01 → due 2026-02-01, kept on 2026-01-20: met (the OC2 flag would say no).
            Child("2015-06-01", inCare, [new(march, false, true, false, null)], [new(AssessmentKind.Review, D("2025-02-01")), new(AssessmentKind.Review, D("2026-01-20"))]),
            // Dated RHA 2024-12-01 → due 2025-12-01 missed: not met, though the flag says yes.
            Child("2015-06-01", inCare, flagYes, [new(AssessmentKind.Review, D("2024-12-01"))]),
            // No dated assessment: the flag says yes.
            Child("2015-06-01", inCare, flagYes),
            // No dated assessment, no OC2 row: in the cohort, not met.
            Child("2015-06-01", inCare),
        };
        Assert.Equal(new Tally(4, 4, 2), MeasureCalculator.Count(Measures.ReviewHealthAssessment, children, Year2025, Holidays)[Stratum.All]);

        // Dental: a check dated in the 12 months to 31 March beats a 0; an older dated check beats a 1.
        var dental = new[]
        {
            Child("2015-06-01", inCare, [new(march, null, null, false, null)], [new(AssessmentKind.Dental, D("2025-04-01"))]),
            Child("2015-06-01", inCare, flagYes, [new(AssessmentKind.Dental, D("2025-03-31"))]),
            Child("2015-06-01", inCare, flagYes),
        };
        Assert.Equal(new Tally(3, 3, 2), MeasureCalculator.Count(Measures.DentalCheck, dental, Year2025, Holidays)[Stratum.All]);
    }

    [Fact]
    public void sdq_counts_the_cohort_aged_4_to_16_at_31_march_with_average_and_concern()
    {
        var march = D("2026-03-31");
        var inCare = new[] { Episode("2023-01-01") };
        Oc2Items[] Score(int? s) => [new(march, true, true, true, s)];
        var children = new[]
        {
            Child("2022-03-31", inCare, Score(10)),  // 4 on 31 March 2026: in
            Child("2022-04-01", inCare, Score(12)),  // 3: out
            Child("2009-04-01", inCare, Score(20)),  // 16: in, of concern
            Child("2009-03-31", inCare, Score(30)),  // 17: out
            Child("2012-01-01", inCare, Score(17)),  // in, 17 is of concern
            Child("2012-01-01", inCare, Score(null)), // in, no score
        };
        var counts = MeasureCalculator.Count(Measures.Sdq, children, Year2025, Holidays)[Stratum.All];
        Assert.Equal(new Tally(6, 4, 3, 10 + 20 + 17, 2), counts);
    }

    [Fact]
    public void sealed_children_never_reach_the_calculator_and_children_not_in_care_in_the_period_are_not_counted()
    {
        var left = Child("2015-01-01", [Episode("2020-01-01", "2025-03-31")]);
        Assert.Equal(Tally.Zero, MeasureCalculator.Count(Measures.Immunisations, [left], Year2025, Holidays)[Stratum.All]);
    }

    static MeasureCounts Counts(Tally all, Tally inArea, Tally outOfArea) =>
        new("dental-check", new Dictionary<Stratum, Tally> { [Stratum.All] = all, [Stratum.InArea] = inArea, [Stratum.OutOfArea] = outOfArea });

    [Fact]
    public void small_counts_are_suppressed_and_so_is_the_other_stratum_that_would_give_them_away()
    {
        var p = Suppression.Apply(Counts(new(50, 40, 30), new(47, 37, 28), new(3, 3, 2)));
        Assert.Equal(new PublishedTally(50, 40, 30, 0), p[Stratum.All]);
        Assert.Equal(new PublishedTally(null, null, null, null), p[Stratum.InArea]);   // 47 = 50 − 3: hidden
        Assert.Equal(new PublishedTally(null, null, null, null), p[Stratum.OutOfArea]);
        Assert.Equal(0.75m, p[Stratum.All].Score);
        Assert.Null(p.Gap);
    }

    [Fact]
    public void a_small_numerator_hides_the_other_strata_numerator_and_both_scores_but_not_the_denominators()
    {
        var p = Suppression.Apply(Counts(new(60, 40, 25), new(30, 20, 22), new(30, 20, 3)));
        Assert.Equal(new PublishedTally(30, 20, null, null), p[Stratum.InArea]);
        Assert.Equal(new PublishedTally(30, 20, null, null), p[Stratum.OutOfArea]);
        Assert.Equal(25, p[Stratum.All].Numerator);
        Assert.Null(p[Stratum.InArea].Score);
        Assert.Null(p.Gap);
    }

    [Fact]
    public void a_suppressed_denominator_takes_its_numerator_with_it_even_a_zero()
    {
        // Out-of-area: 2 children, none met. Showing 0 of a hidden 2 would say "none of them".
        var p = Suppression.Apply(Counts(new(40, 30, 20), new(38, 28, 20), new(2, 2, 0)));
        Assert.Null(p[Stratum.OutOfArea].Numerator);
        Assert.Null(p[Stratum.InArea].Numerator); // else 20 − 20 = 0 would give it away
        Assert.Equal(20, p[Stratum.All].Numerator);
    }

    [Fact]
    public void a_count_within_four_of_the_count_it_sits_in_is_hidden_since_its_complement_is_small()
    {
        // 97 of 100 in area had the check: that says 3 did not. Out of area 47 of 50 likewise; the totals go with them.
        var p = Suppression.Apply(Counts(new(160, 150, 144), new(110, 100, 97), new(50, 50, 47)));
        Assert.Equal(new PublishedTally(110, 100, null, null), p[Stratum.InArea]);
        Assert.Equal(new PublishedTally(50, 50, null, null), p[Stratum.OutOfArea]);
        Assert.Null(p[Stratum.InArea].Score);
        Assert.Null(p.Gap);
        // A denominator 2 short of its initial population goes too, and its numerator with it.
        var q = Suppression.Apply(Counts(new(60, 38, 20), new(40, 38, 20), new(20, 0, 0)));
        Assert.Null(q[Stratum.InArea].Denominator);
        Assert.Null(q[Stratum.InArea].Numerator);
    }

    [Fact]
    public void counts_of_five_and_zero_are_shown_and_the_gap_is_in_area_minus_out_of_area()
    {
        var p = Suppression.Apply(Counts(new(30, 25, 15), new(20, 20, 10), new(10, 5, 5)));
        Assert.Equal(new PublishedTally(10, 5, 5, 0), p[Stratum.OutOfArea]);
        Assert.Equal(0.5m - 1m, p.Gap);
        var none = Suppression.Apply(Counts(Tally.Zero, Tally.Zero, Tally.Zero));
        Assert.Equal(new PublishedTally(0, 0, 0, 0), none[Stratum.All]);
        Assert.Null(none[Stratum.All].Score);
    }

    [Fact]
    public void a_small_total_with_one_empty_stratum_hides_the_total_and_the_stratum_it_equals()
    {
        var p = Suppression.Apply(Counts(new(3, 3, 3), new(3, 3, 3), Tally.Zero));
        Assert.Equal(new PublishedTally(null, null, null, null), p[Stratum.All]);
        Assert.Equal(new PublishedTally(null, null, null, null), p[Stratum.InArea]);
        Assert.Equal(0, p[Stratum.OutOfArea].InitialPopulation);
    }
}
