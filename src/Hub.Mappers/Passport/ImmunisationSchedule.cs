using System.Globalization;
using System.Text.Json;

namespace Hub.Mappers.Passport;

/// <summary>One routine dose: the age it is given at ("8w", "12m", "14y"), how a person says it, and who it applies to by birth date.</summary>
public sealed record ScheduledDose(string Age, string When, DateOnly? BornFrom = null, DateOnly? BornBefore = null)
{
    public bool AppliesTo(DateOnly birth) => (BornFrom is null || birth >= BornFrom) && (BornBefore is null || birth < BornBefore);

    public DateOnly DueOn(DateOnly birth)
    {
        var n = int.Parse(Age[..^1], CultureInfo.InvariantCulture);
        return Age[^1] switch
        {
            'w' => birth.AddDays(7 * n),
            'm' => birth.AddMonths(n),
            'y' => birth.AddYears(n),
            _ => throw new FormatException($"Immunisation schedule age '{Age}' is not weeks (w), months (m) or years (y)"),
        };
    }
}

/// <summary>A vaccine of the routine schedule, the words that name it in a provider's record, and its doses.</summary>
public sealed record ScheduledVaccine(string Key, string Name, IReadOnlyList<string> Match, IReadOnlyList<ScheduledDose> Doses, string? CatchUp = null)
{
    /// <summary>Vaccines mostly arrive as text (no confirmed codes, reference/fhir-uk.md §6.2): matched on the words a record uses.</summary>
    public bool Names(string text) => Match.Any(m => text.Contains(m, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// The routine UK immunisation schedule as a small shipped table (immunisation-schedule.json next to the hub's binary),
/// with its source and the date it was checked, so the passport can say what is due by age without guessing.
/// </summary>
public sealed record ImmunisationSchedule(string Title, string Source, DateOnly Checked, string Note, IReadOnlyList<ScheduledVaccine> Vaccines)
{
    static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = true };

    public static ImmunisationSchedule Parse(string json)
    {
        var schedule = JsonSerializer.Deserialize<ImmunisationSchedule>(json, Options)
            ?? throw new FormatException("The immunisation schedule is empty");
        foreach (var v in schedule.Vaccines)
            foreach (var d in v.Doses) _ = d.DueOn(new DateOnly(2000, 1, 1)); // fail at load, not in a young person's request
        return schedule;
    }

    /// <summary>The first vaccine of the table whose words the text uses (the table lists the more specific first).</summary>
    public ScheduledVaccine? Of(string text) => Vaccines.FirstOrDefault(v => v.Names(text));
}
