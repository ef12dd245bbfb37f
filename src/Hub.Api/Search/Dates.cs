using System.Globalization;
using Hl7.Fhir.Model;

namespace Hub.Api.Search;

/// <summary>FHIR dates of any precision as the UTC instant range [Start, End) they cover.</summary>
public static class Dates
{
    public static (DateTime Start, DateTime End)? Range(Base v) => v switch
    {
        Date { Value: { } d } => Parse(d),
        FhirDateTime { Value: { } d } => Parse(d),
        Instant { Value: { } i } => (i.UtcDateTime, i.UtcDateTime.AddTicks(1)),
        Period p => Combine(p.Start is null ? null : Parse(p.Start), p.End is null ? null : Parse(p.End)),
        _ => null,
    };

    static (DateTime, DateTime)? Combine((DateTime Start, DateTime End)? s, (DateTime Start, DateTime End)? e) =>
        s is null && e is null ? null : (s?.Start ?? DateTime.MinValue.ToUniversalTime(), e?.End ?? DateTime.MaxValue.ToUniversalTime());

    /// <summary>"2011", "2011-03", "2011-03-04", or a full date-time with zone.</summary>
    public static (DateTime Start, DateTime End)? Parse(string s)
    {
        s = s.Trim();
        var inv = CultureInfo.InvariantCulture;
        const DateTimeStyles utc = DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal;
        if (s.Length == 4 && DateTime.TryParseExact(s, "yyyy", inv, utc, out var y)) return (y, y.AddYears(1));
        if (s.Length == 7 && DateTime.TryParseExact(s, "yyyy-MM", inv, utc, out var m)) return (m, m.AddMonths(1));
        if (s.Length == 10 && DateTime.TryParseExact(s, "yyyy-MM-dd", inv, utc, out var d)) return (d, d.AddDays(1));
        if (DateTimeOffset.TryParse(s, inv, DateTimeStyles.AssumeUniversal, out var t))
        {
            var u = t.UtcDateTime;
            // A time without seconds covers its minute; with seconds, its second.
            return s.Count(c => c == ':') >= 2 || s.EndsWith('Z') && s.Count(c => c == ':') >= 2 ? (u, u.AddSeconds(1)) : (u, u.AddMinutes(1));
        }
        return null;
    }
}
