using static Hub.Mappers.Ssda903.Checking.Ssda903Rules;

namespace Hub.Mappers.Ssda903.Checking;

sealed partial class CheckRun
{
    /// <summary>SEX of a male child: 1 until 2023/24, M from 2024/25 (reference/ssda903.md §3.1).</summary>
    static bool IsMale(string? sex) => sex is "1" or "M";

    void Header()
    {
        foreach (var row in ret.Of(Ssda903Tables.Header))
        {
            if (row["CHILD"] is not { } child)
            {
                Add(ChildBlank, row, "CHILD");
                continue;
            }
            if (headers.TryGetValue(child, out var first))
            {
                Add(INT32, row, "CHILD", $"also at {At(first)}");
                continue;
            }
            headers[child] = row;
            if (sealedInYear?.Invoke(child) is { } sealedBy && sealedBy < year)
                Add(R199, row, "CHILD", $"the record of CHILD {child} was sealed on adoption by the {sealedBy - 1}/{sealedBy % 100:00} return; a CHILD id is never reused");

            if (row["DOB"] is null) Add(R102, row, "DOB", "DOB is blank");
            else if (Date(row, "DOB") is { } dob)
            {
                if (dob > end) Add(R301, row, "DOB", $"DOB is after 31/03/{year}");
                else births[child] = dob;
            }

            Code(R101, row, "SEX", Ssda903Field.Sex, required: true);
            Code(R103, row, "ETHNIC", Ssda903Field.Ethnicity, required: true);
            Upn(row);
            Motherhood(row);
        }
    }

    void Upn(SourceRow row)
    {
        if (row["UPN"] is not { } upn)
        {
            Add(R442, row, "UPN");
            return;
        }
        if (!codes.Has(Ssda903Field.UpnUnknown)) return;
        var value = upn.ToUpperInvariant();
        if (IsUpn(value) || codes.IsValid(Ssda903Field.UpnUnknown, value, year)) return;
        Add(R168, row, "UPN");
    }

    /// <summary>A letter other than I, O, S, then 12 digits, or 11 digits and a letter (rule 168).</summary>
    static bool IsUpn(string upn) =>
        upn.Length == 13 && char.IsAsciiLetterUpper(upn[0]) && upn[0] is not ('I' or 'O' or 'S')
        && upn.AsSpan(1, 11).IndexOfAnyExceptInRange('0', '9') < 0 && (char.IsAsciiDigit(upn[12]) || char.IsAsciiLetterUpper(upn[12]));

    void Motherhood(SourceRow row)
    {
        var (mother, childDob, male) = (row["MOTHER"], row["MC_DOB"], IsMale(row["SEX"]));
        if (mother == "1" && male) Add(R165, row, "MOTHER", "MOTHER is 1 for a male child");
        if (childDob is not null && male) Add(R174, row, "MC_DOB");
        if (mother == "1" && childDob is null && !ReaderReported(row, "MC_DOB")) Add(R611, row, "MC_DOB");
        if (childDob is not null && mother != "1" && !male && !ReaderReported(row, "MOTHER")) Add(R612, row, "MOTHER");
        if (Birth(row) is not { } dob) return;
        if (mother == "1" && Age(dob, start) < 11) Add(R620, row, "MOTHER");
        if (Date(childDob) is { } born && born < dob) Add(R621, row, "MC_DOB");
    }
}
