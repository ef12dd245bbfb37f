using System.Reflection;
using static Hub.Mappers.Ssda903.IssueSeverity;

namespace Hub.Mappers.Ssda903.Checking;

/// <summary>
/// One check the hub runs on a return: the DfE rule it implements (Code, as in reference/dfe903-rules; null for
/// the hub's own checks), what it costs (Error quarantines the child, Warning blocks nothing: decisions.md
/// "SSDA903 details"), the DfE wording, and one line on what exactly is checked (RULES.md).
/// </summary>
public sealed record Ssda903Rule(string? Code, IssueSeverity Severity, string Message, string Checks)
{
    /// <summary>An issue on a row: "{DfE wording} ({detail})", rule code in ImportIssue.Rule, the row's child.</summary>
    public ImportIssue At(SourceRow row, string? column, string? detail = null) =>
        At(row.File, row.Row, column, row.Child, detail);

    public ImportIssue At(string file, int row, string? column, string child, string? detail = null) =>
        new(Severity, file, row, column, Code, detail is null ? Message : $"{Message} ({detail})", child);
}

/// <summary>The checks of the reader and the checker. RULES.md is this list as a table.</summary>
public static class Ssda903Rules
{
    // Errors: what cannot be mapped faithfully quarantines the child (decisions.md).
    public static readonly Ssda903Rule ChildBlank = new(null, Error, "CHILD is blank, so the row belongs to no child", "header: CHILD blank (rows of other tables with a blank CHILD fall under INT01–INT09)");
    public static readonly Ssda903Rule INT32 = new("INT32", Error, "Internal Check: Child should only exist once in Header", "header: the same CHILD on more than one row");
    public static readonly Ssda903Rule R199 = new("199", Error, "Episode information shows child has been previously adopted from care", "a CHILD whose record an earlier return sealed (adopted, REC E11/E12) appears again");
    public static readonly Ssda903Rule R102 = new("102", Error, "Date of birth is not a valid date", "header: DOB blank or not a real dd/mm/yyyy date");
    public static readonly Ssda903Rule R301 = new("301", Error, "Date of birth falls after the year ended", "header: DOB after 31 March of the collection year");
    public static readonly Ssda903Rule R141 = new("141", Error, "Date episode began is not a valid date", "episodes: DECOM blank or not a real date");
    public static readonly Ssda903Rule R147 = new("147", Error, "Date episode ceased is not a valid date", "episodes: DEC given but not a real date");
    public static readonly Ssda903Rule R302 = new("302", Error, "First episode starts before child was born", "episodes: DECOM before the header DOB");
    public static readonly Ssda903Rule R353 = new("353", Error, "No episode submitted can start before 14 October 1991", "episodes: DECOM before 14/10/1991");
    public static readonly Ssda903Rule R356 = new("356", Error, "The date the episode ceased is before the date the same episode started", "episodes: DEC before DECOM");
    public static readonly Ssda903Rule R143 = new("143", Error, "The reason for new episode code is not a valid code", "episodes: RNE blank or not in the year's reason-new-episode list");
    public static readonly Ssda903Rule R144 = new("144", Error, "The legal status code is not a valid code", "episodes: LS blank or not in the year's legal-status list");
    public static readonly Ssda903Rule R146 = new("146", Error, "Placement type code is not a valid code", "episodes: PLACE blank or not in the year's placement-type list (K3 from 2025, Z11–Z14 from 2026)");
    public static readonly Ssda903Rule R149 = new("149", Error, "Reason episode ceased code is not valid", "episodes: REC given and not in the year's reason-episode-ceased list");
    public static readonly Ssda903Rule R501 = new("501", Error, "A new episode has started before the end date of the previous episode", "episodes: a child's episodes overlap (DECOM before an earlier episode's DEC, or two with the same DECOM)");
    public static readonly Ssda903Rule R142 = new("142", Error, "A new episode has started, but the previous episode has not ended", "episodes: an open episode (DEC blank) followed by another, so more than one is open");
    public static readonly Ssda903Rule INT01 = new("INT01", Error, "Data Integrity Check: Child in AD1 does not exist in Header", "ad1: CHILD not in header");
    public static readonly Ssda903Rule INT02 = new("INT02", Error, "Internal Check: Child in PlacedAdoption does not exist in Header", "placed_for_adoption: CHILD not in header");
    public static readonly Ssda903Rule INT03 = new("INT03", Error, "Internal Check: Child in Episodes does not exist in Header", "episodes: CHILD not in header");
    public static readonly Ssda903Rule INT04 = new("INT04", Error, "Internal Check: Child in Missing does not exist in Header", "missing: CHILD not in header");
    public static readonly Ssda903Rule INT05 = new("INT05", Error, "Internal Check: Child in OC2 does not exist in Header", "oc2: CHILD not in header");
    public static readonly Ssda903Rule INT06 = new("INT06", Error, "Internal Check: Child in OC3 does not exist in Header", "oc3: CHILD not in header");
    public static readonly Ssda903Rule INT07 = new("INT07", Error, "Internal Check: Child in PrevPerm does not exist in Header", "previous_permanence: CHILD not in header");
    public static readonly Ssda903Rule INT08 = new("INT08", Error, "Internal Check: Child in Reviews does not exist in Header", "reviews: CHILD not in header");
    public static readonly Ssda903Rule INT09 = new("INT09", Error, "Internal Check: Child in UASC does not exist in Header", "uasc: CHILD not in header");
    public static readonly Ssda903Rule NotInHeader = new(null, Error, "Child does not exist in Header", "sw_episodes, dolo: CHILD not in header");

    // Warnings: every other breach is reported and the child imported.
    public static readonly Ssda903Rule IdentifierNotInHeader = new(null, Warning, "Child in child_identifiers does not exist in Header; the NHS number is not linked", "child_identifiers: CHILD not in header (the list may cover more children than the return)");
    public static readonly Ssda903Rule NhsNumberInvalid = new(null, Warning, "NHS_NUMBER is not a valid NHS number (10 digits, modulus 11 check digit); it is not linked", "child_identifiers: NHS_NUMBER fails the modulus 11 check");
    public static readonly Ssda903Rule IdentifierRepeated = new(null, Warning, "Child should only exist once in child_identifiers; the first row is used", "child_identifiers: the same CHILD on more than one row");
    public static readonly Ssda903Rule GpPracticeInvalid = new(null, Warning, "GP_PRACTICE is not a GP practice's ODS code (a letter and five digits); the registration is not recorded", "child_identifiers: GP_PRACTICE is not an ODS practice code");
    public static readonly Ssda903Rule NhsNumberShared = new(null, Warning, "The same NHS number is given for more than one child; it is linked to none of them", "child_identifiers: one NHS_NUMBER for two CHILD ids");
    public static readonly Ssda903Rule UnreadableValue = new(null, Warning, "A value cannot be read", "any table: a date, flag, number or postcode that cannot be read and has no DfE rule of its own");
    public static readonly Ssda903Rule DobDiffers = new(null, Warning, "DOB is different to DOB in Header", "sw_episodes, dolo: DOB differs from the header");
    public static readonly Ssda903Rule DoloEndsBeforeStart = new(null, Warning, "The date the deprivation of liberty order ended is before the date it started", "dolo: DOLO_END before DOLO_START");

    public static readonly Ssda903Rule R101 = new("101", Warning, "Gender code is not valid", "header, uasc: SEX blank or not in the year's sex list (1/2 until 2024, M/F/U from 2025)");
    public static readonly Ssda903Rule R103 = new("103", Warning, "The ethnicity code is either not valid or has not been entered", "header: ETHNIC blank or not in the ethnicity list");
    public static readonly Ssda903Rule R168 = new("168", Warning, "Unique Pupil Number (UPN) is not valid. If unknown, default codes should be UN1, UN2, UN3, UN4 or UN5", "header: UPN neither a letter (not I, O, S) and 12 digits (or 11 and a letter) nor an upn-unknown code");
    public static readonly Ssda903Rule R442 = new("442", Warning, "Unique Pupil Number (UPN) field is not completed", "header: UPN blank");
    public static readonly Ssda903Rule R165 = new("165", Warning, "Data entry for mother status is invalid", "header: MOTHER not 0/1, or MOTHER given for a male child");
    public static readonly Ssda903Rule R174 = new("174", Warning, "Mother's child date of birth is recorded but sex shows that the child is a male", "header: MC_DOB given for a male child");
    public static readonly Ssda903Rule R611 = new("611", Warning, "Date of birth field is blank, but child is a mother", "header: MOTHER 1 and MC_DOB blank");
    public static readonly Ssda903Rule R612 = new("612", Warning, "Date of birth field has been completed but mother field indicates child is not a mother", "header: MC_DOB given and MOTHER not 1");
    public static readonly Ssda903Rule R620 = new("620", Warning, "Child has been recorded as a mother, but date of birth shows that the mother is under 11 years of age", "header: MOTHER 1 and the child under 11 at the start of the year");
    public static readonly Ssda903Rule R621 = new("621", Warning, "Mother’s field has been completed but date of birth shows that the mother is younger than her child", "header: MC_DOB before DOB");
    public static readonly Ssda903Rule R171 = new("171", Warning, "Date of birth of mother's child is not a valid date", "header: MC_DOB not a real date (ignored)");

    public static readonly Ssda903Rule R145 = new("145", Warning, "Category of need code is not a valid code", "episodes: CIN blank or not in the category-of-need list");
    public static readonly Ssda903Rule R148 = new("148", Warning, "Date episode ceased and reason episode ceased must both be coded, or both left blank", "episodes: REC without DEC (the episode stays open and the REC is ignored), or DEC without REC");
    public static readonly Ssda903Rule R355 = new("355", Warning, "Episode appears to have lasted for less than 24 hours", "episodes: DEC equal to DECOM");
    public static readonly Ssda903Rule R354 = new("354", Warning, "Date episode ceased must be on or before the end of the current collection year", "episodes: DECOM after 31 March of the collection year");
    public static readonly Ssda903Rule R385 = new("385", Warning, "Date episode ceased must be on or before the end of the current collection year", "episodes: DEC after 31 March of the collection year");
    public static readonly Ssda903Rule R178 = new("178", Warning, "Placement provider code is not a valid code", "episodes: PLACE_PROVIDER given and not in the placement-provider list");
    public static readonly Ssda903Rule R213 = new("213", Warning, "Placement provider information not required", "episodes: PLACE_PROVIDER given for T0–T4, Z1, Z11–Z14");
    public static readonly Ssda903Rule R526 = new("526", Warning, "Child is missing a placement provider code for at least one episode", "episodes: PLACE_PROVIDER blank for a placement other than T0–T4, Z1, Z11–Z14");
    public static readonly Ssda903Rule R527 = new("527", Warning, "A placement provider code of PR1 cannot be associated with placements P1, R2 or R5", "episodes: PR1 with P1, R2, R5");
    public static readonly Ssda903Rule R528 = new("528", Warning, "A placement provider code of PR2 cannot be associated with placements P1, R2 or R5", "episodes: PR2 with P1, R2, R5");
    public static readonly Ssda903Rule R529 = new("529", Warning, "Placement provider code of PR3 cannot be associated with placements P1, A3 to A6, K1, K2 and U1 to U6 as these placements cannot be provided by other public organisations", "episodes: PR3 with P1, A3–A6, K1, K2, U1–U6");
    public static readonly Ssda903Rule R530 = new("530", Warning, "A placement provider code of PR4 cannot be associated with placement P1", "episodes: PR4 with P1");
    public static readonly Ssda903Rule R531 = new("531", Warning, "A placement provider code of PR5 cannot be associated with placements P1", "episodes: PR5 with P1");
    public static readonly Ssda903Rule R550 = new("550", Warning, "A placement provider code of PR0 can only be associated with placement P1", "episodes: PR0 with anything but P1");
    public static readonly Ssda903Rule R1009 = new("1009", Warning, "Reason for placement change is not a valid code", "episodes: REASON_PLACE_CHANGE given and not in the reason-place-change list");
    public static readonly Ssda903Rule R392c = new("392c", Warning, "Postcode(s) provided are invalid", "episodes: HOME_POST or PL_POST not a postcode, district or sector (ignored)");
    public static readonly Ssda903Rule R392d = new("392d", Warning, "Home and placement postcodes should not be same unless the placement type is P1", "episodes: HOME_POST equal to PL_POST and PLACE not P1");
    public static readonly Ssda903Rule R214 = new("214", Warning, "Placement location information not required", "episodes: PL_POST or URN given for LS V3/V4");
    public static readonly Ssda903Rule R222 = new("222", Warning, "Ofsted Unique reference number (URN) should not be recorded for this placement type", "episodes: URN other than XXXXXXX for H5, P1–P3, R1, R2, R5, T0–T4, Z1, Z11–Z14");
    public static readonly Ssda903Rule R1008 = new("1008", Warning, "Ofsted Unique Reference Number (URN) is not valid", "episodes: URN neither SC and 6 digits, 7 digits, nor XXXXXXX (format only: the Ofsted register is not consulted)");
    public static readonly Ssda903Rule R352 = new("352", Warning, "Child who started to be looked after was aged 18 or over", "episodes: RNE S on or after the 18th birthday");
    public static readonly Ssda903Rule R371 = new("371", Warning, "Child in supported accomodation not subject to children’s homes regulations should be at least 16", "episodes: H5 or K3 starting before the 16th birthday");
    public static readonly Ssda903Rule R372 = new("372", Warning, "Child in youth custody or prison should be at least 10", "episodes: R5 starting before the 10th birthday");
    public static readonly Ssda903Rule R373 = new("373", Warning, "Child placed in a school should be at least 4 years old", "episodes: S1 starting before the 4th birthday");
    public static readonly Ssda903Rule R374 = new("374", Warning, "Child in residential employment should be at least 14 years old", "episodes: P3 starting before the 14th birthday");
    public static readonly Ssda903Rule R380 = new("380", Warning, "A period of care cannot start with a temporary placement", "episodes: RNE S with PLACE T0–T4");

    public static readonly Ssda903Rule R104 = new("104", Warning, "Date for Unaccompanied Asylum-Seeking Children (UASC) status ceased is not a valid date", "uasc: DUC not a real date (ignored)");
    public static readonly Ssda903Rule R105 = new("105", Warning, "Data entry for Unaccompanied Asylum-Seeking Children (UASC) status of child is invalid or has not been completed", "XML: HEADER/UASC not 0/1 (ignored)");
    public static readonly Ssda903Rule R304 = new("304", Warning, "Date unaccompanied asylum-seeking child (UASC) status ceased must be on or before the 18th birthday of a child", "uasc: DUC after the 18th birthday");
    public static readonly Ssda903Rule INT18 = new("INT18", Warning, "Internal Check: DOB in UASC is different to DOB in Header", "uasc: DOB differs from the header");
    public static readonly Ssda903Rule INT21 = new("INT21", Warning, "Internal Check: SEX in UASC is different to SEX in Header", "uasc: SEX differs from the header");
    public static readonly Ssda903Rule INT36 = new("INT36", Warning, "Internal Check: Child should only exist once in UASC", "uasc: the same CHILD on more than one row");

    public static readonly Ssda903Rule R166 = new("166", Warning, "Date of review is invalid or blank", "reviews: REVIEW blank or not a real date");
    public static readonly Ssda903Rule R167 = new("167", Warning, "Data entry for participation is invalid or blank", "reviews: REVIEW_CODE blank or not in the review-code list");
    public static readonly Ssda903Rule R440 = new("440", Warning, "Participation method indicates child was under 4 years old at the time of the review, but date of birth and review date indicates the child was 4 years old or over", "reviews: PN0 for a child aged 4 or over at the review");
    public static readonly Ssda903Rule R441 = new("441", Warning, "Participation method indicates child was 4 years old or over at the time of the review, but the date of birth and review date indicates the child was under 4 years old", "reviews: PN1–PN7 for a child under 4 at the review");
    public static readonly Ssda903Rule INT17 = new("INT17", Warning, "Internal Check: DOB in Reviews is different to DOB in Header", "reviews: DOB differs from the header");

    public static readonly Ssda903Rule R180 = new("180", Warning, "Data entry for the strengths and difficulties questionnaire (SDQ) score is invalid", "oc2: SDQ_SCORE not a whole number from 0 to 40");
    public static readonly Ssda903Rule R181 = new("181", Warning, "Data items relating to children looked after continuously for 12 months should be completed with a 0 or 1", "oc2: a flag that is not 0/1 (ignored)");
    public static readonly Ssda903Rule R196 = new("196", Warning, "Strengths and Difficulties (SDQ) reason is not a valid code", "oc2: SDQ_REASON given and not in the sdq-reason list");
    public static readonly Ssda903Rule R197a = new("197a", Warning, "Reason for no Strengths and Difficulties (SDQ) score is not required if Strengths and Difficulties Questionnaire score is filled in", "oc2: both SDQ_SCORE and SDQ_REASON");
    public static readonly Ssda903Rule R188 = new("188", Warning, "Child is aged under 4 years at the end of the year, but a Strengths and Difficulties (SDQ) score or a reason for no SDQ score has been completed", "oc2: SDQ_SCORE or SDQ_REASON for a child under 4 at 31 March");
    public static readonly Ssda903Rule R189 = new("189", Warning, "Child is aged 17 years or over at the beginning of the year, but an Strengths and Difficulties (SDQ) score or a reason for no Strengths and Difficulties (SDQ) score has been completed", "oc2: SDQ_SCORE or SDQ_REASON for a child 17 or over on 1 April");
    public static readonly Ssda903Rule R542 = new("542", Warning, "A child aged under 10 at 31 March should not have conviction information completed", "oc2: CONVICTED for a child under 10 at 31 March");
    public static readonly Ssda903Rule R546 = new("546", Warning, "Children aged 5 or over at 31 March should not have health promotion information completed", "oc2: HEALTH_CHECK for a child 5 or over at 31 March");
    public static readonly Ssda903Rule R158 = new("158", Warning, "If a child has been recorded as receiving an intervention for their substance misuse problem, then the additional item on whether an intervention was offered should be left blank", "oc2: INTERVENTION_RECEIVED 1 and INTERVENTION_OFFERED given");
    public static readonly Ssda903Rule R159 = new("159", Warning, "If a child has been recorded as not receiving an intervention for their substance misuse problem, then the additional item on whether an intervention was offered should be completed as well", "oc2: SUBSTANCE_MISUSE 1, INTERVENTION_RECEIVED 0 and INTERVENTION_OFFERED blank");
    public static readonly Ssda903Rule R192 = new("192", Warning, "Child has been identified as having a substance misuse problem but the additional item on whether an intervention was received has been left blank", "oc2: SUBSTANCE_MISUSE 1 and INTERVENTION_RECEIVED blank");
    public static readonly Ssda903Rule R193 = new("193", Warning, "Child not identified as having a substance misuse problem but at least one of the two additional items on whether an intervention were offered and received have been completed", "oc2: SUBSTANCE_MISUSE 0 and an INTERVENTION item given");
    public static readonly Ssda903Rule INT14 = new("INT14", Warning, "Internal Check: DOB in OC2 is different to DOB in Header", "oc2: DOB differs from the header");
    public static readonly Ssda903Rule INT33 = new("INT33", Warning, "Internal Check: Child should only exist once in OC2", "oc2: the same CHILD on more than one row");

    public static readonly Ssda903Rule R131 = new("131", Warning, "Data entry for being in touch after leaving care is invalid", "oc3: IN_TOUCH given and not in the in-touch list");
    public static readonly Ssda903Rule R132 = new("132", Warning, "Data entry for activity after leaving care is invalid", "oc3: ACTIV given and not in the year's activity list");
    public static readonly Ssda903Rule R133 = new("133", Warning, "Data entry for accommodation after leaving care is invalid. If reporting on a childs accommodation after leaving care the data entry must be valid", "oc3: ACCOM given and not in the accommodation list");
    public static readonly Ssda903Rule R153 = new("153", Warning, "All data items relating to a child's activity or accommodation after leaving care must be coded or left blank", "oc3: some but not all of IN_TOUCH, ACTIV, ACCOM");
    public static readonly Ssda903Rule R344 = new("344", Warning, "The record shows the young person has died or returned home to live with parent(s) or someone with parental responsibility for a continuous period of 6 months or more, but activity and/or accommodation on leaving care have been completed", "oc3: IN_TOUCH DIED or RHOM with ACTIV or ACCOM other than 0");
    public static readonly Ssda903Rule R345 = new("345", Warning, "The data collection record shows the local authority is in touch with this young person, but activity and/or accommodation data items are zero", "oc3: IN_TOUCH YES with ACTIV or ACCOM 0");
    public static readonly Ssda903Rule R391 = new("391", Warning, "Young person was not 17, 18, 19, 20 or 21 during the current collection year", "oc3: no 17th–21st birthday in the collection year");
    public static readonly Ssda903Rule INT15 = new("INT15", Warning, "Internal Check: DOB in OC3 is different to DOB in Header", "oc3: DOB differs from the header");
    public static readonly Ssda903Rule INT34 = new("INT34", Warning, "Internal Check: Child should only exist once in OC3", "oc3: the same CHILD on more than one row");

    public static readonly Ssda903Rule R112 = new("112", Warning, "Date should be placed for adoption is not a valid date", "ad1: DATE_INT not a real date (ignored)");
    public static readonly Ssda903Rule R113 = new("113", Warning, "Date matching child and adopter(s) is not a valid date", "ad1: DATE_MATCH not a real date (ignored)");
    public static readonly Ssda903Rule R114 = new("114", Warning, "Data entry to record the status of former carer(s) of an adopted child is invalid", "ad1: FOSTER_CARE not 0/1 (ignored)");
    public static readonly Ssda903Rule R175 = new("175", Warning, "The number of adopter(s) code is not a valid code", "ad1: NB_ADOPTR not 1 or 2");
    public static readonly Ssda903Rule R176 = new("176", Warning, "The gender of adopter(s) at the date of adoption code is not a valid code", "ad1: SEX_ADOPTR given and not in the adopter-sex list");
    public static readonly Ssda903Rule R177 = new("177", Warning, "The legal status of adopter(s) code is not a valid code", "ad1: LS_ADOPTR given and not in the adopter-legal-status list");
    public static readonly Ssda903Rule R151 = new("151", Warning, "All data items relating to a childs adoption must be coded or left blank", "ad1: some but not all of DATE_INT, DATE_MATCH, FOSTER_CARE, NB_ADOPTR, SEX_ADOPTR, LS_ADOPTR");
    public static readonly Ssda903Rule INT11 = new("INT11", Warning, "Internal Check: DOB in AD1 is different to DOB in Header", "ad1: DOB differs from the header");
    public static readonly Ssda903Rule INT31 = new("INT31", Warning, "Internal Check: Child should only exist once in AD1", "ad1: the same CHILD on more than one row");

    public static readonly Ssda903Rule R115 = new("115", Warning, "Date of Local Authority's (LA) decision that a child should be placed for adoption is not a valid date", "placed_for_adoption: DATE_PLACED not a real date (ignored)");
    public static readonly Ssda903Rule R116 = new("116", Warning, "Date of Local Authority's (LA) decision that a child should no longer be placed for adoption is not a valid date", "placed_for_adoption: DATE_PLACED_CEASED not a real date (ignored)");
    public static readonly Ssda903Rule R119 = new("119", Warning, "If the decision is made that a child should no longer be placed for adoption, then the date of this decision and the reason why this decision was made must be completed", "placed_for_adoption: one of DATE_PLACED_CEASED, REASON_PLACED_CEASED without the other");
    public static readonly Ssda903Rule R120 = new("120", Warning, "The reason for the reversal of the decision that the child should be placed for adoption code is not valid", "placed_for_adoption: REASON_PLACED_CEASED given and not in the reason-placed-ceased list");
    public static readonly Ssda903Rule R522 = new("522", Warning, "Date of decision that the child should be placed for adoption must be on or before the date that a child should no longer be placed for adoption", "placed_for_adoption: DATE_PLACED after DATE_PLACED_CEASED");
    public static readonly Ssda903Rule R184 = new("184", Warning, "Date of decision that a child should be placed for adoption is before the child was born", "placed_for_adoption: DATE_PLACED before DOB");
    public static readonly Ssda903Rule INT12 = new("INT12", Warning, "Internal Check: DOB in PlacedAdoption is different to DOB in Header", "placed_for_adoption: DOB differs from the header");

    public static readonly Ssda903Rule R631 = new("631", Warning, "Previous permanence option not a valid value", "previous_permanence: PREV_PERM given and not in the previous-permanence list");
    public static readonly Ssda903Rule R632 = new("632", Warning, "Date of previous permanence order not a valid value", "previous_permanence: DATE_PERM not a date or a zz partial date (ignored)");
    public static readonly Ssda903Rule R635 = new("635", Warning, "There are entries for date of order and local authority code where previous permanence option was arranged but previous permanence code is Z1", "previous_permanence: PREV_PERM Z1 with DATE_PERM or LA_PERM");
    public static readonly Ssda903Rule INT16 = new("INT16", Warning, "Internal Check: DOB in PrevPerm is different to DOB in Header", "previous_permanence: DOB differs from the header");
    public static readonly Ssda903Rule INT35 = new("INT35", Warning, "Internal Check: Child should only exist once in PrevPerm", "previous_permanence: the same CHILD on more than one row");

    public static readonly Ssda903Rule R1004 = new("1004", Warning, "The start date of the missing episode or episode that the child was away from placement without authorisation is not a valid date", "missing: MIS_START not a real date (ignored)");
    public static readonly Ssda903Rule R1005 = new("1005", Warning, "The end date of the missing episode or episode that the child was away from placement without authorisation is not a valid date", "missing: MIS_END not a real date (ignored)");
    public static readonly Ssda903Rule R1006 = new("1006", Warning, "Missing type invalid", "missing: MISSING blank or not in the missing-type list");
    public static readonly Ssda903Rule R564 = new("564", Warning, "Child was missing or away from placement without authorisation and the date started is blank", "missing: MIS_START blank");
    public static readonly Ssda903Rule R567 = new("567", Warning, "The date that the missing episode or episode that the child was away from placement without authorisation ended is before the date that it started", "missing: MIS_END before MIS_START");
    public static readonly Ssda903Rule R570 = new("570", Warning, "The date that the child started to be missing or away from placement without authorisation is after the end of the collection year", "missing: MIS_START after 31 March of the collection year");
    public static readonly Ssda903Rule R586 = new("586", Warning, "Dates of missing periods are before child’s date of birth", "missing: MIS_START before DOB");
    public static readonly Ssda903Rule INT13 = new("INT13", Warning, "Internal Check: DOB in Missing is different to DOB in Header", "missing: DOB differs from the header");

    public static readonly Ssda903Rule SW02STG1 = new("SW02STG1", Warning, "Social worker ID does not begin with the characters ‘SW’ or ‘XX’", "sw_episodes: SW_ID not starting SW or XX");
    public static readonly Ssda903Rule SW04STG1 = new("SW04STG1", Warning, "Date social worker episode began is not a valid date", "sw_episodes: SW_DECOM not a real date (ignored)");
    public static readonly Ssda903Rule SW05STG1 = new("SW05STG1", Warning, "Date social worker episode began is not a valid date", "sw_episodes: SW_DEC not a real date (ignored; the DfE wording says \"began\")");
    public static readonly Ssda903Rule SW13STG1 = new("SW13STG1", Warning, "The reason for social worker change is either not valid or has not been entered", "sw_episodes: SW_REASON given and not in the sw-reason list");

    /// <summary>Every rule above, in declaration order.</summary>
    public static IReadOnlyList<Ssda903Rule> All { get; } =
        [.. typeof(Ssda903Rules).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.FieldType == typeof(Ssda903Rule)).Select(f => (Ssda903Rule)f.GetValue(null)!)];
}
