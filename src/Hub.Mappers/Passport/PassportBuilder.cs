using Hl7.Fhir.Model;
using Hub.Mappers.Identifiers;
using Hub.Mappers.Ssda903.Mapping;
using Hub.Mappers.Summary;

namespace Hub.Mappers.Passport;

/// <summary>One look at the child's record from the AuditEvents: when, which organisation (code and type) and why.</summary>
public sealed record RecordAccess(DateTimeOffset When, string OrgCode, string OrgType, string Purpose);

/// <summary>Where the young person stands with their LA today (the hub's facts about the child, not a record).</summary>
public sealed record CareStanding(bool LookedAfter, DateOnly? CareLeaverUntil);

/// <summary>Everything one passport is made from; the enforcement point has already decided the obligations and masked the records.</summary>
/// <param name="Records">What the caller may be given of the child's compartment (anything else in the list is ignored).</param>
/// <param name="Organisations">Reference Organizations: the LA, its ICB, the GP practice, providers, and those that looked at the record.</param>
/// <param name="Accesses">Looks at the record from the AuditEvents, in any order; the builder groups, orders and caps them.</param>
public sealed record PassportRequest(
    Patient Child,
    IReadOnlyList<Resource> Records,
    IReadOnlyList<Organization> Organisations,
    SummaryObligations Obligations,
    CareStanding Standing,
    IReadOnlyList<RecordAccess> Accesses,
    ImmunisationSchedule Schedule,
    CareLeaverOffers Offers,
    CodeDisplays Displays,
    DateTimeOffset Now);

/// <summary>
/// The health passport (issue 6 part 3): a second view over the records the summary releases, written for the young person
/// ("you", short sentences), not for a clinician. Pure and deterministic. It applies the same obligations as `$summary`:
/// a part whose summary section is withheld says only that it is not shown; single records held back are left out.
/// </summary>
public static class PassportBuilder
{
    public const string Title = "Your health passport";
    /// <summary>How many looks at the record the passport lists; the rest are in the audit, for whoever may read it.</summary>
    public const int AccessesShown = 20;
    public const string WithheldText = "This part is not shown in your passport. Ask your personal adviser or your GP if you want to know more.";
    public const string SomeLeftOut = "Some records are not shown here.";

    /// <summary>Purposes whose very mention could tell the young person of a concern held for review (consent.md §3, row 14).</summary>
    static readonly HashSet<string> SafeguardingPurposes = ["safeguarding"];

    public static HealthPassport Build(PassportRequest request) => new Writer(request).Passport();

    sealed class Writer(PassportRequest r)
    {
        readonly DateOnly today = DateOnly.FromDateTime(r.Now.UtcDateTime);
        readonly Dictionary<string, Organization> organisations = r.Organisations.Where(o => o.Id is not null)
            .GroupBy(o => o.Id!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        readonly List<Resource> held = [.. r.Records.Where(x => x is not Patient && x.Id is not null && !Void(x))];
        SummaryObligations O => r.Obligations;

        public HealthPassport Passport()
        {
            var la = OrganisationId(r.Child.ManagingOrganization);
            var icb = la is not null && organisations.TryGetValue(la, out var laOrg) ? OrganisationId(laOrg.PartOf) : null;
            var gp = r.Child.GeneralPractitioner.Select(OrganisationId).FirstOrDefault(c => c is not null);
            return new HealthPassport(Title,
                "This is a summary of your health records held in CareHub, written for you. It is yours to keep. " +
                "Take it with you when you see a new GP, dentist or nurse.",
                [
                    AboutYou(la),
                    Guarded("contacts", "Who to contact", SummarySections.Contacts, () => Contacts(la, icb, gp)),
                    Guarded("gp", "Your GP", SummarySections.Contacts, () => GpRegistration(gp)),
                    Guarded("immunisations", "Your immunisations", SummarySections.Immunisations, Immunisations),
                    Guarded("health-checks", "Your health checks", SummarySections.HealthAssessments, HealthChecks),
                    Guarded("dental-checks", "Your dental checks", SummarySections.Dental, DentalChecks),
                    Guarded("health-needs", "Your health needs and what helps", SummarySections.HealthNeeds, HealthNeeds),
                    FreeCare(icb),
                    WhoHasLooked(),
                ],
                [
                    $"Made by CareHub on {SummaryNarrative.Date(today.ToString("yyyy-MM-dd"))} from the records it holds about you. " +
                    "If something is wrong or missing, tell your personal adviser or your GP.",
                    $"Immunisation schedule: {r.Schedule.Source} (checked {Date(r.Schedule.Checked)}). {r.Schedule.Note}",
                ]);
        }

        PassportSection Guarded(string id, string heading, string summarySection, Func<List<PassportBlock>> blocks)
        {
            if (O.WithheldSections.Contains(summarySection)) return new PassportSection(id, heading, [new PassportParagraph(WithheldText)], Withheld: true);
            var content = blocks();
            // Saying that single records were left out is allowed only where the decision marks withholding (MARK_WITHHELD).
            if (O.MarkRedacted && held.Any(x => SummarySections.SectionOf(x) == summarySection && O.LeaveOut(x) && Speaks(id, x)))
                content.Add(new PassportParagraph(SomeLeftOut));
            return new PassportSection(id, heading, content);
        }

        /// <summary>Whether a record is of a kind this part of the passport would have shown (contacts and GP show none).</summary>
        static bool Speaks(string sectionId, Resource x) => sectionId switch
        {
            "immunisations" => x is Immunization || x is Observation,
            "health-checks" or "dental-checks" => x is Encounter || x is Observation,
            "health-needs" => x is Condition or AllergyIntolerance or MedicationStatement or CarePlan,
            _ => false,
        };

        IEnumerable<T> Kept<T>(string section) where T : Resource =>
            held.OfType<T>().Where(x => SummarySections.SectionOf(x) == section && !O.LeaveOut(x));

        // ------------------------------------------------------------ about you

        PassportSection AboutYou(string? la)
        {
            var facts = new List<PassportFact>();
            if (Name(r.Child) is { } name) facts.Add(new("Name", name));
            facts.Add(new("Date of birth", r.Child.BirthDate is { } dob ? SummaryNarrative.Date(dob) : "not recorded"));
            if (r.Child.Identifier.FirstOrDefault(i => i.System == NhsNumber.System)?.Value is { Length: 10 } nhs)
                facts.Add(new("NHS number", $"{nhs[..3]} {nhs[3..6]} {nhs[6..]}"));
            var blocks = new List<PassportBlock> { new PassportFacts(facts) };
            // The care status is legal-status data: said only when the summary would show its section.
            if (!O.WithheldSections.Contains(SummarySections.CareStatus))
            {
                var laName = OrganisationName(la) ?? "your local authority";
                if (r.Standing.LookedAfter) blocks.Add(new PassportParagraph($"You are looked after by {laName}."));
                else if (r.Standing.CareLeaverUntil is { } until && until >= today)
                    blocks.Add(new PassportParagraph($"You are a care leaver. {laName} supports you until {Date(until)}."));
            }
            blocks.Add(new PassportParagraph("Your NHS number is the same everywhere in the NHS. Give it when you register with a GP or dentist."));
            return new PassportSection("about-you", "About you", blocks);
        }

        // ------------------------------------------------------------ contacts and GP

        List<PassportBlock> Contacts(string? la, string? icb, string? gp)
        {
            var items = new List<string>();
            var laName = OrganisationName(la);
            if (laName is not null)
            {
                items.Add(r.Standing.LookedAfter
                    ? $"Your social worker at {laName}."
                    : $"Your personal adviser in the leaving care team at {laName}. They can help you with health appointments, prescriptions, dentists and registering with a GP.");
                items.Add($"{laName}: the local authority that {(r.Standing.LookedAfter ? "looks" : "looked")} after you.");
            }
            if (OrganisationName(icb) is { } icbName)
                items.Add($"The designated nurse for children looked after at {icbName}. They make sure children in care and care leavers get the health care they need.");
            if (OrganisationName(gp) is { } gpName) items.Add($"Your GP practice: {gpName}.");
            items.Add("NHS 111 (call 111 or go to 111.nhs.uk) when you need medical help fast and it is not an emergency. In an emergency, call 999.");
            return [new PassportList(items)];
        }

        List<PassportBlock> GpRegistration(string? gp) =>
            OrganisationName(gp) is { } name
                ? [new PassportParagraph($"You are registered with {name} ({gp}). Your GP keeps your full health record.")]
                : [new PassportParagraph("No GP practice is recorded for you in CareHub. You can register with a GP near where you live: " +
                    "ask your personal adviser, or find a GP on the NHS website. You do not need proof of address or ID to register.")];

        // ------------------------------------------------------------ immunisations

        List<PassportBlock> Immunisations()
        {
            var blocks = new List<PassportBlock>();
            var given = Kept<Immunization>(SummarySections.Immunisations)
                .Where(i => i.Status == Immunization.ImmunizationStatusCodes.Completed)
                .OrderBy(i => SummaryNarrative.OccurrenceOf(i) ?? "", StringComparer.Ordinal).ThenBy(i => i.Id, StringComparer.Ordinal).ToList();
            if (given.Count == 0) blocks.Add(new PassportParagraph("No immunisations are recorded for you in CareHub."));
            else blocks.Add(new PassportTable("Immunisations recorded", ["Vaccine", "Date given"],
                [.. given.Select(i => (IReadOnlyList<string>)[VaccineName(i), SummaryNarrative.Date(SummaryNarrative.OccurrenceOf(i))])]));

            if (Latest(Kept<Observation>(SummarySections.Immunisations), "immunisations-up-to-date") is { } reported)
                blocks.Add(new PassportParagraph($"Your local authority's yearly return for {SummaryNarrative.Date(SummaryNarrative.Effective(reported))} " +
                    $"said your immunisations were {(YesNo(reported) == true ? "up to date" : "not up to date")}."));

            if (r.Child.BirthDate is not { Length: >= 10 } dobText || !DateOnly.TryParse(dobText[..10], System.Globalization.CultureInfo.InvariantCulture, out var dob))
            {
                blocks.Add(new PassportParagraph("Your date of birth is not recorded, so this passport cannot say which immunisations are due."));
                return blocks;
            }
            var counts = given.Select(i => r.Schedule.Of(VaccineText(i))?.Key).OfType<string>()
                .GroupBy(k => k, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var (complete, missing, coming) = (new List<string>(), new List<string>(), new List<string>());
            foreach (var v in r.Schedule.Vaccines)
            {
                var doses = v.Doses.Where(d => d.AppliesTo(dob)).ToList();
                var due = doses.Where(d => d.DueOn(dob) <= today).ToList();
                var recorded = counts.GetValueOrDefault(v.Key);
                if (due.Count > 0 && recorded >= due.Count) complete.Add($"{v.Name}: {Doses(due.Count)} recorded.");
                else if (due.Count > 0)
                    missing.Add($"{v.Name}: {recorded} of {Doses(due.Count)} recorded (usually given at {string.Join(", ", due.Select(d => d.When))}). " +
                        (v.CatchUp ?? "Ask your GP whether you had it."));
                var next = doses.FirstOrDefault(d => d.DueOn(dob) > today);
                if (next is not null) coming.Add($"{v.Name}: at {next.When}, from {Date(next.DueOn(dob))}.");
            }
            blocks.Add(new PassportParagraph("The NHS offers these vaccines to everyone at set ages. Here is what is recorded in CareHub against the routine schedule for your age."));
            if (complete.Count > 0) { blocks.Add(new PassportParagraph("Recorded:")); blocks.Add(new PassportList(complete)); }
            if (missing.Count > 0)
            {
                blocks.Add(new PassportParagraph("Not recorded in CareHub. This does not mean you did not have them: they may be in your GP record."));
                blocks.Add(new PassportList(missing));
            }
            if (coming.Count > 0) { blocks.Add(new PassportParagraph("Coming up:")); blocks.Add(new PassportList(coming)); }
            return blocks;
        }

        static string Doses(int n) => n == 1 ? "1 dose" : $"{n} doses";

        string VaccineName(Immunization i) => r.Displays.Of(i.VaccineCode) is { Length: > 0 } s ? s : "Vaccine not named";

        /// <summary>Every name the record gives the vaccine: its text and each coding's display, for the schedule to match.</summary>
        string VaccineText(Immunization i) =>
            string.Join(" | ", new[] { i.VaccineCode?.Text }.Concat(i.VaccineCode?.Coding.Select(r.Displays.Of) ?? []).OfType<string>());

        // ------------------------------------------------------------ health and dental checks

        List<PassportBlock> HealthChecks()
        {
            var blocks = new List<PassportBlock>();
            var assessments = Kept<Encounter>(SummarySections.HealthAssessments)
                .Where(e => HealthCode(e) is Cla.Assessments.Initial or Cla.Assessments.Review).ToList();
            var done = assessments.Where(e => e.Status == Encounter.EncounterStatus.Finished && e.Period?.Start is not null)
                .OrderByDescending(e => e.Period!.Start, StringComparer.Ordinal).FirstOrDefault();
            if (done is not null)
            {
                var what = HealthCode(done) == Cla.Assessments.Initial ? "your first health assessment after coming into care" : "a review of your health";
                blocks.Add(new PassportParagraph($"Your last health assessment was on {SummaryNarrative.Date(done.Period!.Start)}: {what}{By(done.ServiceProvider)}."));
            }
            else if (Latest(Kept<Observation>(SummarySections.HealthAssessments), "health-assessment-up-to-date") is { } reported)
                blocks.Add(new PassportParagraph($"No dated health assessment is recorded. Your local authority's yearly return for " +
                    $"{SummaryNarrative.Date(SummaryNarrative.Effective(reported))} said your health assessment was {(YesNo(reported) == true ? "up to date" : "not up to date")}."));
            else blocks.Add(new PassportParagraph("No health assessment is recorded for you in CareHub."));
            // Dated plans first, the soonest; a plan with no date yet still says one is coming.
            var planned = assessments.Where(e => e.Status == Encounter.EncounterStatus.Planned)
                .OrderBy(e => e.Period?.Start is null ? 1 : 0).ThenBy(e => e.Period?.Start ?? "", StringComparer.Ordinal).FirstOrDefault();
            if (planned is not null) blocks.Add(new PassportParagraph(planned.Period?.Start is { } on
                ? $"Your next health assessment is planned for {SummaryNarrative.Date(on)}."
                : "Your next health assessment is planned. The date is not fixed yet."));
            blocks.Add(new PassportParagraph(r.Standing.LookedAfter
                ? "While you are in care you have a health assessment every year (every 6 months if you are under 5)."
                : "You can ask your GP for a health check at any time."));
            return blocks;
        }

        List<PassportBlock> DentalChecks()
        {
            var blocks = new List<PassportBlock>();
            var done = Kept<Encounter>(SummarySections.Dental)
                .Where(e => e.Status == Encounter.EncounterStatus.Finished && e.Period?.Start is not null)
                .OrderByDescending(e => e.Period!.Start, StringComparer.Ordinal).FirstOrDefault();
            var observations = Kept<Observation>(SummarySections.Dental).ToList();
            var reported = Latest(observations, "dental-check-up-to-date") ?? Latest(observations, "dental-check");
            if (done is not null) blocks.Add(new PassportParagraph($"Your last dental check was on {SummaryNarrative.Date(done.Period!.Start)}{By(done.ServiceProvider)}."));
            else if (reported is not null)
                blocks.Add(new PassportParagraph($"No dated dental check is recorded. Your local authority's yearly return for " +
                    $"{SummaryNarrative.Date(SummaryNarrative.Effective(reported))} said your dental check was {(YesNo(reported) == true ? "up to date" : "not up to date")}."));
            else blocks.Add(new PassportParagraph("No dental check is recorded for you in CareHub."));
            blocks.Add(new PassportParagraph("It is a good idea to see a dentist regularly. Your personal adviser or carer can help you find an NHS dentist."));
            return blocks;
        }

        string By(ResourceReference? provider) => OrganisationName(OrganisationId(provider)) is { } name ? $", by {name}" : "";

        static string? HealthCode(Encounter e) =>
            e.Type.SelectMany(t => t.Coding).FirstOrDefault(c => c.System == Cla.HealthSystem)?.Code;

        static Observation? Latest(IEnumerable<Observation> observations, string code) =>
            observations.Where(o => o.Code.Coding.Any(c => c.System == Cla.HealthSystem && c.Code == code))
                .OrderByDescending(o => SummaryNarrative.Effective(o) ?? "", StringComparer.Ordinal).ThenBy(o => o.Id, StringComparer.Ordinal).FirstOrDefault();

        static bool? YesNo(Observation o) => o.Value switch
        {
            FhirBoolean b => b.Value,
            CodeableConcept c => c.Coding.Any(x => x.Code is "Y" or "1" or "true" or "yes" or "373066001"),
            _ => null,
        };

        // ------------------------------------------------------------ health needs

        List<PassportBlock> HealthNeeds()
        {
            var blocks = new List<PassportBlock>();
            var section = SummarySections.HealthNeeds;
            void Part(string intro, IEnumerable<string> items)
            {
                var list = items.Where(s => s.Length > 0).ToList();
                if (list.Count == 0) return;
                blocks.Add(new PassportParagraph(intro));
                blocks.Add(new PassportList(list));
            }
            Part("Health conditions recorded:", Kept<Condition>(section).Where(c => Current(c.ClinicalStatus))
                .OrderBy(c => c.RecordedDate ?? "", StringComparer.Ordinal).Select(c => Or(r.Displays.Of(c.Code), "A condition (not named)")));
            Part("Allergies and intolerances:", Kept<AllergyIntolerance>(section).Where(a => Current(a.ClinicalStatus))
                .Select(a => Or(r.Displays.Of(a.Code), "An allergy (not named)")));
            Part("Medicines you take:", Kept<MedicationStatement>(section)
                .Where(m => m.Status is MedicationStatement.MedicationStatusCodes.Active or MedicationStatement.MedicationStatusCodes.Intended)
                .Select(m => Or(r.Displays.Of(m.Medication as CodeableConcept), "A medicine (not named)")));
            Part("What helps (your health plan):", Kept<CarePlan>(section).Where(p => p.Status == RequestStatus.Active)
                .Select(p => (p.Title ?? Or(string.Join(", ", p.Category.Select(r.Displays.Of)), "Your care plan"))
                    + (p.Description is { Length: > 0 } d ? $": {d}" : "")));
            if (blocks.Count == 0) blocks.Add(new PassportParagraph("No health needs are recorded for you in CareHub."));
            return blocks;
        }

        static bool Current(CodeableConcept? status) =>
            status is null || status.Coding.Any(c => c.Code is "active" or "recurrence" or "relapse");

        static string Or(string s, string otherwise) => string.IsNullOrWhiteSpace(s) ? otherwise : s;

        // ------------------------------------------------------------ free prescriptions and dental care

        PassportSection FreeCare(string? icb)
        {
            var (prescriptions, dental, checkedOn) = r.Offers.For(icb, OrganisationName(icb));
            return new PassportSection("free-care", "Free prescriptions and dental care",
            [
                new PassportParagraph("Prescriptions: " + prescriptions),
                new PassportParagraph("Dental care: " + dental),
                new PassportParagraph($"This information was checked on {Date(checkedOn)}."),
            ]);
        }

        // ------------------------------------------------------------ who has looked

        PassportSection WhoHasLooked()
        {
            // A look for safeguarding is itself safeguarding data: where the decision holds that class back, so is the look.
            var hideSafeguarding = O.WithheldSections.Contains(SummarySections.Alerts);
            var looks = r.Accesses.Where(a => !(hideSafeguarding && SafeguardingPurposes.Contains(a.Purpose)))
                .GroupBy(a => (Day: DateOnly.FromDateTime(a.When.UtcDateTime), a.OrgCode, a.OrgType, a.Purpose))
                .Select(g => (g.Key, Latest: g.Max(a => a.When), Times: g.Count()))
                .OrderByDescending(g => g.Latest).ThenBy(g => g.Key.OrgCode, StringComparer.Ordinal).ThenBy(g => g.Key.Purpose, StringComparer.Ordinal)
                .ToList();
            var blocks = new List<PassportBlock>
            {
                new PassportParagraph("CareHub keeps a record every time someone looks at your health record. Here are the most recent, newest first."),
            };
            if (looks.Count == 0) blocks.Add(new PassportParagraph("No one has looked at your record through CareHub yet."));
            else blocks.Add(new PassportTable("Who has looked at your record", ["Date", "Who", "Type", "Why"],
                [.. looks.Take(AccessesShown).Select(g => (IReadOnlyList<string>)[
                    Date(g.Key.Day) + (g.Times > 1 ? $" ({g.Times} times)" : ""),
                    g.Key.OrgType == "young-person" ? "You" : OrganisationName(g.Key.OrgCode) is { } n ? $"{n} ({g.Key.OrgCode})" : g.Key.OrgCode,
                    OrgTypeText(g.Key.OrgType),
                    PurposeText(g.Key.Purpose)])]));
            if (looks.Count > AccessesShown)
                blocks.Add(new PassportParagraph($"Only the {AccessesShown} most recent are shown. Ask your personal adviser if you want the full list."));
            return new PassportSection("who-has-looked", "Who has looked at your record", blocks);
        }

        static string OrgTypeText(string type) => type switch
        {
            "la" => "Local authority",
            "icb" => "NHS integrated care board",
            "gp" => "GP practice",
            "provider" => "NHS health service",
            "young-person" => "Young person",
            "hub" => "Another CareHub",
            _ => type,
        };

        static string PurposeText(string purpose) => purpose switch
        {
            "direct-care" => "To care for your health",
            "statutory-health-assessment" => "For your health assessment",
            "care-leaver-support" => "To support you as a care leaver",
            "own-record" => "To see your own record",
            "safeguarding" => "To keep you safe",
            "break-glass" => "In an emergency",
            _ => purpose,
        };

        // ------------------------------------------------------------ helpers

        static string? OrganisationId(ResourceReference? reference) =>
            reference?.Reference is { } s ? DocumentLinks.Split(s) is { Type: "Organization" } t ? t.Id : null : reference?.Identifier?.Value;

        string? OrganisationName(string? code) => code is null ? null : organisations.TryGetValue(code, out var o) ? o.Name ?? code : null;

        static string Date(DateOnly d) => d.ToString("d MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture);

        static string? Name(Patient p) =>
            p.Name.Where(n => n.Use is null or HumanName.NameUse.Official or HumanName.NameUse.Usual)
                .Select(n => n.Text ?? string.Join(" ", n.Given.Append(n.Family).Where(x => !string.IsNullOrEmpty(x))))
                .FirstOrDefault(s => s.Length > 0);

        /// <summary>Records that say nothing about the young person now.</summary>
        static bool Void(Resource x) => x switch
        {
            Observation o => o.Status is ObservationStatus.EnteredInError or ObservationStatus.Cancelled,
            Encounter e => e.Status is Encounter.EncounterStatus.EnteredInError or Encounter.EncounterStatus.Cancelled,
            Immunization i => i.Status == Immunization.ImmunizationStatusCodes.EnteredInError,
            Condition c => c.VerificationStatus?.Coding.Any(v => v.Code is "entered-in-error" or "refuted") == true,
            AllergyIntolerance a => a.VerificationStatus?.Coding.Any(v => v.Code is "entered-in-error" or "refuted") == true,
            CarePlan p => p.Status is RequestStatus.EnteredInError or RequestStatus.Revoked,
            MedicationStatement m => m.Status == MedicationStatement.MedicationStatusCodes.EnteredInError,
            _ => false,
        };
    }
}
