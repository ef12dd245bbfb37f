using Hub.Mappers.Passport;

namespace Hub.Api.Passport;

/// <summary>`Hub:Passport`: where the PDF's fonts are (fonts-dejavu-core's folder unless set).</summary>
public sealed class PassportOptions
{
    public string? FontFolder { get; set; }
}

/// <summary>
/// The passport's shipped tables, found next to the hub's binary (Passport/*.json), never relative to the working
/// directory: the routine immunisation schedule and what each ICB offers care leavers. Read once, at first use.
/// </summary>
public sealed class PassportTables
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Passport");

    readonly Lazy<ImmunisationSchedule> schedule = new(() => ImmunisationSchedule.Parse(File.ReadAllText(Path.Combine(Folder, "immunisation-schedule.json"))));
    readonly Lazy<CareLeaverOffers> offers = new(() => CareLeaverOffers.Parse(File.ReadAllText(Path.Combine(Folder, "care-leaver-offers.json"))));

    public ImmunisationSchedule Schedule => schedule.Value;
    public CareLeaverOffers Offers => offers.Value;
}
