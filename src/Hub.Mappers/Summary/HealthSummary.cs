using System.Globalization;
using Hl7.Fhir.Model;
using Hub.Mappers.Identifiers;
using Hub.Mappers.Ssda903.Mapping;

namespace Hub.Mappers.Summary;

/// <summary>Everything the summary of one child is made from; the enforcement point has already decided the obligations.</summary>
/// <param name="Child">The child's Patient.</param>
/// <param name="Records">What the hub holds in the child's compartment (anything else in the list is ignored).</param>
/// <param name="Organisations">Reference Organizations the records may name (LA, ICBs, GP practice, providers); only those referenced go in.</param>
/// <param name="Author">Who writes the document: the hub.</param>
/// <param name="Now">The document's date and the Bundle's timestamp.</param>
public sealed record SummaryRequest(
    Patient Child,
    IReadOnlyList<Resource> Records,
    IReadOnlyList<Organization> Organisations,
    SummaryObligations Obligations,
    string Author,
    DateTimeOffset Now,
    CodeDisplays Displays);

/// <summary>
/// The CLA health summary (contract §6): a FHIR document Bundle whose first entry is a CLAHealthSummary Composition with
/// the eight sections in the contract's order, every reference resolvable inside the Bundle. Pure and deterministic: the
/// same request gives the same Bundle, byte for byte.
/// </summary>
public static class HealthSummary
{
    public const string Profile = Cla.Profile + "CLAHealthSummary";
    public const string Loinc = "http://loinc.org", PatientSummaryCode = "60591-5", PatientSummaryDisplay = "Patient summary Document";
    public const string Title = "Health summary of a child looked after";
    public const string EmptyReasonSystem = "http://terminology.hl7.org/CodeSystem/list-empty-reason";
    public const string ObservationValueSystem = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";
    public const string Redacted = "REDACTED";

    /// <summary>Resource types that describe who and where, never a person's care: a reference to one may keep its display.</summary>
    static readonly HashSet<string> DirectoryTypes = ["Organization", "Practitioner", "PractitionerRole", "Location", "HealthcareService", "Device", "Endpoint"];

    /// <summary>The resource types the summary reads from a compartment; the enforcement point need fetch no others.</summary>
    public static readonly IReadOnlySet<string> ReadsTypes = new HashSet<string>
    {
        "Patient", "EpisodeOfCare", "Observation", "Encounter", "Immunization", "Condition", "CarePlan", "AllergyIntolerance",
        "Flag", "RelatedPerson", "CareTeam", "Consent", "MedicationStatement", "DocumentReference",
    };

    /// <summary>How a section comes out: shown with entries, empty, or withheld.</summary>
    sealed record SectionPlan(SummarySection Definition, bool Withheld, IReadOnlyList<Resource> Entries, int LeftOut, IReadOnlyDictionary<string, string> Roles);

    public static Bundle Build(SummaryRequest request)
    {
        var child = request.Child;
        if (child.Id is null) throw new ArgumentException("The child's Patient needs its id", nameof(request));
        var childKey = Key(child);
        var organisations = request.Organisations.Where(o => o.Id is not null).GroupBy(o => o.Id!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var held = request.Records.Where(r => r.Id is not null && Key(r) != childKey)
            .GroupBy(Key, StringComparer.Ordinal).Select(g => g.First()).ToList();

        var plans = Plan(request, held, organisations);
        var inSections = plans.SelectMany(p => p.Entries).DistinctBy(Key).ToList();
        var included = WithReferencedOrganisations([child, .. inSections], organisations);
        var includedKeys = included.Select(Key).ToHashSet(StringComparer.Ordinal);
        var heldKeys = held.Select(Key).ToHashSet(StringComparer.Ordinal);
        var nhs = child.Identifier.FirstOrDefault(i => i.System == NhsNumber.System)?.Value;

        LinkTarget Resolve(string reference)
        {
            if (reference.StartsWith('#')) return new LinkTarget.Contained();
            // A provider's conditional reference to the child by NHS number is the child; any other person's is not ours to show.
            if (reference.StartsWith("Patient?", StringComparison.Ordinal))
                return nhs is not null && reference.EndsWith("|" + nhs, StringComparison.Ordinal) ? new LinkTarget.Local(FullUrl(child)) : new LinkTarget.Hidden();
            if (DocumentLinks.Split(reference) is not { } target) return new LinkTarget.Named(null, null);
            var key = $"{target.Type}/{target.Id}";
            if (includedKeys.Contains(key)) return new LinkTarget.Local(DocumentLinks.FullUrl(target.Type, target.Id));
            // Held back by the obligations, left out of the summary, or any record about a person (whose display could say
            // what the record is): not even its display may show. Only directory entries may stay named.
            if (heldKeys.Contains(key) || !DirectoryTypes.Contains(target.Type)) return new LinkTarget.Hidden();
            return new LinkTarget.Named(target.Type, target.Id);
        }

        var now = request.Now.ToUniversalTime();
        var leftOut = plans.Sum(p => p.LeftOut);
        var documentId = DocumentLinks.StableUuid(Fingerprint(childKey, now, request.Obligations, included, leftOut));
        var narrative = new SummaryNarrative(request.Displays, code => organisations.TryGetValue(code, out var o) ? o.Name : null);

        var bundle = new Bundle
        {
            Id = documentId.ToString(),
            Identifier = new Identifier("urn:ietf:rfc:3986", "urn:uuid:" + documentId),
            Type = Bundle.BundleType.Document,
            Timestamp = now,
        };
        if (leftOut > 0 && request.Obligations.MarkRedacted)
            bundle.Meta = new Meta { Security = [new Coding(ObservationValueSystem, Redacted, "redacted")] };

        var composition = Composition(child, plans, narrative, request, now, documentId);
        bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = FullUrl(composition), Resource = composition });
        foreach (var r in included)
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = FullUrl(r), Resource = DocumentLinks.Linked(r, Resolve) });
        return bundle;
    }

    static Composition Composition(Patient child, IReadOnlyList<SectionPlan> plans, SummaryNarrative narrative, SummaryRequest request, DateTimeOffset now, Guid documentId) => new()
    {
        Id = DocumentLinks.StableUuid("Composition|" + documentId).ToString(),
        Meta = new Meta { Profile = [Profile] },
        Status = CompositionStatus.Final,
        Type = new CodeableConcept(Loinc, PatientSummaryCode, PatientSummaryDisplay),
        Subject = new ResourceReference(FullUrl(child)),
        DateElement = new FhirDateTime(now),
        Author = [new ResourceReference { Display = request.Author }],
        Title = Title,
        Section = [.. plans.Select(p => Section(p, child, narrative, request.Obligations.MarkRedacted))],
    };

    static Composition.SectionComponent Section(SectionPlan plan, Patient child, SummaryNarrative narrative, bool markRedacted)
    {
        var d = plan.Definition;
        var section = new Composition.SectionComponent
        {
            Title = d.Title,
            Code = new CodeableConcept(SummarySections.System, d.Code, d.Title),
        };
        // Everything left out, and saying so allowed: the section reads as withheld, with no more detail than one withheld whole.
        if (plan.Withheld || plan.Entries.Count == 0 && plan.LeftOut > 0 && markRedacted)
        {
            section.Text = SummaryNarrative.Div([SummaryNarrative.Withheld]);
            section.EmptyReason = new CodeableConcept(EmptyReasonSystem, "withheld", "Information Withheld");
            return section;
        }
        if (plan.Entries.Count == 0)
        {
            // Nothing held, or everything left out silently: the two must read the same.
            section.Text = SummaryNarrative.Div([d.NothingHeld]);
            section.EmptyReason = new CodeableConcept(EmptyReasonSystem, "nilknown", "Nil Known");
            return section;
        }
        var paragraphs = new List<string>();
        if (d.Code == SummarySections.CareStatus && Headline(plan.Entries, child, narrative) is { } headline) paragraphs.Add(headline);
        if (d.Code == SummarySections.HealthAssessments && narrative.LastAssessment(plan.Entries) is { } last) paragraphs.Add(last);
        if (plan.LeftOut > 0 && markRedacted) paragraphs.Add(SummaryNarrative.ItemsExcluded);
        section.Text = SummaryNarrative.Div(paragraphs, [.. plan.Entries.Select(r => narrative.Line(r, plan.Roles.GetValueOrDefault(Key(r))))]);
        section.Entry = [.. plan.Entries.Select(r => new ResourceReference(FullUrl(r)))];
        return section;
    }

    /// <summary>Whether the child is looked after now, and by whom: from the episode the section shows, never from elsewhere.</summary>
    static string? Headline(IReadOnlyList<Resource> entries, Patient child, SummaryNarrative narrative)
    {
        if (entries.OfType<EpisodeOfCare>().FirstOrDefault() is not { } episode) return null;
        var la = narrative.Organisation(episode.ManagingOrganization ?? child.ManagingOrganization);
        return episode.Status == EpisodeOfCare.EpisodeOfCareStatus.Active
            ? $"Looked after by {la}."
            : $"Not looked after now; last looked after by {la} until {SummaryNarrative.Date(episode.Period?.End)}.";
    }

    // ---------------------------------------------------------------- what goes in each section

    static List<SectionPlan> Plan(SummaryRequest request, IReadOnlyList<Resource> held, IReadOnlyDictionary<string, Organization> organisations)
    {
        var o = request.Obligations;
        var candidates = held.Where(r => !Void(r))
            .Select(r => (Resource: r, Section: SummarySections.SectionOf(r)))
            .Where(x => x.Section is not null)
            .GroupBy(x => x.Section!)
            .ToDictionary(g => g.Key, g => Summarised(g.Key, g.Select(x => x.Resource)));
        var contacts = Contacts(request.Child, organisations);
        candidates[SummarySections.Contacts] = [.. contacts.Select(c => (Resource)c.Organisation), .. candidates.GetValueOrDefault(SummarySections.Contacts) ?? []];
        var roles = contacts.ToDictionary(c => Key(c.Organisation), c => c.Role);

        return [.. SummarySections.InOrder.Select(s =>
        {
            if (o.WithheldSections.Contains(s.Code)) return new SectionPlan(s, true, [], 0, roles);
            var all = candidates.GetValueOrDefault(s.Code) ?? [];
            var kept = all.Where(r => !o.LeaveOut(r)).ToList();
            return new SectionPlan(s, false, kept, all.Count - kept.Count, roles);
        })];
    }

    /// <summary>A summary, not the record: the latest episode, the latest value of each outcome, active alerts; every assessment and immunisation.</summary>
    static List<Resource> Summarised(string section, IEnumerable<Resource> resources)
    {
        var list = resources.ToList();
        var latestEpisode = list.OfType<EpisodeOfCare>().OrderByDescending(e => e.Period?.Start, StringComparer.Ordinal).ThenBy(e => e.Id, StringComparer.Ordinal).Take(1);
        var latestObservations = list.OfType<Observation>()
            .GroupBy(ob => string.Join(",", ob.Code.Coding.Select(c => c.System + "|" + c.Code).Order(StringComparer.Ordinal)), StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(SummaryNarrative.Effective, StringComparer.Ordinal).ThenBy(ob => ob.Id, StringComparer.Ordinal).First());
        var rest = list.Where(r => r is not (EpisodeOfCare or Observation));
        var chosen = latestEpisode.Cast<Resource>().Concat(latestObservations).Concat(rest);
        // Newest first; undated ones (a planned assessment) lead, as what comes next.
        return section == SummarySections.Contacts
            ? [.. chosen.OrderBy(r => r.TypeName, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal)]
            : [.. chosen.OrderBy(r => DateOf(r) is null ? 0 : 1).ThenByDescending(DateOf, StringComparer.Ordinal)
                .ThenBy(r => r.TypeName, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal)];
    }

    /// <summary>Records that no longer say anything about the child now: entered in error, cancelled, refuted, inactive alerts.</summary>
    static bool Void(Resource r) => r switch
    {
        Observation o => o.Status is ObservationStatus.EnteredInError or ObservationStatus.Cancelled,
        Encounter e => e.Status is Encounter.EncounterStatus.EnteredInError or Encounter.EncounterStatus.Cancelled,
        EpisodeOfCare e => e.Status is EpisodeOfCare.EpisodeOfCareStatus.EnteredInError or EpisodeOfCare.EpisodeOfCareStatus.Cancelled,
        Immunization i => i.Status == Immunization.ImmunizationStatusCodes.EnteredInError,
        Condition c => c.VerificationStatus?.Coding.Any(x => x.Code is "entered-in-error" or "refuted") == true,
        AllergyIntolerance a => a.VerificationStatus?.Coding.Any(x => x.Code is "entered-in-error" or "refuted") == true,
        CarePlan p => p.Status is RequestStatus.EnteredInError or RequestStatus.Revoked,
        MedicationStatement m => m.Status is MedicationStatement.MedicationStatusCodes.EnteredInError,
        DocumentReference d => d.Status is DocumentReferenceStatus.EnteredInError or DocumentReferenceStatus.Superseded,
        Flag f => f.Status != Flag.FlagStatus.Active,
        CareTeam t => t.Status is CareTeam.CareTeamStatus.EnteredInError or CareTeam.CareTeamStatus.Inactive,
        RelatedPerson p => p.Active == false,
        _ => false,
    };

    /// <summary>Who to contact: the LA looking after the child, its ICB (the designated professionals), the GP practice.</summary>
    static List<(Organization Organisation, string Role)> Contacts(Patient child, IReadOnlyDictionary<string, Organization> organisations)
    {
        var found = new List<(Organization, string)>();
        void Add(ResourceReference? r, string role)
        {
            if (r?.Reference is { } s && DocumentLinks.Split(s) is { Type: "Organization" } t && organisations.TryGetValue(t.Id, out var org) && found.All(f => f.Item1 != org))
                found.Add((org, role));
        }
        Add(child.ManagingOrganization, "Local authority looking after the child");
        if (child.ManagingOrganization?.Reference is { } la && DocumentLinks.Split(la) is { } laKey && organisations.TryGetValue(laKey.Id, out var laOrg))
            Add(laOrg.PartOf, "Responsible ICB (designated professionals for children looked after)");
        foreach (var gp in child.GeneralPractitioner) Add(gp, "GP practice");
        return found;
    }

    /// <summary>The resources plus the Organizations they name (and those name, e.g. an LA's ICB), when the request has them.</summary>
    static List<Resource> WithReferencedOrganisations(List<Resource> resources, IReadOnlyDictionary<string, Organization> organisations)
    {
        var keys = resources.Select(Key).ToHashSet(StringComparer.Ordinal);
        var added = new List<Organization>();
        var queue = new Queue<Resource>(resources);
        while (queue.TryDequeue(out var r))
        {
            foreach (var reference in DocumentLinks.ReferenceElements(r).Select(x => x.Reference).OfType<string>())
            {
                if (DocumentLinks.Split(reference) is not { Type: "Organization" } t || !organisations.TryGetValue(t.Id, out var org)) continue;
                if (!keys.Add(Key(org))) continue;
                added.Add(org);
                queue.Enqueue(org);
            }
        }
        return [.. resources, .. added.OrderBy(o => o.Id, StringComparer.Ordinal)];
    }

    static string? DateOf(Resource r) => r switch
    {
        EpisodeOfCare e => e.Period?.Start,
        Observation o => SummaryNarrative.Effective(o),
        Encounter e => e.Period?.Start,
        Immunization i => SummaryNarrative.OccurrenceOf(i),
        Flag f => f.Period?.Start,
        Condition c => c.RecordedDate ?? (c.Onset as FhirDateTime)?.Value,
        AllergyIntolerance a => a.RecordedDate,
        CarePlan p => p.Period?.Start ?? p.Created,
        MedicationStatement m => SummaryNarrative.EffectiveOf(m),
        DocumentReference d => d.Date?.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture),
        _ => null,
    };

    static string Fingerprint(string childKey, DateTimeOffset now, SummaryObligations o, IEnumerable<Resource> included, int leftOut) =>
        string.Join("\n", [
            "CLAHealthSummary", childKey, now.ToString("O", CultureInfo.InvariantCulture), o.MarkRedacted ? "mark" : "silent",
            string.Join(",", o.WithheldSections.Order(StringComparer.Ordinal)), leftOut.ToString(CultureInfo.InvariantCulture),
            .. included.Select(r => $"{Key(r)}/{r.Meta?.VersionId}")]);

    static string Key(Resource r) => $"{r.TypeName}/{r.Id}";

    static string FullUrl(Resource r) => DocumentLinks.FullUrl(r.TypeName, r.Id!);
}
