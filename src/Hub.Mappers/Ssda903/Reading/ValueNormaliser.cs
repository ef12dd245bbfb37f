using System.Globalization;

namespace Hub.Mappers.Ssda903.Reading;

/// <summary>What the reader had to forgive in a value to read it (each is reported once per file and column).</summary>
[Flags]
enum Tolerance
{
    None = 0,
    Spaces = 1 << 0,
    LowerCase = 1 << 1,
    Decimal = 1 << 2,
    WordFlag = 1 << 3,
    DateUnpadded = 1 << 4,
    DateIso = 1 << 5,
    DateTime = 1 << 6,
    DateSeparator = 1 << 7,
    PartialDate = 1 << 8,
    PostcodeSpacing = 1 << 9,
}

/// <summary>Strings shared by equal values (codes, dates, child ids recur across tables), looked up without allocating.</summary>
sealed class StringPool
{
    const int MaxPooledLength = 64;
    readonly Dictionary<string, string> strings = new(StringComparer.Ordinal);
    readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> lookup;

    public StringPool() => lookup = strings.GetAlternateLookup<ReadOnlySpan<char>>();

    public string Get(ReadOnlySpan<char> value)
    {
        if (value.Length > MaxPooledLength) return value.ToString();
        if (lookup.TryGetValue(value, out var s)) return s;
        s = value.ToString();
        strings.Add(s, s);
        return s;
    }
}

/// <summary>
/// Reads one value by its column kind (Tables.cs): trimmed, codes upper-cased, dates as yyyy-MM-dd, flags 0/1,
/// postcodes with one space. Returns false when the value cannot be read; the caller decides what that costs.
/// </summary>
sealed class ValueNormaliser(StringPool pool)
{
    public bool TryNormalise(ColumnKind kind, ReadOnlySpan<char> raw, out string? value, out Tolerance tolerance)
    {
        var text = raw.Trim();
        tolerance = text.Length == raw.Length ? Tolerance.None : Tolerance.Spaces;
        value = null;
        if (text.IsEmpty) return true;
        return kind switch
        {
            ColumnKind.ChildId or ColumnKind.Text => Keep(text, out value),
            ColumnKind.Code => Code(text, out value, ref tolerance),
            ColumnKind.Flag => Flag(text, out value, ref tolerance),
            ColumnKind.Integer => Integer(text, out value, ref tolerance),
            ColumnKind.Date => Date(text, partial: false, out value, ref tolerance),
            ColumnKind.PartialDate => Date(text, partial: true, out value, ref tolerance),
            ColumnKind.Postcode => Postcode(text, out value, ref tolerance),
            _ => Keep(text, out value),
        };
    }

    bool Keep(ReadOnlySpan<char> text, out string? value)
    {
        value = pool.Get(text);
        return true;
    }

    bool Code(ReadOnlySpan<char> text, out string? value, ref Tolerance tolerance)
    {
        if (WholeNumberWithZeroDecimals(text) is { } whole)
        {
            tolerance |= Tolerance.Decimal;
            text = text[..whole];
        }
        if (!HasLower(text)) return Keep(text, out value);
        tolerance |= Tolerance.LowerCase;
        Span<char> upper = text.Length <= 128 ? stackalloc char[text.Length] : new char[text.Length];
        text.ToUpperInvariant(upper);
        return Keep(upper, out value);
    }

    bool Flag(ReadOnlySpan<char> text, out string? value, ref Tolerance tolerance)
    {
        if (WholeNumberWithZeroDecimals(text) is { } whole)
        {
            tolerance |= Tolerance.Decimal;
            text = text[..whole];
        }
        if (text is "0" or "1") return Keep(text, out value);
        if (text.Equals("true", StringComparison.OrdinalIgnoreCase) || text.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            tolerance |= Tolerance.WordFlag;
            value = text[0] is 't' or 'T' ? "1" : "0";
            return true;
        }
        value = null;
        return false;
    }

    bool Integer(ReadOnlySpan<char> text, out string? value, ref Tolerance tolerance)
    {
        if (WholeNumberWithZeroDecimals(text) is { } whole)
        {
            tolerance |= Tolerance.Decimal;
            text = text[..whole];
        }
        if (text.Length <= 9 && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            Span<char> digits = stackalloc char[12];
            n.TryFormat(digits, out var written, provider: CultureInfo.InvariantCulture);
            return Keep(digits[..written], out value);
        }
        value = null;
        return false;
    }

    /// <summary>dd/mm/yyyy; also d/m/yyyy, dd-mm-yyyy, yyyy-mm-dd and a trailing time of day, each a tolerance.</summary>
    bool Date(ReadOnlySpan<char> text, bool partial, out string? value, ref Tolerance tolerance)
    {
        value = null;
        var cut = text.IndexOfAny(' ', 'T');
        if (cut >= 8 && IsTimeOfDay(text[(cut + 1)..]))
        {
            tolerance |= Tolerance.DateTime;
            text = text[..cut];
        }
        Span<Range> parts = stackalloc Range[4];
        var separator = text.IndexOfAny('/', '-', '.') is var i and >= 0 ? text[i] : '/';
        if (text.Split(parts, separator) != 3) return false;
        ReadOnlySpan<char> a = text[parts[0]], b = text[parts[1]], c = text[parts[2]];
        var iso = a.Length == 4 && separator == '-';
        if (iso) tolerance |= Tolerance.DateIso;
        else if (separator != '/') tolerance |= Tolerance.DateSeparator;
        ReadOnlySpan<char> day = iso ? c : a, month = b, year = iso ? a : c;
        if (partial && (IsZz(day) || IsZz(month) || IsZz(year)))
            return PartialDate(day, month, year, out value, ref tolerance);
        if (day.Length is < 1 or > 2 || month.Length is < 1 or > 2 || year.Length != 4) return false;
        if (!TryDigits(day, out var d) || !TryDigits(month, out var m) || !TryDigits(year, out var y)) return false;
        if (y < 1 || m is < 1 or > 12 || d < 1 || d > DateTime.DaysInMonth(y, m)) return false;
        if (day.Length == 1 || month.Length == 1) tolerance |= Tolerance.DateUnpadded;
        Span<char> formatted = stackalloc char[10];
        year.CopyTo(formatted);
        (formatted[4], formatted[7]) = ('-', '-');
        (formatted[5], formatted[6], formatted[8], formatted[9]) = ((char)('0' + m / 10), (char)('0' + m % 10), (char)('0' + d / 10), (char)('0' + d % 10));
        return Keep(formatted, out value);
    }

    /// <summary>DATE_PERM may hide an unknown day, or day and month, or the whole date as zz (reference/ssda903.md §3.9).</summary>
    bool PartialDate(ReadOnlySpan<char> day, ReadOnlySpan<char> month, ReadOnlySpan<char> year, out string? value, ref Tolerance tolerance)
    {
        value = null;
        tolerance |= Tolerance.PartialDate;
        if (IsZz(year)) return IsZz(day) && IsZz(month) && year.Length == 4 && year.Equals("zzzz", StringComparison.OrdinalIgnoreCase);
        if (!IsZz(day) || year.Length != 4 || !TryDigits(year, out var y) || y < 1) return false;
        if (IsZz(month)) return Keep(year, out value);
        if (month.Length is < 1 or > 2 || !TryDigits(month, out var m) || m is < 1 or > 12) return false;
        Span<char> yearMonth = stackalloc char[7];
        year.CopyTo(yearMonth);
        yearMonth[4] = '-';
        yearMonth[5] = (char)('0' + m / 10);
        yearMonth[6] = (char)('0' + m % 10);
        return Keep(yearMonth, out value);
    }

    /// <summary>
    /// A full postcode (outward code, space, inward code), or what pooled data degrades it to: the district or
    /// the sector (reference/ssda903.md §8.3). Anything else cannot be located and is not read.
    /// </summary>
    bool Postcode(ReadOnlySpan<char> text, out string? value, ref Tolerance tolerance)
    {
        value = null;
        if (text.Length > 16) return false;
        Span<char> compact = stackalloc char[text.Length];
        var length = 0;
        var spaces = 0;
        foreach (var ch in text)
        {
            if (char.IsWhiteSpace(ch)) { spaces++; continue; }
            if (!char.IsAsciiLetterOrDigit(ch)) return false;
            if (char.IsAsciiLetterLower(ch)) tolerance |= Tolerance.LowerCase;
            compact[length++] = char.ToUpperInvariant(ch);
        }
        compact = compact[..length];
        if (length is >= 5 and <= 7 && IsOutward(compact[..^3]) && IsInward(compact[^3..]))
        {
            Span<char> spaced = stackalloc char[length + 1];
            compact[..^3].CopyTo(spaced);
            spaced[length - 3] = ' ';
            compact[^3..].CopyTo(spaced[(length - 2)..]);
            if (spaces != 1 || text[length - 3] != ' ') tolerance |= Tolerance.PostcodeSpacing;
            return Keep(spaced, out value);
        }
        if (spaces == 0 && IsOutward(compact)) return Keep(compact, out value);
        var space = text.IndexOf(' ');
        if (spaces == 1 && space > 0 && text.Length - space == 2 && char.IsAsciiDigit(text[^1]) && IsOutward(compact[..^1]))
        {
            Span<char> sector = stackalloc char[length + 1];
            compact[..^1].CopyTo(sector);
            sector[length - 1] = ' ';
            sector[length] = compact[^1];
            return Keep(sector, out value);
        }
        return false;
    }

    /// <summary>A, AA followed by a digit and an optional letter or digit: L1, LA1, LA10, W1A, EC1A.</summary>
    static bool IsOutward(ReadOnlySpan<char> s)
    {
        var letters = 0;
        while (letters < s.Length && letters < 2 && char.IsAsciiLetterUpper(s[letters])) letters++;
        if (letters == 0 || letters >= s.Length || !char.IsAsciiDigit(s[letters])) return false;
        var rest = s.Length - letters - 1;
        return rest == 0 || (rest == 1 && char.IsAsciiLetterOrDigit(s[^1]));
    }

    static bool IsInward(ReadOnlySpan<char> s) => s.Length == 3 && char.IsAsciiDigit(s[0]) && char.IsAsciiLetterUpper(s[1]) && char.IsAsciiLetterUpper(s[2]);

    static bool IsZz(ReadOnlySpan<char> s) => s.Length >= 2 && !s.ContainsAnyExcept('z', 'Z');

    static bool IsTimeOfDay(ReadOnlySpan<char> s) => s.Length >= 4 && s.Contains(':') && !s.ContainsAnyExcept("0123456789:.Z");

    static bool HasLower(ReadOnlySpan<char> s)
    {
        foreach (var ch in s) if (char.IsLower(ch)) return true;
        return false;
    }

    static bool TryDigits(ReadOnlySpan<char> s, out int n)
    {
        n = 0;
        foreach (var ch in s)
        {
            if (!char.IsAsciiDigit(ch)) return false;
            n = n * 10 + (ch - '0');
        }
        return s.Length > 0;
    }

    /// <summary>The length of the whole part of "1.0", "12.00" (Excel and pandas exports), or null.</summary>
    static int? WholeNumberWithZeroDecimals(ReadOnlySpan<char> s)
    {
        var dot = s.IndexOf('.');
        if (dot <= 0 || dot == s.Length - 1) return null;
        var whole = s[..dot];
        var start = whole[0] == '-' ? 1 : 0;
        if (start == whole.Length || whole[start..].ContainsAnyExceptInRange('0', '9')) return null;
        return s[(dot + 1)..].ContainsAnyExcept('0') ? null : dot;
    }
}
