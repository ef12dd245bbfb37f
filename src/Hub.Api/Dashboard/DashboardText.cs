using System.Globalization;
using System.Text.Encodings.Web;

namespace Hub.Api.Dashboard;

/// <summary>How the dashboard writes a figure, in one place so the page, its charts and its tests agree.</summary>
public static class DashboardText
{
    /// <summary>
    /// What stands for a suppressed count (consent rule `kpi`): the count itself is never written. "Or withheld" because
    /// a count is also suppressed when it would give a small one away (the other stratum), and then it may be large; the
    /// report does not say which, so that the reader cannot tell which stratum is the small one.
    /// </summary>
    public const string Suppressed = "fewer than 5 or withheld";

    public const string NotShown = "not shown";

    public const string NoneDue = "none counted";

    // The hub runs with invariant globalisation (no ICU): English month names are written out here.
    static readonly string[] Months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    public static string H(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    public static string Count(int? n) => n is { } v ? v.ToString("#,0", CultureInfo.InvariantCulture) : Suppressed;

    /// <summary>A proportion as a percentage to one decimal place; absent: suppressed, unless nothing was counted at all.</summary>
    public static string Percent(decimal? score, int? denominator) => score is { } s
        ? Math.Round(s * 100, 1, MidpointRounding.AwayFromZero).ToString("0.0", CultureInfo.InvariantCulture) + "%"
        : denominator == 0 ? NoneDue : NotShown;

    /// <summary>In-area minus out-of-area, in percentage points, signed.</summary>
    public static string Points(decimal gap) =>
        Math.Round(Math.Abs(gap) * 100, 1, MidpointRounding.AwayFromZero).ToString("0.0", CultureInfo.InvariantCulture) + " percentage points";

    public static string Decimal(decimal? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : NotShown;

    public static string Day(DateOnly day) => string.Create(CultureInfo.InvariantCulture, $"{day.Day} {Months[day.Month - 1]} {day.Year}");

    public static string Month(DateOnly month) => string.Create(CultureInfo.InvariantCulture, $"{ShortMonth(month)} {month.Year}");

    public static string ShortMonth(DateOnly month) => Months[month.Month - 1][..3];

    public static string Iso(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
