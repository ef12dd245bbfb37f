using Hl7.Fhir.Model;
using Hub.Mappers.Identifiers;

namespace Hub.Mappers.Ssda903.Mapping;

/// <summary>Where the mapping happens: the LA, the collection year, and how to place a postcode in an ICB.</summary>
public sealed record MappingContext(string La, int Year, string? LaIcb, Func<string, string?> IcbOfPostcodePrefix, Func<string, string, bool>? IsValidCode = null)
{
    /// <summary>A code the return's year accepts for this field; an unknown one is left out (the checker has warned about it).</summary>
    public bool Valid(string field, string code) => IsValidCode?.Invoke(field, code) ?? true;
}

/// <summary>One child of a return as CLA FHIR resources; references to the child use <c>Patient/{PatientId}</c>.</summary>
public sealed record MappedChild(Patient Patient, IReadOnlyList<EpisodeOfCare> Episodes, IReadOnlyList<Observation> Observations);

/// <summary>SSDA903 rows of one child → CLAPatient, CLAEpisodeOfCare, CLAOutcomeObservation, CLACareLeaverObservation. Pure.</summary>
public static class ChildMapper
{
    public static MappedChild Map(ChildRecord c, string patientId, MappingContext ctx)
    {
        var patient = MapPatient(c, ctx);
        patient.Id = patientId;
        var subject = new ResourceReference($"Patient/{patientId}");
        var episodes = c.Episodes.Select(e => MapEpisode(c.ChildId, e, subject, ctx)).ToList();
        var observations = new List<Observation>();
        if (c.Oc2 is not null) observations.AddRange(MapOc2(c.ChildId, c.Oc2, subject, ctx));
        if (c.Oc3 is not null) observations.AddRange(MapOc3(c, c.Oc3, subject, ctx));
        return new MappedChild(patient, episodes, observations);
    }

    public static Patient MapPatient(ChildRecord c, MappingContext ctx)
    {
        var h = c.Header;
        var p = new Patient
        {
            Meta = new Meta { Profile = [Cla.Profile + "CLAPatient"] },
            Identifier = [new Identifier(Cla.ChildIdSystem(ctx.La), c.ChildId)],
            BirthDate = h["DOB"],
            Gender = h["SEX"] switch
            {
                "1" or "M" => AdministrativeGender.Male,
                "2" or "F" => AdministrativeGender.Female,
                "U" => AdministrativeGender.Unknown,
                _ => null,
            },
            ManagingOrganization = new ResourceReference($"Organization/{ctx.La}"),
        };
        if (NhsNumber.Normalise(c.NhsNumber) is { } nhs && NhsNumber.IsValid(nhs)) p.Identifier.Add(new Identifier(NhsNumber.System, nhs));
        if (GpPractice.Normalise(c.GpPractice) is { } practice)
            p.GeneralPractitioner.Add(new ResourceReference($"Organization/{practice}") { Identifier = new Identifier(GpPractice.OdsSystem, practice) });
        if (h["UPN"] is { } upn && UpnPattern.IsMatch(upn)) p.Identifier.Add(new Identifier(Cla.UpnSystem, upn));
        if (h["ETHNIC"] is { } ethnic && ctx.Valid("ethnicity", ethnic))
            p.Extension.Add(new Extension(Cla.Extension("cla-ethnicity"), new CodeableConcept(Cla.Ssda903("ethnicity"), ethnic)));
        if (c.Uasc is not null) p.Extension.Add(new Extension(Cla.Extension("cla-uasc"), new FhirBoolean(true)));
        return p;
    }

    /// <summary>A real UPN (rule 168); the UN1–UN5 "no UPN" codes and malformed values are not identifiers.</summary>
    static readonly System.Text.RegularExpressions.Regex UpnPattern = new("^[A-HJ-NP-RT-Z]([0-9]{12}|[0-9]{11}[A-Z])$");

    public static string EpisodeKey(string child, string decom) => $"{child}/{decom}";

    public static EpisodeOfCare MapEpisode(string child, SourceRow e, ResourceReference subject, MappingContext ctx)
    {
        var open = e["DEC"] is null;
        var ep = new EpisodeOfCare
        {
            Meta = new Meta { Profile = [Cla.Profile + "CLAEpisodeOfCare"] },
            Identifier = [new Identifier(Cla.EpisodeIdSystem(ctx.La), EpisodeKey(child, e["DECOM"]!))],
            Status = open ? EpisodeOfCare.EpisodeOfCareStatus.Active : EpisodeOfCare.EpisodeOfCareStatus.Finished,
            Patient = subject,
            ManagingOrganization = new ResourceReference($"Organization/{ctx.La}"),
            Period = new Period { Start = e["DECOM"], End = e["DEC"] },
        };
        void Code(string extension, string field, string? value)
        {
            if (value is not null && ctx.Valid(field, value)) ep.Extension.Add(new Extension(Cla.Extension(extension), new Coding(Cla.Ssda903(field), value)));
        }
        Code("cla-legal-status", "legal-status", e["LS"]);
        Code("cla-placement-type", "placement-type", e["PLACE"]);
        Code("cla-placement-provider", "placement-provider", e["PLACE_PROVIDER"]);
        Code("cla-reason-new-episode", "reason-new-episode", e["RNE"]);
        // A REC on an open episode is ignored (decisions.md): the episode has not ended.
        if (!open) Code("cla-reason-episode-ceased", "reason-episode-ceased", e["REC"]);
        Code("cla-reason-place-change", "reason-place-change", e["REASON_PLACE_CHANGE"]);
        Code("cla-category-of-need", "category-of-need", e["CIN"]);
        var placement = Placement.Locate(e["PL_POST"], ctx.IcbOfPostcodePrefix, ctx.LaIcb);
        if (placement.PostcodeDistrict is { } district) ep.Extension.Add(new Extension(Cla.Extension("cla-placement-postcode-district"), new FhirString(district)));
        if (placement.Icb is { } icb)
        {
            ep.Extension.Add(new Extension(Cla.Extension("cla-placement-icb"), new ResourceReference($"Organization/{icb}")));
            ep.Extension.Add(new Extension(Cla.Extension("cla-placement-located-by"), new Code(placement.Method)));
        }
        if (e["URN"] is { } urn) ep.Extension.Add(new Extension(Cla.Extension("cla-urn"), new FhirString(urn)));
        return ep;
    }

    /// <summary>The facts an episode gives for the child's care status.</summary>
    public static EpisodeFacts FactsOf(EpisodeOfCare e) => new(
        Day(e.Period?.Start ?? throw new ArgumentException("An episode has a start")),
        e.Period?.End is { } end ? Day(end) : null,
        (e.GetExtensionValue<Coding>(Cla.Extension("cla-reason-episode-ceased")))?.Code,
        (e.GetExtensionValue<Coding>(Cla.Extension("cla-legal-status")))?.Code ?? "",
        (e.GetExtensionValue<ResourceReference>(Cla.Extension("cla-placement-icb")))?.Reference?.Split('/').Last());

    /// <summary>
    /// The day of a FHIR date or dateTime: what the import maps is always a full date, but an episode written through
    /// REST may give a time ("2026-01-10T09:00:00Z") or only a month.
    /// </summary>
    public static DateOnly Day(string fhirDate) => TryDay(fhirDate, out var day) ? day : throw new FormatException($"'{fhirDate}' is not a FHIR date");

    public static bool TryDay(string? fhirDate, out DateOnly day)
    {
        var s = fhirDate?.Trim() ?? "";
        s = s.Length >= 10 ? s[..10] : s.Length == 7 ? s + "-01" : s.Length == 4 ? s + "-01-01" : s;
        return DateOnly.TryParseExact(s, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out day);
    }

    static readonly (string Column, string Code)[] Oc2Flags =
    [
        ("CONVICTED", "convicted"), ("HEALTH_CHECK", "health-check-under-5"), ("IMMUNISATIONS", "immunisations-up-to-date"),
        ("TEETH_CHECK", "dental-check-up-to-date"), ("HEALTH_ASSESSMENT", "health-assessment-up-to-date"),
        ("SUBSTANCE_MISUSE", "substance-misuse"), ("INTERVENTION_RECEIVED", "substance-misuse-intervention-received"),
        ("INTERVENTION_OFFERED", "substance-misuse-intervention-offered"),
    ];

    /// <summary>OC2: one Observation per item the LA reported, dated 31 March of the collection year.</summary>
    public static IEnumerable<Observation> MapOc2(string child, SourceRow oc2, ResourceReference subject, MappingContext ctx)
    {
        var date = $"{ctx.Year}-03-31";
        Observation Make(string code, DataType value) => new()
        {
            Meta = new Meta { Profile = [Cla.Profile + "CLAOutcomeObservation"] },
            Identifier = [new Identifier(Cla.ObservationIdSystem(ctx.La), $"{child}/{ctx.Year}/{code}")],
            Status = ObservationStatus.Final,
            Code = new CodeableConcept(Cla.HealthSystem, code),
            Subject = subject,
            Effective = new FhirDateTime(date),
            Performer = [new ResourceReference($"Organization/{ctx.La}")],
            Value = value,
        };
        if (oc2["SDQ_SCORE"] is { } score && int.TryParse(score, out var s)) yield return Make("sdq-total-score", new Integer(s));
        if (oc2["SDQ_REASON"] is { } reason && ctx.Valid("sdq-reason", reason)) yield return Make("sdq-reason", new CodeableConcept(Cla.Ssda903("sdq-reason"), reason));
        foreach (var (column, code) in Oc2Flags)
            if (oc2[column] is "0" or "1") yield return Make(code, new FhirBoolean(oc2[column] == "1"));
    }

    /// <summary>OC3: the care leaver's in-touch, activity and accommodation, dated their birthday in the collection year.</summary>
    public static IEnumerable<Observation> MapOc3(ChildRecord c, SourceRow oc3, ResourceReference subject, MappingContext ctx)
    {
        var dob = c.BirthDate;
        var birthday = new DateOnly(ctx.Year - 1, dob.Month, Math.Min(dob.Day, DateTime.DaysInMonth(ctx.Year - 1, dob.Month)));
        if (birthday < new DateOnly(ctx.Year - 1, 4, 1)) birthday = new DateOnly(ctx.Year, dob.Month, Math.Min(dob.Day, DateTime.DaysInMonth(ctx.Year, dob.Month)));
        foreach (var (column, item, field) in new[] { ("IN_TOUCH", "in-touch", "in-touch"), ("ACTIV", "activity", "activity"), ("ACCOM", "accommodation", "accommodation") })
        {
            if (oc3[column] is not { } value || !ctx.Valid(field, value)) continue;
            yield return new Observation
            {
                Meta = new Meta { Profile = [Cla.Profile + "CLACareLeaverObservation"] },
                Identifier = [new Identifier(Cla.ObservationIdSystem(ctx.La), $"{c.ChildId}/{ctx.Year}/{item}")],
                Status = ObservationStatus.Final,
                Code = new CodeableConcept(Cla.CareLeaverSystem, item),
                Subject = subject,
                Effective = new FhirDateTime(birthday.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
                Performer = [new ResourceReference($"Organization/{ctx.La}")],
                Value = new CodeableConcept(Cla.Ssda903(field), value),
            };
        }
    }

    /// <summary>The three CLA flags as they stand for a child; inactive ones keep their history.</summary>
    public static IReadOnlyList<Flag> Flags(string child, string patientId, CareStatus status, MappingContext ctx, DateOnly today)
    {
        var subject = new ResourceReference($"Patient/{patientId}");
        Flag Make(string code, bool active, string? start, string? end, bool snomed = false)
        {
            var concept = new CodeableConcept(Cla.FlagSystem, code);
            if (snomed) concept.Coding.Add(new Coding(Cla.Snomed, Cla.SnomedLookedAfterChild, "Looked after child"));
            return new Flag
            {
                Meta = new Meta { Profile = [Cla.Profile + "CLAFlag"] },
                Identifier = [new Identifier(Cla.FlagIdSystem(ctx.La), $"{child}/{code}")],
                Status = active ? Flag.FlagStatus.Active : Flag.FlagStatus.Inactive,
                Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/flag-category", "admin", "Administrative")],
                Code = concept,
                Subject = subject,
                // A start the return does not give (a care leaver known only by OC3) is the collection year's first day,
                // not the import's: the same return imported on another day must change nothing.
                Period = new Period { Start = start ?? D(new DateOnly(ctx.Year - 1, 4, 1)), End = active ? null : end },
                Author = new ResourceReference($"Organization/{ctx.La}"),
            };
        }
        static string? D(DateOnly? d) => d?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        return
        [
            Make(Cla.Flags.LookedAfter, status.LookedAfter, D(status.LookedAfterSince ?? status.CeasedCare), D(status.CeasedCare), snomed: true),
            Make(Cla.Flags.CareLeaver, status.CareLeaver, D(status.CeasedCare), D(status.EligibleUntil ?? status.CeasedCare)),
            Make(Cla.Flags.PlacedOutOfArea, status.PlacedOutOfArea, D(status.PlacementStart ?? status.LastPlacementEnded), D(status.LastPlacementEnded)),
        ];
    }
}
