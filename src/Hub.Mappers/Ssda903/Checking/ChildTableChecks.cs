using Hub.Mappers.Identifiers;
using static Hub.Mappers.Ssda903.Checking.Ssda903Rules;

namespace Hub.Mappers.Ssda903.Checking;

sealed partial class CheckRun
{
    void Uasc()
    {
        foreach (var row in RowsOf(Ssda903Tables.Uasc, INT09, INT18, INT36))
        {
            Code(R101, row, "SEX", Ssda903Field.Sex, required: false);
            if (row["SEX"] is { } sex && headers[row.Child]["SEX"] is { } headerSex && sex != headerSex) Add(INT21, row, "SEX");
            if (Birth(row) is { } dob && Date(row, "DUC") is { } ceased && ceased > dob.AddYears(18)) Add(R304, row, "DUC");
        }
    }

    void Reviews()
    {
        foreach (var row in RowsOf(Ssda903Tables.Reviews, INT08, INT17, null))
        {
            if (row["REVIEW"] is null && !ReaderReported(row, "REVIEW")) Add(R166, row, "REVIEW", "REVIEW is blank");
            Code(R167, row, "REVIEW_CODE", Ssda903Field.ReviewCode, required: true);
            if (Birth(row) is not { } dob || Date(row, "REVIEW") is not { } review || row["REVIEW_CODE"] is not { } code) continue;
            var age = Age(dob, review);
            if (code == "PN0" && age >= 4) Add(R440, row, "REVIEW_CODE", $"aged {age} at the review");
            else if (code != "PN0" && age < 4 && codes.IsKnown(Ssda903Field.ReviewCode, code)) Add(R441, row, "REVIEW_CODE", $"aged {age} at the review");
        }
    }

    void Oc2()
    {
        foreach (var row in RowsOf(Ssda903Tables.Oc2, INT05, INT14, INT33))
        {
            var (score, reason) = (row["SDQ_SCORE"], row["SDQ_REASON"]);
            if (score is not null && (!int.TryParse(score, out var s) || s is < 0 or > 40)) Add(R180, row, "SDQ_SCORE", "SDQ_SCORE is not from 0 to 40");
            Code(R196, row, "SDQ_REASON", Ssda903Field.SdqReason, required: false);
            if (score is not null && reason is not null) Add(R197a, row, "SDQ_REASON");
            if (Birth(row) is { } dob)
            {
                if ((score ?? reason) is not null && Age(dob, end) < 4) Add(R188, row, score is not null ? "SDQ_SCORE" : "SDQ_REASON");
                if ((score ?? reason) is not null && Age(dob, start) >= 17) Add(R189, row, score is not null ? "SDQ_SCORE" : "SDQ_REASON");
                if (row["CONVICTED"] is not null && Age(dob, end) < 10) Add(R542, row, "CONVICTED", $"aged {Age(dob, end)} at 31 March");
                if (row["HEALTH_CHECK"] is not null && Age(dob, end) >= 5) Add(R546, row, "HEALTH_CHECK", $"aged {Age(dob, end)} at 31 March");
            }
            var (misuse, received, offered) = (row["SUBSTANCE_MISUSE"], row["INTERVENTION_RECEIVED"], row["INTERVENTION_OFFERED"]);
            if (misuse == "1" && received is null && !ReaderReported(row, "INTERVENTION_RECEIVED")) Add(R192, row, "INTERVENTION_RECEIVED");
            if (misuse == "1" && received == "0" && offered is null && !ReaderReported(row, "INTERVENTION_OFFERED")) Add(R159, row, "INTERVENTION_OFFERED");
            if (received == "1" && offered is not null) Add(R158, row, "INTERVENTION_OFFERED");
            if (misuse == "0" && (received ?? offered) is not null) Add(R193, row, received is not null ? "INTERVENTION_RECEIVED" : "INTERVENTION_OFFERED");
        }
    }

    void Oc3()
    {
        foreach (var row in RowsOf(Ssda903Tables.Oc3, INT06, INT15, INT34))
        {
            Code(R131, row, "IN_TOUCH", Ssda903Field.InTouch, required: false);
            Code(R132, row, "ACTIV", Ssda903Field.Activity, required: false);
            Code(R133, row, "ACCOM", Ssda903Field.Accommodation, required: false);
            var (inTouch, activity, accommodation) = (row["IN_TOUCH"], row["ACTIV"], row["ACCOM"]);
            var given = new[] { inTouch, activity, accommodation }.Count(v => v is not null);
            if (given is 1 or 2) Add(R153, row, inTouch is null ? "IN_TOUCH" : activity is null ? "ACTIV" : "ACCOM");
            if (inTouch is "DIED" or "RHOM" && (activity is not (null or "0") || accommodation is not (null or "0")))
                Add(R344, row, activity is not (null or "0") ? "ACTIV" : "ACCOM", $"IN_TOUCH is {inTouch}");
            if (inTouch == "YES" && (activity == "0" || accommodation == "0")) Add(R345, row, activity == "0" ? "ACTIV" : "ACCOM");
            if (Birth(row) is { } dob && !Enumerable.Range(17, 5).Any(n => dob.AddYears(n) is var birthday && birthday >= start && birthday <= end))
                Add(R391, row, "DOB", $"aged {Age(dob, start)} on 1 April");
        }
    }

    void Ad1()
    {
        string[] items = ["DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"];
        foreach (var row in RowsOf(Ssda903Tables.Ad1, INT01, INT11, INT31))
        {
            if (row["NB_ADOPTR"] is { } adopters && adopters is not ("1" or "2")) Add(R175, row, "NB_ADOPTR", $"NB_ADOPTR {Quote(adopters)} is not 1 or 2");
            Code(R176, row, "SEX_ADOPTR", Ssda903Field.AdopterSex, required: false);
            Code(R177, row, "LS_ADOPTR", Ssda903Field.AdopterLegalStatus, required: false);
            var blank = items.Where(c => row[c] is null && !ReaderReported(row, c)).ToList();
            if (blank.Count is > 0 and < 6 && items.Any(c => row[c] is not null)) Add(R151, row, blank[0], $"blank: {string.Join(", ", blank)}");
        }
    }

    void PlacedForAdoption()
    {
        foreach (var row in RowsOf(Ssda903Tables.PlacedForAdoption, INT02, INT12, null))
        {
            Code(R120, row, "REASON_PLACED_CEASED", Ssda903Field.ReasonPlacedCeased, required: false);
            var (placed, ceased, reason) = (Date(row, "DATE_PLACED"), Date(row, "DATE_PLACED_CEASED"), row["REASON_PLACED_CEASED"]);
            if ((row["DATE_PLACED_CEASED"] is null) != (reason is null) && !ReaderReported(row, "DATE_PLACED_CEASED"))
                Add(R119, row, reason is null ? "REASON_PLACED_CEASED" : "DATE_PLACED_CEASED");
            if (placed is { } p && ceased is { } c && p > c) Add(R522, row, "DATE_PLACED");
            if (placed is { } decided && Birth(row) is { } dob && decided < dob) Add(R184, row, "DATE_PLACED");
        }
    }

    void PreviousPermanence()
    {
        foreach (var row in RowsOf(Ssda903Tables.PreviousPermanence, INT07, INT16, INT35))
        {
            Code(R631, row, "PREV_PERM", Ssda903Field.PreviousPermanence, required: false);
            if (row["PREV_PERM"] == "Z1" && (row["DATE_PERM"] ?? row["LA_PERM"]) is not null)
                Add(R635, row, row["DATE_PERM"] is not null ? "DATE_PERM" : "LA_PERM");
        }
    }

    void Missing()
    {
        foreach (var row in RowsOf(Ssda903Tables.Missing, INT04, INT13, null))
        {
            Code(R1006, row, "MISSING", Ssda903Field.MissingType, required: true);
            var (from, to) = (Date(row, "MIS_START"), Date(row, "MIS_END"));
            if (row["MIS_START"] is null && !ReaderReported(row, "MIS_START")) Add(R564, row, "MIS_START");
            if (from is { } f && to is { } t && t < f) Add(R567, row, "MIS_END");
            if (from > end) Add(R570, row, "MIS_START", $"MIS_START is after 31/03/{year}");
            if (from is { } started && Birth(row) is { } dob && started < dob) Add(R586, row, "MIS_START");
        }
    }

    void SocialWorkerEpisodes()
    {
        foreach (var row in RowsOf(Ssda903Tables.SocialWorkerEpisodes, NotInHeader, DobDiffers, null))
        {
            if (row["SW_ID"] is { } id && !id.StartsWith("SW", StringComparison.OrdinalIgnoreCase) && !id.StartsWith("XX", StringComparison.OrdinalIgnoreCase))
                Add(SW02STG1, row, "SW_ID");
            Code(SW13STG1, row, "SW_REASON", Ssda903Field.SwReason, required: false);
        }
    }

    void DeprivationOfLiberty()
    {
        foreach (var row in RowsOf(Ssda903Tables.DeprivationOfLiberty, NotInHeader, DobDiffers, null))
            if (Date(row, "DOLO_START") is { } from && Date(row, "DOLO_END") is { } to && to < from) Add(DoloEndsBeforeStart, row, "DOLO_END");
    }

    /// <summary>Not a DfE table: the LA's list may name more children than the return, so a stranger only warns.</summary>
    void ChildIdentifiers()
    {
        var byChild = new Dictionary<string, SourceRow>(StringComparer.Ordinal);
        var byNumber = new Dictionary<string, List<SourceRow>>(StringComparer.Ordinal);
        foreach (var row in ret.Of(Ssda903Tables.ChildIdentifiers))
        {
            if (row["CHILD"] is not { } child || !headers.ContainsKey(child))
            {
                Add(IdentifierNotInHeader, row, "CHILD");
                continue;
            }
            if (byChild.TryGetValue(child, out var first))
            {
                Add(IdentifierRepeated, row, "CHILD", $"also at {At(first)}");
                continue;
            }
            byChild[child] = row;
            if (row["GP_PRACTICE"] is { Length: > 0 } gp && GpPractice.Normalise(gp) is null) Add(GpPracticeInvalid, row, "GP_PRACTICE");
            if (NhsNumber.Normalise(row["NHS_NUMBER"]) is not { } number || !NhsNumber.IsValid(number))
            {
                Add(NhsNumberInvalid, row, "NHS_NUMBER");
                continue;
            }
            (byNumber.TryGetValue(number, out var rows) ? rows : byNumber[number] = []).Add(row);
        }
        foreach (var rows in byNumber.Values.Where(r => r.Count > 1))
            foreach (var row in rows)
                Add(NhsNumberShared, row, "NHS_NUMBER", $"{rows.Count} children");
    }
}
