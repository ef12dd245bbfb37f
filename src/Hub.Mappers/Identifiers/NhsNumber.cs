namespace Hub.Mappers.Identifiers;

/// <summary>NHS numbers: ten digits, the last a modulus 11 check digit.</summary>
public static class NhsNumber
{
    public const string System = "https://fhir.nhs.uk/Id/nhs-number";

    /// <summary>True when the value is ten digits whose check digit is right (spaces allowed, as people write them).</summary>
    public static bool IsValid(string? value)
    {
        var digits = Normalise(value);
        return digits is not null && CheckDigit(digits.AsSpan(0, 9)) is { } check && check == digits[9] - '0';
    }

    /// <summary>The ten digits without spaces, or null when the value is not ten digits.</summary>
    public static string? Normalise(string? value)
    {
        if (value is null) return null;
        var d = value.Replace(" ", "", StringComparison.Ordinal);
        return d.Length == 10 && d.All(char.IsAsciiDigit) ? d : null;
    }

    /// <summary>The check digit for nine digits, or null when none exists (remainder 10: no valid number).</summary>
    public static int? CheckDigit(ReadOnlySpan<char> nine)
    {
        var sum = 0;
        for (var i = 0; i < 9; i++) sum += (nine[i] - '0') * (10 - i);
        var check = 11 - sum % 11;
        return check switch { 11 => 0, 10 => null, _ => check };
    }

    /// <summary>A valid NHS number from a nine-digit stem, moving on to the next stem when a stem has no check digit.</summary>
    public static string FromStem(long stem)
    {
        while (true)
        {
            var nine = stem.ToString("D9", global::System.Globalization.CultureInfo.InvariantCulture);
            if (CheckDigit(nine) is { } c) return nine + c;
            stem++;
        }
    }
}
