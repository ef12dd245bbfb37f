using System.Text.Json.Nodes;

namespace Hub.Consent.Enforcement;

/// <summary>
/// What each mask of policy.v1.json "masks" keeps, per resource type (reference/consent.md §3.5, the cells that name a
/// view). A type a mask has no entry for is withheld under that mask. Choosing a view may look at the resource (an ended
/// episode is history); null withholds it.
/// </summary>
static class MaskViews
{
    const string Sd = "https://fhir.carehub.org.uk/StructureDefinition/";
    const string CareLeaverSystem = "https://fhir.carehub.org.uk/CodeSystem/cla-care-leaver";
    const string FlagSystem = "https://fhir.carehub.org.uk/CodeSystem/cla-flag";

    // ---- the parts views are made of

    /// <summary>The episode's care and legal status (D7): never location.</summary>
    static readonly string[] EpisodeStatusExtensions =
        [Sd + "cla-legal-status", Sd + "cla-reason-new-episode", Sd + "cla-reason-episode-ceased", Sd + "cla-category-of-need"];
    /// <summary>How the child is placed (placement type and provider, why it changed): the living arrangement, not where.</summary>
    static readonly string[] PlacementKindExtensions = [Sd + "cla-placement-type", Sd + "cla-placement-provider", Sd + "cla-reason-place-change"];
    static readonly string[] Episode = ["identifier", "status", "statusHistory", "type", "patient", "managingOrganization", "period"];

    static readonly string[] PatientIdentity = ["identifier", "active", "name", "gender", "birthDate", "deceased[x]", "managingOrganization", "generalPractitioner"];
    static readonly string[] PatientExtensions = [Sd + "cla-ethnicity", Sd + "cla-uasc"];
    static readonly string[] AddressWithoutStreet = ["use", "type", "city", "district", "state", "country", "period"];

    /// <summary>The fact of an assessment or plan: when, its status, who provided it, what kind. Never its content.</summary>
    static readonly Dictionary<string, MaskView> Fact = new()
    {
        ["Encounter"] = MaskView.Keep(["identifier", "status", "statusHistory", "class", "type", "serviceType", "subject", "episodeOfCare", "period", "length", "serviceProvider"]),
        ["Observation"] = MaskView.Keep(["identifier", "status", "category", "code", "subject", "effective[x]", "issued", "performer"]),
        ["CarePlan"] = MaskView.Keep(["identifier", "status", "intent", "category", "subject", "period", "created", "author"]),
        ["DocumentReference"] = MaskView.Keep(["identifier", "status", "docStatus", "type", "category", "subject", "date", "author", "custodian",
            "content.attachment.contentType", "content.attachment.creation", "content.format", "context.period", "context.facilityType", "context.practiceSetting"]),
    };

    /// <summary>The actions of a health plan: what is to be done, by whom, when.</summary>
    static readonly string[] PlanActions = ["identifier", "status", "intent", "category", "title", "subject", "period", "created", "author",
        "activity.reference", "activity.detail.kind", "activity.detail.code", "activity.detail.status", "activity.detail.doNotPerform",
        "activity.detail.scheduled[x]", "activity.detail.location", "activity.detail.performer", "activity.detail.product[x]",
        "activity.detail.dailyAmount", "activity.detail.quantity", "activity.detail.description"];

    /// <summary>A safeguarding record reduced to the flag: that it exists, what it is, since when (CP-IS shows no more).</summary>
    static readonly Dictionary<string, string[]> FlagOnly = new()
    {
        ["Flag"] = ["identifier", "status", "category", "code", "subject", "period"],
        ["Condition"] = ["identifier", "clinicalStatus", "verificationStatus", "category", "code", "subject", "onset[x]", "abatement[x]", "recordedDate"],
        ["Observation"] = ["identifier", "status", "category", "code", "subject", "effective[x]"],
        ["CarePlan"] = ["identifier", "status", "intent", "category", "subject", "period"],
    };
    /// <summary>Who to contact about it: the LA (or its worker) that raised or holds it.</summary>
    static readonly Dictionary<string, string[]> LaContact = new()
    {
        ["Flag"] = ["author"], ["Condition"] = ["asserter", "recorder"], ["Observation"] = ["performer"], ["CarePlan"] = ["author"],
    };

    /// <summary>A summary of a record: what, when, its status and outcome; no notes, reasons, reactions, detail or free text.</summary>
    static readonly Dictionary<string, MaskView> Summary = new()
    {
        ["Patient"] = MaskView.Keep(PatientIdentity, PatientExtensions, CurrentOnly),
        ["Immunization"] = MaskView.Keep(["identifier", "status", "statusReason", "vaccineCode", "patient", "occurrence[x]", "recorded", "primarySource", "performer",
            "protocolApplied.series", "protocolApplied.targetDisease", "protocolApplied.doseNumber[x]", "protocolApplied.seriesDoses[x]"]),
        ["Observation"] = MaskView.Keep(["identifier", "status", "category", "code", "subject", "effective[x]", "issued", "performer", "value[x]", "dataAbsentReason",
            "component.code", "component.value[x]", "component.dataAbsentReason"]),
        ["Condition"] = MaskView.Keep(["identifier", "clinicalStatus", "verificationStatus", "category", "severity", "code", "subject", "onset[x]", "abatement[x]", "recordedDate"]),
        ["AllergyIntolerance"] = MaskView.Keep(["identifier", "clinicalStatus", "verificationStatus", "type", "category", "criticality", "code", "patient",
            "onset[x]", "recordedDate", "lastOccurrence", "reaction.manifestation", "reaction.severity"]),
        ["MedicationStatement"] = MaskView.Keep(["identifier", "status", "category", "medication[x]", "subject", "effective[x]", "dateAsserted"]),
        ["Flag"] = MaskView.Keep(["identifier", "status", "category", "code", "subject", "period", "author"]),
        ["CareTeam"] = MaskView.Keep(["identifier", "status", "category", "name", "subject", "period", "managingOrganization",
            "participant.role", "participant.member", "participant.onBehalfOf", "participant.period"]),
        ["CarePlan"] = MaskView.Keep(["identifier", "status", "intent", "category", "title", "subject", "period", "created", "author",
            "activity.detail.kind", "activity.detail.code", "activity.detail.status", "activity.detail.scheduled[x]"]),
        ["Communication"] = MaskView.Keep(["identifier", "status", "category", "priority", "subject", "sent", "received", "recipient", "sender"]),
        ["Encounter"] = Fact["Encounter"],
        ["DocumentReference"] = Fact["DocumentReference"],
    };

    // ---- the masks

    public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, Func<JsonObject, MaskView?>>> All =
        new Dictionary<string, IReadOnlyDictionary<string, Func<JsonObject, MaskView?>>>(StringComparer.Ordinal)
        {
            // Row 1 (responsible ICB, commissioning and payment): that assessments and plans happened, when and by whom.
            ["dates-status-provider"] = Always(Fact),

            // Row 1: where the child is placed, to the ICB only; the care status the episode records (D7) stays.
            ["icb-code-only"] = new Dictionary<string, Func<JsonObject, MaskView?>>
            {
                ["EpisodeOfCare"] = Fixed(MaskView.Keep(Episode, [.. EpisodeStatusExtensions, Sd + "cla-placement-icb"])),
                ["Patient"] = Fixed(MaskView.Keep(["identifier", "active", "name", "gender", "birthDate", "deceased[x]", "managingOrganization"], PatientExtensions)),
                ["Flag"] = Fixed(MaskView.Keep(["identifier", "status", "category", "code", "subject", "period", "author"])),
            },

            // Row 2: the placement without street lines or the setting's URN (which names the home); the district stays.
            ["no-street-address"] = new Dictionary<string, Func<JsonObject, MaskView?>>
            {
                ["EpisodeOfCare"] = Fixed(MaskView.Keep(Episode, [.. EpisodeStatusExtensions, .. PlacementKindExtensions,
                    Sd + "cla-placement-postcode-district", Sd + "cla-placement-icb", Sd + "cla-placement-located-by"])),
                ["Patient"] = Fixed(MaskView.Keep([.. PatientIdentity, "telecom", "maritalStatus", "multipleBirth[x]", "communication", "link",
                    .. AddressWithoutStreet.Select(a => "address." + a),
                    "contact.relationship", "contact.name", "contact.telecom", "contact.gender", "contact.organization", "contact.period",
                    .. AddressWithoutStreet.Select(a => "contact.address." + a)], PatientExtensions)),
                ["Flag"] = Fixed(MaskView.Keep(["identifier", "status", "category", "code", "subject", "period", "author"])),
            },

            // Rows 6, 9, 17: where the child is now, not where they were.
            ["current-only"] = new Dictionary<string, Func<JsonObject, MaskView?>>
            {
                ["EpisodeOfCare"] = e => Ended(e)
                    ? MaskView.Keep(Episode, [.. EpisodeStatusExtensions, .. PlacementKindExtensions])
                    : MaskView.Keep(Episode, [.. EpisodeStatusExtensions, .. PlacementKindExtensions,
                        Sd + "cla-placement-postcode-district", Sd + "cla-placement-icb", Sd + "cla-placement-located-by", Sd + "cla-urn"]),
                ["Patient"] = Fixed(MaskView.Keep([.. PatientIdentity, "telecom", "address", "maritalStatus", "multipleBirth[x]", "communication",
                    "contact.relationship", "contact.name", "contact.telecom", "contact.address", "contact.gender", "contact.organization", "contact.period"],
                    PatientExtensions, CurrentOnly)),
                // An alert that is no longer active is history.
                ["Flag"] = f => f["status"]?.GetValue<string>() == "active" ? MaskView.Keep(["identifier", "status", "category", "code", "subject", "period", "author"]) : null,
            },

            // Row 2: the safeguarding flag, no detail and no contact.
            ["flag-only"] = FlagOnly.ToDictionary(kv => kv.Key, kv => Fixed(MaskView.Keep(kv.Value))),
            // Rows 4, 6, 17: the flag and whom to call, as CP-IS shows it.
            ["flag-and-la-contact"] = FlagOnly.ToDictionary(kv => kv.Key, kv => Fixed(MaskView.Keep([.. kv.Value, .. LaContact[kv.Key]]))),

            // Row 4: the actions of the health plan; of the assessments around it, only that they happened.
            ["health-plan-actions"] = Always(new Dictionary<string, MaskView>(Fact) { ["CarePlan"] = MaskView.Keep(PlanActions) }),
            // Rows 10, 11: recommendations and the plan; of the assessments, only that they happened.
            ["plan-only"] = Always(new Dictionary<string, MaskView>(Fact)
            {
                ["CarePlan"] = MaskView.Keep([.. PlanActions, "description", "goal", "contributor", "careTeam"]),
            }),

            // Rows 5, 9: family history as coded facts, with nobody named: no informant, no focus person, no free text.
            // A RelatedPerson is nothing but an identity, so it has no such view.
            ["deidentified-family-history"] = new Dictionary<string, Func<JsonObject, MaskView?>>
            {
                ["Observation"] = Fixed(MaskView.Keep(["status", "category", "code", "subject", "effective[x]", "value[x]", "dataAbsentReason", "component.code", "component.value[x]"])),
                ["Condition"] = Fixed(MaskView.Keep(["clinicalStatus", "verificationStatus", "category", "code", "subject", "onset[x]", "recordedDate"])),
            },

            // Rows 9 (D6), 10 and 11 (D1).
            ["summary"] = Always(Summary),

            // Row 13: the care leaver's status (OC3, the care-leaver flag) and who their GP is; no health record.
            ["care-leaver-status-and-gp"] = new Dictionary<string, Func<JsonObject, MaskView?>>
            {
                ["Patient"] = Fixed(MaskView.Keep(["identifier", "active", "name", "birthDate", "managingOrganization", "generalPractitioner"], null, CurrentOnly)),
                ["Observation"] = o => Coded(o["code"], CareLeaverSystem) ? MaskView.Keep(["identifier", "status", "category", "code", "subject", "effective[x]", "value[x]", "performer"]) : null,
                ["Flag"] = f => Coded(f["code"], FlagSystem, "care-leaver") ? MaskView.Keep(["identifier", "status", "category", "code", "subject", "period", "author"]) : null,
            },

            // G6: that the statutory assessment was refused (its status), nothing of any other health record.
            ["refusal-status-only"] = new Dictionary<string, Func<JsonObject, MaskView?>>
            {
                ["Encounter"] = Fixed(MaskView.Keep(["identifier", "status", "statusHistory", "class", "type", "subject", "period"])),
            },
        };

    static Func<JsonObject, MaskView?> Fixed(MaskView view) => _ => view;

    static IReadOnlyDictionary<string, Func<JsonObject, MaskView?>> Always(IReadOnlyDictionary<string, MaskView> views) =>
        views.ToDictionary(kv => kv.Key, kv => Fixed(kv.Value), StringComparer.Ordinal);

    /// <summary>An episode that has ended (or never was) is placement history.</summary>
    static bool Ended(JsonObject episode) =>
        episode["period"]?["end"] is not null || episode["status"]?.GetValue<string>() is "finished" or "cancelled" or "entered-in-error";

    static bool Coded(JsonNode? concept, string system, string? code = null) =>
        concept?["coding"] is JsonArray codings && codings.Any(c => c?["system"]?.GetValue<string>() == system && (code is null || c["code"]?.GetValue<string>() == code));

    /// <summary>
    /// Names, addresses, telecoms and contacts that are history (use old, or a period that has ended: any end given
    /// counts, the view has no clock) are dropped, as are links to other records of the person (a replaced identity).
    /// </summary>
    static JsonObject CurrentOnly(JsonObject patient)
    {
        foreach (var list in new[] { "name", "address", "telecom", "contact" })
            if (patient[list] is JsonArray items)
            {
                foreach (var old in items.Where(i => i?["use"]?.GetValue<string>() == "old" || i?["period"]?["end"] is not null).ToList()) items.Remove(old);
                if (items.Count == 0) patient.Remove(list);
            }
        patient.Remove("link");
        return patient;
    }
}
