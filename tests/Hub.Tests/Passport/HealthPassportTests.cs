using Hl7.Fhir.Model;
using Hub.Mappers.Passport;
using Hub.Mappers.Summary;
using Hub.Tests.Ssda903;
using Hub.Tests.Summary;

namespace Hub.Tests.Passport;

/// <summary>
/// The pure passport builder and its HTML: golden pages (tests/Hub.Tests/Passport/Golden/*.html, UPDATE_GOLDEN=1 rewrites),
/// and the rules behind each part: dated checks win over the 903 items, the schedule by age, the looks, withholding.
/// </summary>
public sealed class HealthPassportTests
{
    static string Golden => Path.Combine(Ssda903TestFiles.RepoRoot, "tests", "Hub.Tests", "Passport", "Golden");

    static readonly SummaryObligations WithholdImmunisationsAndAlertsLeaveOutAsthma =
        new(new HashSet<string> { SummarySections.Immunisations, SummarySections.Alerts }, r => r is Condition { Id: "asthma" }, MarkRedacted: true);

    public static TheoryData<string> Cases() => ["full", "withheld", "no-records"];

    static PassportRequest CaseRequest(string name) => name switch
    {
        "full" => PassportInputs.Request(),
        "withheld" => PassportInputs.Request(WithholdImmunisationsAndAlertsLeaveOutAsthma),
        "no-records" => PassportInputs.Request(records: [], looks: []),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void the_html_page_matches_its_golden_file(string name) =>
        Ssda903TestFiles.AssertGolden(Path.Combine(Golden, name + ".html"), PassportHtml.Render(PassportBuilder.Build(CaseRequest(name))));

    [Theory]
    [MemberData(nameof(Cases))]
    public void the_page_is_english_accessible_and_self_contained(string name)
    {
        var html = PassportHtml.Render(PassportBuilder.Build(CaseRequest(name)));
        Assert.StartsWith("<!DOCTYPE html>\n<html lang=\"en-GB\">", html);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "<h1>"));
        Assert.Equal(9, System.Text.RegularExpressions.Regex.Matches(html, "<h2 id=").Count);
        foreach (var external in new[] { "<script", "<link", "<img", "<iframe", "src=", "url(", "@import", "href=" })
            Assert.DoesNotContain(external, html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("@media print", html);
        // Every table names its columns for a screen reader.
        Assert.Equal(System.Text.RegularExpressions.Regex.Matches(html, "<table>").Count, System.Text.RegularExpressions.Regex.Matches(html, "<caption>").Count);
    }

    [Fact]
    public void the_builder_escapes_what_records_say()
    {
        var html = PassportHtml.Render(PassportBuilder.Build(PassportInputs.Request()));
        Assert.Contains("Asthma &lt;mild&gt; &amp; well controlled", html);
        Assert.DoesNotContain("<mild>", html);
    }

    [Fact]
    public void about_you_gives_name_date_of_birth_nhs_number_and_who_looks_after_you()
    {
        var text = PassportInputs.Text(PassportBuilder.Build(PassportInputs.Request()));
        Assert.Contains("Name: Poppy Marsh", text);
        Assert.Contains("Date of birth: 18 June 2010", text);
        Assert.Contains("NHS number: 999 000 1006", text);
        Assert.Contains("You are looked after by Somerset Council.", text);
        var leaver = PassportInputs.Text(PassportBuilder.Build(PassportInputs.Request(standing: new CareStanding(false, new DateOnly(2035, 6, 18)))));
        Assert.Contains("You are a care leaver. Somerset Council supports you until 18 June 2035.", leaver);
        Assert.Contains("Your personal adviser in the leaving care team at Somerset Council.", leaver);
    }

    [Fact]
    public void contacts_name_the_la_the_responsible_icbs_designated_nurse_and_the_gp_practice()
    {
        var p = PassportBuilder.Build(PassportInputs.Request());
        var contacts = PassportInputs.Text(new HealthPassport("", "", [PassportInputs.Section(p, "contacts")], []));
        Assert.Contains("Somerset Council: the local authority that looks after you.", contacts);
        Assert.Contains("The designated nurse for children looked after at NHS Somerset Integrated Care Board.", contacts);
        Assert.Contains("Your GP practice: Demo Taunton Medical Practice.", contacts);
        Assert.Contains("You are registered with Demo Taunton Medical Practice (L85001).", PassportInputs.Text(p));
    }

    [Fact]
    public void a_dated_health_assessment_wins_over_the_903_item_which_speaks_only_without_one()
    {
        var records = SummaryInputs.Records();
        var iha = records.OfType<Encounter>().Single(e => e.Id == "example-iha");
        var withEncounter = PassportInputs.Text(PassportBuilder.Build(PassportInputs.Request(records: records)));
        Assert.Contains($"Your last health assessment was on {SummaryNarrative.Date(iha.Period.Start)}", withEncounter);
        Assert.DoesNotContain("said your health assessment was", withEncounter);
        Assert.Contains("Your next health assessment is planned. The date is not fixed yet.", withEncounter);

        var oc2 = new Observation
        {
            Id = "oc2-ha", Status = ObservationStatus.Final, Code = new CodeableConcept("https://fhir.carehub.org.uk/CodeSystem/cla-health", "health-assessment-up-to-date"),
            Subject = new ResourceReference($"Patient/{SummaryInputs.ChildId}"), Effective = new FhirDateTime("2025-03-31"), Value = new FhirBoolean(true),
        };
        var withoutEncounter = PassportInputs.Text(PassportBuilder.Build(PassportInputs.Request(records: [.. records.Where(r => r is not Encounter), oc2])));
        Assert.Contains("No dated health assessment is recorded. Your local authority's yearly return for 31 March 2025 said your health assessment was up to date.", withoutEncounter);
    }

    [Fact]
    public void a_dated_dental_check_wins_over_the_903_item()
    {
        var text = PassportInputs.Text(PassportBuilder.Build(PassportInputs.Request()));
        var dental = SummaryInputs.Records().OfType<Encounter>().Single(e => e.Id == "example-dental-check");
        Assert.Contains($"Your last dental check was on {SummaryNarrative.Date(dental.Period.Start)}", text);
        var without = PassportInputs.Text(PassportBuilder.Build(PassportInputs.Request(records: [.. SummaryInputs.Records().Where(r => r.Id != "example-dental-check")])));
        Assert.Contains("No dated dental check is recorded. Your local authority's yearly return for", without);
    }

    [Fact]
    public void immunisations_due_by_age_say_what_is_recorded_what_is_not_and_what_comes_next()
    {
        // Born 18 June 2010, on 10 March 2025: MMR twice, 4-in-1, HPV, and the 14-year doses are all due.
        var text = PassportInputs.Text(PassportBuilder.Build(PassportInputs.Request()));
        Assert.Contains("- HPV vaccine (human papillomavirus): 1 dose recorded.", text);
        Assert.Contains("- MMR vaccine (measles, mumps and rubella): 1 of 2 doses recorded (usually given at 1 year, 3 years and 4 months). You can have it free at any age if you missed it: ask your GP.", text);
        Assert.Contains("- MenACWY vaccine (meningitis A, C, W and Y): 0 of 1 dose recorded (usually given at 14 years (school year 9)). If you missed it, you can usually have it free until your 25th birthday: ask your GP.", text);
        Assert.Contains("This does not mean you did not have them", text);
        Assert.DoesNotContain("Coming up:", text);

        // A younger child: the teenage doses are still to come, dated from the birthday.
        var younger = SummaryInputs.Child();
        younger.BirthDate = "2015-05-04";
        var young = PassportInputs.Text(PassportBuilder.Build(PassportInputs.Request(child: younger)));
        Assert.Contains("- HPV vaccine (human papillomavirus): at 12 to 13 years (school year 8), from 4 May 2027.", young);
        Assert.Contains("- MenACWY vaccine (meningitis A, C, W and Y): at 14 years (school year 9), from 4 May 2029.", young);
        // The 18-month MMR dose is for those born from July 2024 only.
        Assert.DoesNotContain("18 months", young);
    }

    [Fact]
    public void every_vaccine_the_generator_records_is_found_in_the_shipped_schedule()
    {
        string[] generated =
        [
            "Measles, mumps and rubella (MMR), first dose", "Measles, mumps and rubella (MMR), second dose",
            "Diphtheria, tetanus, pertussis and polio (4-in-1 pre-school booster)", "Human papillomavirus (HPV)",
            "Tetanus, diphtheria and polio (3-in-1 teenage booster)", "Meningococcal groups A, C, W and Y (MenACWY)",
        ];
        Assert.Equal(["mmr", "mmr", "4-in-1", "hpv", "3-in-1", "menacwy"], generated.Select(g => PassportInputs.Schedule.Of(g)?.Key));
        Assert.Null(PassportInputs.Schedule.Of("Influenza (annual)"));
        Assert.Equal("6-in-1", PassportInputs.Schedule.Of("DTaP/IPV/Hib/HepB (6-in-1)")?.Key);
    }

    [Fact]
    public void who_has_looked_lists_organisations_newest_first_grouped_by_day_and_capped()
    {
        var p = PassportBuilder.Build(PassportInputs.Request());
        var table = Assert.IsType<PassportTable>(PassportInputs.Section(p, "who-has-looked").Blocks[1]);
        Assert.Equal(["Date", "Who", "Type", "Why"], table.Columns);
        Assert.Equal(["8 March 2025", "You", "Young person", "To see your own record"], table.Rows[0]);
        Assert.Equal(["3 March 2025 (2 times)", "NHS Lancashire and South Cumbria Integrated Care Board (QE1)", "NHS integrated care board", "To care for your health"], table.Rows[1]);
        Assert.Equal(["21 February 2025", "Somerset Council (933)", "Local authority", "To keep you safe"], table.Rows[2]);
        Assert.Equal(4, table.Rows.Count);

        var many = Enumerable.Range(0, 30).Select(i => new RecordAccess(PassportInputs.Now.AddDays(-i), "QSL", "icb", "direct-care")).ToList();
        var capped = PassportBuilder.Build(PassportInputs.Request(looks: many));
        var section = PassportInputs.Section(capped, "who-has-looked");
        Assert.Equal(PassportBuilder.AccessesShown, Assert.IsType<PassportTable>(section.Blocks[1]).Rows.Count);
        Assert.Equal("10 March 2025", Assert.IsType<PassportTable>(section.Blocks[1]).Rows[0][0]);
        Assert.Contains(section.Blocks, b => b is PassportParagraph { Text: var t } && t.StartsWith("Only the 20 most recent"));
    }

    [Fact]
    public void a_look_for_safeguarding_is_left_out_where_safeguarding_data_is_held_back()
    {
        var p = PassportBuilder.Build(PassportInputs.Request(WithholdImmunisationsAndAlertsLeaveOutAsthma));
        var table = Assert.IsType<PassportTable>(PassportInputs.Section(p, "who-has-looked").Blocks[1]);
        Assert.DoesNotContain(table.Rows, r => r[3] == "To keep you safe");
        Assert.Contains(table.Rows, r => r[0] == "20 February 2025");
    }

    [Fact]
    public void a_withheld_part_keeps_its_heading_and_says_only_that_it_is_not_shown()
    {
        var p = PassportBuilder.Build(PassportInputs.Request(WithholdImmunisationsAndAlertsLeaveOutAsthma));
        var immunisations = PassportInputs.Section(p, "immunisations");
        Assert.True(immunisations.Withheld);
        Assert.Equal([new PassportParagraph(PassportBuilder.WithheldText)], immunisations.Blocks);
        var needs = PassportInputs.Text(new HealthPassport("", "", [PassportInputs.Section(p, "health-needs")], []));
        Assert.DoesNotContain("Asthma", needs);
        Assert.Contains(PassportBuilder.SomeLeftOut, needs);
        Assert.Contains("Health plan from the initial health assessment", needs);

        // Left out silently where saying so would disclose (MARK_WITHHELD off): no trace.
        var silent = PassportBuilder.Build(PassportInputs.Request(WithholdImmunisationsAndAlertsLeaveOutAsthma with { MarkRedacted = false }));
        Assert.DoesNotContain(PassportBuilder.SomeLeftOut, PassportInputs.Text(silent));
    }

    [Fact]
    public void free_prescriptions_and_dental_care_use_the_icbs_own_text_or_the_default_naming_the_icb()
    {
        var text = PassportInputs.Text(PassportBuilder.Build(PassportInputs.Request()));
        Assert.Contains("Ask your personal adviser or your GP practice what NHS Somerset Integrated Care Board offers care leavers.", text);
        Assert.Contains("This information was checked on 26 November 2026.", text);

        var own = PassportInputs.Offers with
        {
            Icbs = new Dictionary<string, CareLeaverOffer> { ["QSL"] = new(new DateOnly(2026, 1, 5), "Care leavers in Somerset get free prescriptions until 25.", null) },
        };
        var p = PassportBuilder.Build(PassportInputs.Request() with { Offers = own });
        var free = PassportInputs.Text(new HealthPassport("", "", [PassportInputs.Section(p, "free-care")], []));
        Assert.Contains("Prescriptions: Care leavers in Somerset get free prescriptions until 25.", free);
        Assert.Contains("Dental care: NHS dental care is free if you are under 18", free);
        Assert.Contains("checked on 5 January 2026", free);
    }

    [Fact]
    public void the_same_request_gives_the_same_page()
    {
        Assert.Equal(PassportHtml.Render(PassportBuilder.Build(PassportInputs.Request())), PassportHtml.Render(PassportBuilder.Build(PassportInputs.Request())));
    }
}
