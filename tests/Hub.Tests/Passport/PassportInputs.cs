using Hl7.Fhir.Model;
using Hub.Mappers.Passport;
using Hub.Mappers.Summary;
using Hub.Tests.Ssda903;
using Hub.Tests.Summary;

namespace Hub.Tests.Passport;

/// <summary>The summary's test child (fhir-profiles/examples and SummaryInputs) with the passport's own inputs: the shipped tables and some looks.</summary>
static class PassportInputs
{
    static string Tables => Path.Combine(Ssda903TestFiles.RepoRoot, "src", "Hub.Api", "Passport");

    public static ImmunisationSchedule Schedule { get; } = ImmunisationSchedule.Parse(File.ReadAllText(Path.Combine(Tables, "immunisation-schedule.json")));
    public static CareLeaverOffers Offers { get; } = CareLeaverOffers.Parse(File.ReadAllText(Path.Combine(Tables, "care-leaver-offers.json")));

    public static readonly DateTimeOffset Now = SummaryInputs.Now;

    public static List<RecordAccess> Looks() =>
    [
        new(new DateTimeOffset(2025, 3, 3, 10, 0, 0, TimeSpan.Zero), "QE1", "icb", "direct-care"),
        new(new DateTimeOffset(2025, 3, 3, 11, 0, 0, TimeSpan.Zero), "QE1", "icb", "direct-care"),
        new(new DateTimeOffset(2025, 2, 20, 9, 30, 0, TimeSpan.Zero), "933", "la", "direct-care"),
        new(new DateTimeOffset(2025, 2, 21, 14, 0, 0, TimeSpan.Zero), "933", "la", "safeguarding"),
        new(new DateTimeOffset(2025, 3, 8, 16, 0, 0, TimeSpan.Zero), "9990001006", "young-person", "own-record"),
    ];

    public static PassportRequest Request(SummaryObligations? obligations = null, IReadOnlyList<Resource>? records = null,
        IReadOnlyList<RecordAccess>? looks = null, Patient? child = null, CareStanding? standing = null) =>
        new(child ?? SummaryInputs.Child(), records ?? SummaryInputs.Records(), SummaryInputs.Organisations(), obligations ?? SummaryObligations.None,
            standing ?? new CareStanding(LookedAfter: true, CareLeaverUntil: null), looks ?? Looks(), Schedule, Offers, SummaryInputs.Displays, Now);

    /// <summary>All the passport's text, one block per line, for assertions that do not care about layout.</summary>
    public static string Text(HealthPassport p) => string.Join("\n", p.Sections.SelectMany(s => new[] { "## " + s.Heading }.Concat(s.Blocks.SelectMany(Lines))));

    static IEnumerable<string> Lines(PassportBlock b) => b switch
    {
        PassportParagraph p => [p.Text],
        PassportList l => l.Items.Select(i => "- " + i),
        PassportFacts f => f.Facts.Select(x => $"{x.Term}: {x.Value}"),
        PassportTable t => t.Rows.Select(r => string.Join(" | ", r)),
        _ => [],
    };

    public static PassportSection Section(HealthPassport p, string id) => p.Sections.Single(s => s.Id == id);
}
