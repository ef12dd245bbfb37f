using System.Xml;
using Hub.Consent.Consents;
using Hub.Consent.Policy;
using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;

namespace Hub.Consent.Decisions;

/// <summary>
/// The decision point of reference/consent.md §3: pre-checks G1–G8 in the policy's order, then the decision-table row for
/// requester × purpose, then the child's Consents on top. Pure: no I/O, no clock (now is a parameter), no logging.
/// </summary>
public static class ConsentEngine
{
    public static Decision Decide(AccessRequest request, SubjectFacts child, IReadOnlyList<Hl7.Fhir.Model.Consent> consents,
        ConsentPolicy policy, DateTimeOffset now)
    {
        var e = new Evaluation(request, child, consents, policy, now);
        foreach (var check in policy.PreChecks)
        {
            var stop = check.Id switch
            {
                "G1" => e.IdentityAndAdoptionGuard(check),
                "G2" => e.InCohort(check),
                "G3" => e.LegitimateRelationship(check),
                "G4" => e.SensitiveLocation(check),
                "G5" => e.PurposeLegitimacy(check),
                "G6" => e.StatutoryRefusal(check),
                "G7" => e.ConsentAuthority(),
                _ => e.VeryRestricted(check),
            };
            if (stop is not null) return stop;
        }
        return e.ApplyRow();
    }

    /// <summary>What the hub answers for a patient it does not hold: the shape every not-found decision must share with the caller.</summary>
    public static Decision NoSuchPatient(AccessRequest request, ConsentPolicy policy) =>
        new(Verdict.NotFound, RequesterRole.OtherOrg, "not found")
        {
            PolicyVersion = policy.Version,
            Reasons = [new("lookup", "no such patient")],
        };
}

/// <summary>One evaluation's working state; lives for one call.</summary>
sealed class Evaluation(AccessRequest request, SubjectFacts child, IReadOnlyList<Hl7.Fhir.Model.Consent> consents, ConsentPolicy policy, DateTimeOffset now)
{
    readonly RequesterRole role = Requester.RoleOf(request, child);
    readonly Purpose? purpose = policy.PurposeOf(request.Purpose);
    readonly DateOnly today = DateOnly.FromDateTime(now.UtcDateTime);
    readonly List<DecisionReason> reasons = [];
    readonly SortedSet<DataClass> withheldClasses = [];
    readonly SortedSet<string> withheldLabels = new(StringComparer.Ordinal);
    bool silent;
    /// <summary>A pre-check took something away that the row itself would have released.</summary>
    bool narrowedByPreCheck;
    TableRow? row;
    ConsentOutcome consentOutcome = new();

    int Age => ConsentAuthorities.AgeOn(child.BirthDate, today);

    Decision Stop(Verdict verdict, string source, string why, string callerReason, Obligations? obligations = null)
    {
        reasons.Add(new(source, why));
        return new Decision(verdict, role, verdict == Verdict.NotFound ? "not found" : callerReason)
        {
            Reasons = reasons.ToList(),
            PolicyVersion = policy.Version,
            Obligations = obligations ?? Obligations.None,
        };
    }

    // ---------------------------------------------------------------- pre-checks

    /// <summary>G1 / row 19: a sealed (adopted) record, or a lookup by an invalidated number, is not found, with an IG alert.</summary>
    public Decision? IdentityAndAdoptionGuard(PreCheck g)
    {
        var alert = new Obligations { Alerts = g.Alert is { } a ? [a] : [] };
        if (child.LookedUpByInvalidatedNumber)
            return Stop(g.Outcome!.Value, "G1", "looked up by an invalidated (pre-adoption) NHS number", "", alert);
        if (child.Sealed && !g.Roles.Contains(role))
            return Stop(g.Outcome!.Value, "G1", "sealed (adopted) record", "", alert);
        if (child.Sealed) silent = true; // the owning LA: nothing it receives may say what was withheld
        return null;
    }

    /// <summary>G3 / row 18: the caller must hold a role for this child; admins reach only aggregates.</summary>
    public Decision? LegitimateRelationship(PreCheck g)
    {
        if (role == RequesterRole.Admin)
            return purpose is { } p && g.Purposes.Contains(p) ? null
                : Stop(g.OtherOutcome ?? Verdict.Deny, "G3", "admin tokens never see patient data", "admin tokens never see patient data");
        if (g.Roles.Contains(role)) return Stop(g.Outcome!.Value, "G3", "no relationship to the child", "no relationship to the child");
        reasons.Add(new("G3", "relationship: " + role));
        return null;
    }

    /// <summary>G2: looked after now or in the last months, or a care leaver young enough.</summary>
    public Decision? InCohort(PreCheck g)
    {
        if (child.LookedAfter) return null;
        if (child.LookedAfterUntil is { } until && until.AddMonths(g.LookedAfterWithinMonths) >= today) return null;
        var maxAge = child.PersonalAdviserRequested ? g.CareLeaverMaxAge : g.CareLeaverMaxAgeWithoutAdviser;
        // Some rows state their own age limit (row 13: a personal adviser past 25); let the row say it.
        if (child.CareLeaver && (Age <= maxAge || g.Roles.Contains(role))) return null;
        return Stop(g.Outcome!.Value, "G2", "not in the cohort (not looked after, not a care leaver in age)", "the child is not in the hub's cohort");
    }

    /// <summary>G4: an S-flag or location-sensitive record loses D4 for everyone but the LA and the CLA health team, silently.</summary>
    public Decision? SensitiveLocation(PreCheck g)
    {
        if (!child.SensitiveLocation) return null;
        silent = true;
        if (g.Roles.Contains(role)) return null;
        withheldClasses.UnionWith(g.Classes);
        narrowedByPreCheck = true;
        reasons.Add(new("G4", "sensitive location: withhold " + string.Join(",", g.Classes.Select(c => c.Code()))));
        return null;
    }

    /// <summary>G5: the purpose must be one the table allows for the role; safeguarding and break-glass need a reason.</summary>
    public Decision? PurposeLegitimacy(PreCheck g)
    {
        if (purpose is not { } p)
            return Stop(g.Outcome!.Value, "G5", $"unknown purpose '{request.Purpose}'", $"purpose '{request.Purpose}' is not known");
        if (g.Purposes.Contains(p) && string.IsNullOrWhiteSpace(request.AccessReason))
            return Stop(g.Outcome!.Value, "G5", $"{request.Purpose} without X-Access-Reason", $"{request.Purpose} requires an X-Access-Reason header");
        row = policy.Rows.FirstOrDefault(r => r.Covers(role, p) && (r.When is null || Holds(r.When)));
        if (row is null)
            return Stop(g.Outcome!.Value, "G5", $"no row of the decision table for {role} × {request.Purpose}", $"purpose '{request.Purpose}' is not allowed for this caller");
        reasons.Add(new("row " + row.Row, $"{role} × {request.Purpose}"));
        return null;
    }

    /// <summary>G6: a refused statutory assessment is refused to all, except that the LA and CLA health team learn of the refusal.</summary>
    public Decision? StatutoryRefusal(PreCheck g)
    {
        if (purpose is not { } p || !g.Purposes.Contains(p) || !child.HealthAssessmentRefused) return null;
        if (!g.Roles.Contains(role))
            return Stop(g.Outcome!.Value, "G6", "the young person refused the statutory health assessment (reg 7(5))", "the statutory health assessment was refused");
        reasons.Add(new("G6", "refusal released: the refusal status only"));
        var all = new SortedSet<DataClass>(DataClasses.All.Where(c => c != DataClass.HealthAssessment));
        return new Decision(Verdict.PermitWithObligations, role, "refusal status only")
        {
            Reasons = reasons.ToList(),
            PolicyVersion = policy.Version,
            Obligations = new Obligations
            {
                WithheldClasses = all,
                Masks = new SortedDictionary<DataClass, string> { [DataClass.HealthAssessment] = g.Mask! },
                WithheldLabels = new SortedSet<string>(policy.Check("G8").Labels, StringComparer.Ordinal),
                SuppressTotal = true,
                Marking = silent ? WithheldMarking.Silent : WithheldMarking.Mark,
            },
        };
    }

    /// <summary>G7: who may grant or object, and what their Consents add up to.</summary>
    public Decision? ConsentAuthority()
    {
        consentOutcome = ConsentCombination.Combine(consents, request, child, purpose!.Value, policy, now);
        reasons.AddRange(consentOutcome.Reasons);
        return null;
    }

    /// <summary>G8: V-level data never leaves the hub.</summary>
    public Decision? VeryRestricted(PreCheck g)
    {
        withheldLabels.UnionWith(g.Labels);
        return null;
    }

    // ---------------------------------------------------------------- the row

    public Decision ApplyRow()
    {
        var r = row!;
        var variant = r.Variants.FirstOrDefault(v => Holds(v.When));
        if (variant is not null) reasons.Add(new($"row {r.Row} variant {variant.Id}", variant.Note ?? "applies"));
        var verdict = PolicyReader.VerdictOf(variant?.Decision ?? r.Decision);
        var source = variant is null ? $"row {r.Row}" : $"row {r.Row} variant {variant.Id}";

        if (verdict is Verdict.Deny or Verdict.NotFound)
            return Stop(verdict, source, variant?.Note ?? "the table refuses this role and purpose", $"purpose '{request.Purpose}' is not allowed for this caller");
        if (verdict == Verdict.AggregateOnly)
            return Finish(verdict, RowObligations(r, new Obligations()));
        if (consentOutcome.DeniedBy.Count > 0)
            return Stop(Verdict.Deny, source, "refused by a recorded consent decision", "refused by a recorded consent decision") with { ConsentsUsed = consentOutcome.Used };

        var obligations = RowObligations(r, ClassObligations(r, variant));
        // A PERMIT row becomes PERMIT_REDACT once a pre-check or a Consent takes away something the row releases.
        var narrowed = narrowedByPreCheck && r.Classes.Any(c => c.Value.Access != ClassAccess.Withhold && withheldClasses.Contains(c.Key))
            || consentOutcome.WithheldLabels.Count > 0 || consentOutcome.ReleaseOnlyLabels is not null;
        if (verdict == Verdict.Permit && narrowed) verdict = Verdict.PermitWithObligations;
        return Finish(verdict, obligations) with { ConsentsUsed = consentOutcome.Used };
    }

    /// <summary>The cells of the row (or its variant) read against the request and the Consents, plus what pre-checks took.</summary>
    Obligations ClassObligations(TableRow r, RowVariant? variant)
    {
        var masks = new SortedDictionary<DataClass, string>();
        var review = new SortedSet<DataClass>();
        foreach (var c in DataClasses.All)
            ApplyCell(c, variant?.Classes.GetValueOrDefault(c) ?? r.Classes.GetValueOrDefault(c) ?? ClassRule.Withheld, masks, review);
        withheldLabels.UnionWith(consentOutcome.WithheldLabels);
        // A label whose whole class is withheld adds nothing; V and the labels of no class (ADOL, PRS) stay.
        withheldLabels.RemoveWhere(l => policy.ClassOfLabel(l) is { } c && withheldClasses.Contains(c));
        foreach (var c in withheldClasses) { masks.Remove(c); review.Remove(c); }
        return new Obligations
        {
            WithheldClasses = new SortedSet<DataClass>(withheldClasses),
            Masks = masks,
            WithheldLabels = new SortedSet<string>(withheldLabels, StringComparer.Ordinal),
            ReleaseOnlyLabels = consentOutcome.ReleaseOnlyLabels,
            ReviewBeforeRelease = review,
            SuppressTotal = true, // something may always be filtered (V at least), so a total could leak it
            Marking = silent ? WithheldMarking.Silent : WithheldMarking.Mark,
        };
    }

    void ApplyCell(DataClass c, ClassRule rule, IDictionary<DataClass, string> masks, ISet<DataClass> review)
    {
        var classLabels = policy.DataClasses[c].Labels;
        switch (rule.Access)
        {
            case ClassAccess.Withhold:
                withheldClasses.Add(c);
                return;
            case ClassAccess.Relevant:
                var relevant = classLabels.Where(request.RelevantLabels.Contains).ToHashSet(StringComparer.Ordinal);
                if (relevant.Count == 0) { withheldClasses.Add(c); return; }
                withheldLabels.UnionWith(classLabels.Except(relevant));
                break;
            case ClassAccess.Consent:
                var opened = ConsentCombination.Opened(consentOutcome, classLabels, child, policy, today);
                if (opened.Count == 0) { withheldClasses.Add(c); return; }
                reasons.Add(new("G7", $"{c.Code()} opened by consent"));
                withheldLabels.UnionWith(classLabels.Except(opened));
                break;
        }
        withheldLabels.UnionWith(rule.ExceptLabels);
        if (rule.Mask is { } m) masks[c] = m;
        if (rule.Review) review.Add(c);
    }

    Obligations RowObligations(TableRow r, Obligations o)
    {
        foreach (var item in r.Obligations)
        {
            var (name, arg) = item.IndexOf(':') is var i and > 0 ? (item[..i], item[(i + 1)..]) : (item, "");
            o = name switch
            {
                "reason-required" => o with { ReasonRequired = true },
                "notify" => o with { Notify = [.. o.Notify, arg] },
                "time-box" => o with { TimeBox = XmlConvert.ToTimeSpan(arg) },
                "post-hoc-review" => o with { PostHocReview = true },
                "small-number-suppression" => o with { SmallNumberSuppression = true },
                "opt-out-filter" => o with { OptOutFilter = true },
                _ => o, // audit: every decision is audited anyway; review-before-release: carried by the cells
            };
        }
        return o;
    }

    Decision Finish(Verdict verdict, Obligations obligations) =>
        new(verdict, role, verdict switch
        {
            Verdict.AggregateOnly => "aggregate only",
            Verdict.BreakGlassPermit => "break-glass",
            _ => "permitted",
        })
        {
            Obligations = obligations,
            Reasons = reasons.ToList(),
            PolicyVersion = policy.Version,
        };

    bool Holds(RowCondition w) =>
        (w.Competent is not { } competent || ConsentAuthorities.YoungPersonCompetent(child, [], today) == competent)
        && (w.CareLeaver is not { } careLeaver || child.CareLeaver == careLeaver)
        && (w.AgeOver is not { } age || Age > age)
        && (w.LegalStatus is not { } statuses || statuses.Contains(child.LegalStatus))
        && (w.WithoutConsent is not { } without || consentOutcome.Permissions.Count == 0 == without);
}
