using System.Globalization;

namespace Hub.Mappers.Kpis;

/// <summary>
/// The bank holidays of England and Wales over the years the shipped list covers
/// (Kpis/bank-holidays-england-and-wales.csv, with its source and date): what "20 working days" skips besides weekends.
/// </summary>
public sealed class BankHolidays
{
    readonly HashSet<DateOnly> days;

    BankHolidays(DateOnly first, DateOnly last, HashSet<DateOnly> days) => (First, Last, this.days) = (first, last, days);

    /// <summary>The first and last day the list speaks for; a count reaching outside them is refused, never guessed.</summary>
    public DateOnly First { get; }
    public DateOnly Last { get; }

    public IReadOnlyCollection<DateOnly> Days => days;

    static readonly Lazy<BankHolidays> Shipped = new(() =>
    {
        using var stream = typeof(BankHolidays).Assembly.GetManifestResourceStream("bank-holidays-england-and-wales.csv")
            ?? throw new InvalidOperationException("bank-holidays-england-and-wales.csv is not embedded in Hub.Mappers");
        using var reader = new StreamReader(stream);
        return Parse(reader);
    });

    public static BankHolidays EnglandAndWales => Shipped.Value;

    /// <summary>Lines: `#` comments, one `covers,{first},{last}`, the header `date,name`, then `{yyyy-mm-dd},{name}`.</summary>
    public static BankHolidays Parse(TextReader reader)
    {
        DateOnly? first = null, last = null;
        var days = new HashSet<DateOnly>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith('#') || line == "date,name") continue;
            var cells = line.Split(',');
            if (cells[0] == "covers") (first, last) = (Day(cells[1]), Day(cells[2]));
            else days.Add(Day(cells[0]));
        }
        if (first is null || last is null) throw new FormatException("The bank holiday list does not say which days it covers");
        if (days.Any(d => d < first || d > last)) throw new FormatException("A bank holiday lies outside the days the list covers");
        return new BankHolidays(first.Value, last.Value, days);
    }

    static DateOnly Day(string text) => DateOnly.ParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture);

    public bool Covers(DateOnly day) => day >= First && day <= Last;

    public bool IsWorkingDay(DateOnly day)
    {
        if (!Covers(day)) throw new ArgumentOutOfRangeException(nameof(day), day, $"bank holidays are known from {First:yyyy-MM-dd} to {Last:yyyy-MM-dd} only");
        return day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !days.Contains(day);
    }

    /// <summary>
    /// The day <paramref name="count"/> working days after <paramref name="from"/>: the day itself is day 0, whatever
    /// it is, so a child who comes into care on a Saturday has Monday as working day 1.
    /// </summary>
    public DateOnly AddWorkingDays(DateOnly from, int count)
    {
        var day = from;
        for (var n = 0; n < count;)
        {
            day = day.AddDays(1);
            if (IsWorkingDay(day)) n++;
        }
        return day;
    }
}
