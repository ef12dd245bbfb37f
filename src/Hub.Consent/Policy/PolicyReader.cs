using System.Text.Json;
using System.Xml;
using Hub.Consent.Decisions;
using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;

namespace Hub.Consent.Policy;

/// <summary>Reads and validates a policy file; every error names the file, the entry and the field.</summary>
sealed class PolicyReader(string file)
{
    static readonly string[] PreCheckIds = ["G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8"];
    static readonly string[] FixedObligations = ["reason-required", "audit", "post-hoc-review", "review-before-release", "small-number-suppression", "opt-out-filter"];

    Dictionary<string, Purpose> purposes = [];
    Dictionary<string, string> labels = [];
    Dictionary<string, string> masks = [];

    InvalidDataException Bad(string where, string what) => new($"{file}: {where}: {what}");

    public ConsentPolicy Read(JsonElement root)
    {
        var id = Str(root, "id", "policy");
        var version = Str(root, "version", "policy");
        purposes = ReadPurposes(root, out var v3);
        labels = Array(root, "labels", "policy").Select((e, i) => (Code: Str(e, "code", $"labels[{i}]"), System: Str(e, "system", $"labels[{i}]")))
            .ToDictionary(l => l.Code, l => l.System, StringComparer.Ordinal);
        var classes = ReadDataClasses(root);
        masks = Obj(root, "masks", "policy").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
        var legal = Obj(root, "legalStatusCodes", "policy").EnumerateObject()
            .ToDictionary(p => p.Name, p => EnumOf<LegalStatus>(p.Value.GetString(), $"legalStatusCodes.{p.Name}"), StringComparer.OrdinalIgnoreCase);
        var rows = Array(root, "rows", "policy").Select(ReadRow).ToList();
        foreach (var dup in rows.GroupBy(r => r.Row).Where(g => g.Count() > 1))
            throw Bad($"row {dup.Key}", "row number used twice");
        return new ConsentPolicy
        {
            Id = id, Version = version, PurposeCodes = purposes, PurposeV3 = v3, LabelSystems = labels,
            DataClasses = classes, Masks = masks, LegalStatusCodes = legal,
            PreChecks = ReadPreChecks(root),
            ConsentAuthority = Array(root, "consentAuthority", "policy").Select(ReadAuthority).ToList(),
            Recording = Array(root, "recording", "policy").Select((e, i) => new RecordingRule(
                Role(Str(e, "role", $"recording[{i}]"), $"recording[{i}].role"),
                Array(e, "performers", $"recording[{i}]").Select(p => Authority(p.GetString(), $"recording[{i}].performers")).ToHashSet())).ToList(),
            Rows = rows,
        };
    }

    Dictionary<string, Purpose> ReadPurposes(JsonElement root, out Dictionary<Purpose, string> v3)
    {
        var list = Array(root, "purposes", "policy").Select((e, i) => (
            Code: Str(e, "code", $"purposes[{i}]"),
            Purpose: EnumOf<Purpose>(Str(e, "name", $"purposes[{i}]"), $"purposes[{i}].name"),
            V3: Str(e, "v3", $"purposes[{i}]"))).ToList();
        var missing = Enum.GetValues<Purpose>().Except(list.Select(p => p.Purpose)).ToList();
        if (missing.Count > 0) throw Bad("purposes", "no code for " + string.Join(", ", missing));
        v3 = list.ToDictionary(p => p.Purpose, p => p.V3);
        return list.ToDictionary(p => p.Code, p => p.Purpose, StringComparer.Ordinal);
    }

    Dictionary<DataClass, DataClassDefinition> ReadDataClasses(JsonElement root)
    {
        var list = Array(root, "dataClasses", "policy").Select((e, i) =>
        {
            var where = $"dataClasses[{i}]";
            var cls = ClassCode(Str(e, "code", where), where + ".code");
            return new DataClassDefinition(cls, Str(e, "name", where), Label(Str(e, "confidentiality", where), where + ".confidentiality"),
                Array(e, "labels", where).Select(l => Label(l.GetString(), where + ".labels")).ToHashSet(StringComparer.Ordinal));
        }).ToList();
        var missing = DataClasses.All.Except(list.Select(d => d.Class)).ToList();
        if (missing.Count > 0) throw Bad("dataClasses", "missing " + string.Join(", ", missing.Select(m => m.Code())));
        return list.ToDictionary(d => d.Class);
    }

    List<PreCheck> ReadPreChecks(JsonElement root)
    {
        var checks = Array(root, "preChecks", "policy").Select(ReadPreCheck).ToList();
        foreach (var id in PreCheckIds)
            if (checks.Count(c => c.Id == id) != 1) throw Bad("preChecks", $"{id} must appear exactly once");
        if (checks.Count != PreCheckIds.Length) throw Bad("preChecks", "only G1–G8 are known");
        int At(string id) => checks.FindIndex(c => c.Id == id);
        // G6 and G7 read the purpose and the row that G5 establishes.
        if (At("G5") > At("G6") || At("G5") > At("G7")) throw Bad("preChecks", "G5 must come before G6 and G7");
        return checks;
    }

    PreCheck ReadPreCheck(JsonElement e, int i)
    {
        var id = Str(e, "id", $"preChecks[{i}]");
        var where = $"preCheck {id}";
        if (!PreCheckIds.Contains(id)) throw Bad(where, "unknown pre-check (G1–G8)");
        var c = new PreCheck(id, Str(e, "check", where));
        Verdict? Outcome(string field) => e.TryGetProperty(field, out var o) ? VerdictOf(Decision(o.GetString(), $"{where}.{field}")) : null;
        IReadOnlySet<RequesterRole> Roles(string field) => Opt(e, field).Select(r => Role(r.GetString(), $"{where}.{field}")).ToHashSet();
        c = c with
        {
            Outcome = Outcome("outcome"),
            OtherOutcome = Outcome("adminOutcome"),
            Alert = e.TryGetProperty("alert", out var a) ? a.GetString() : null,
            Roles = Roles(id switch { "G1" => "sealedVisibleTo", "G2" => "ageLimitedByRow", "G3" => "noRelationship", "G4" => "exemptRoles", "G6" => "releaseRefusalTo", _ => "-" }),
            Purposes = Opt(e, id switch { "G3" => "adminPurposes", "G5" => "reasonRequired", "G7" => "objectionsOverriddenBy", _ => "purposes" })
                .Select(p => PurposeCode(p.GetString(), $"{where}.purposes")).ToHashSet(),
            Classes = Opt(e, "withhold").Select(x => ClassCode(x.GetString(), $"{where}.withhold")).ToHashSet(),
            Labels = Opt(e, "withholdLabels").Select(x => Label(x.GetString(), $"{where}.withholdLabels")).ToHashSet(StringComparer.Ordinal),
            Mask = e.TryGetProperty("refusalMask", out var m) ? Mask(m.GetString(), $"{where}.refusalMask") : null,
            LookedAfterWithinMonths = Int(e, "lookedAfterWithinMonths"),
            CareLeaverMaxAge = Int(e, "careLeaverMaxAge"),
            CareLeaverMaxAgeWithoutAdviser = Int(e, "careLeaverMaxAgeWithoutAdviser"),
        };
        // What each check cannot do without.
        var need = id switch
        {
            "G1" or "G3" or "G5" => c.Outcome is null ? "outcome" : null,
            "G2" => c.Outcome is null ? "outcome" : c.LookedAfterWithinMonths <= 0 || c.CareLeaverMaxAge <= 0 || c.CareLeaverMaxAgeWithoutAdviser <= 0 ? "lookedAfterWithinMonths, careLeaverMaxAge, careLeaverMaxAgeWithoutAdviser" : null,
            "G4" => c.Classes.Count == 0 ? "withhold" : null,
            "G6" => c.Outcome is null || c.Mask is null || c.Purposes.Count == 0 ? "outcome, purposes, refusalMask" : null,
            "G8" => c.Labels.Count == 0 ? "withholdLabels" : null,
            _ => null,
        };
        if (need is not null) throw Bad(where, $"missing or empty field(s): {need}");
        return c;
    }

    AuthorityRule ReadAuthority(JsonElement e, int i)
    {
        var where = $"consentAuthority[{i}]";
        var competence = Str(e, "competence", where);
        if (competence is not ("any" or "competent" or "not-competent" or "lacks-capacity"))
            throw Bad(where + ".competence", $"'{competence}' is not any, competent, not-competent or lacks-capacity");
        var statuses = Array(e, "legalStatus", where).Select(s => s.GetString()).ToList();
        return new AuthorityRule(
            e.TryGetProperty("minAge", out var min) ? min.GetInt32() : 0,
            e.TryGetProperty("maxAge", out var max) ? max.GetInt32() : int.MaxValue,
            competence,
            statuses.Contains("any") ? null : statuses.Select(s => EnumOf<LegalStatus>(s, where + ".legalStatus")).ToHashSet(),
            Array(e, "who", where).Select(w => Authority(w.GetString(), where + ".who")).ToHashSet());
    }

    TableRow ReadRow(JsonElement e, int i)
    {
        var row = Str(e, "row", $"rows[{i}]");
        var where = $"row {row}";
        var roles = Array(e, "roles", where).Select(r => r.GetString()).ToList();
        var decision = Decision(Str(e, "decision", where), where + ".decision");
        var classes = e.TryGetProperty("classes", out var c) ? Cells(c, where) : [];
        // A row that releases data must say what happens to every class; a refusal or aggregate says nothing.
        if (decision is RowDecision.Permit or RowDecision.PermitRedact or RowDecision.BtgPermit)
        {
            var missing = DataClasses.All.Where(d => !classes.ContainsKey(d)).ToList();
            if (missing.Count > 0) throw Bad(where + ".classes", "missing " + string.Join(", ", missing.Select(m => m.Code())));
        }
        var obligations = Opt(e, "obligations").Select(o => Obligation(o.GetString(), where + ".obligations")).ToList();
        var variants = Opt(e, "variants").Select((v, j) =>
        {
            var vid = Str(v, "id", $"{where}.variants[{j}]");
            var vwhere = $"{where} variant {vid}";
            return new RowVariant(vid, Condition(Obj(v, "when", vwhere), vwhere + ".when"),
                v.TryGetProperty("decision", out var d) ? Decision(d.GetString(), vwhere + ".decision") : null,
                v.TryGetProperty("classes", out var vc) ? Cells(vc, vwhere) : [],
                v.TryGetProperty("note", out var n) ? n.GetString() : null);
        }).ToList();
        return new TableRow(row,
            roles.Contains("*") ? null : roles.Select(r => Role(r, where + ".roles")).ToHashSet(),
            Array(e, "purposes", where).Select(p => PurposeCode(p.GetString(), where + ".purposes")).ToHashSet(),
            e.TryGetProperty("when", out var w) ? Condition(w, where + ".when") : null,
            decision, classes, obligations, variants);
    }

    Dictionary<DataClass, ClassRule> Cells(JsonElement classes, string where) =>
        classes.EnumerateObject().ToDictionary(
            p => ClassCode(p.Name, $"{where}.classes"),
            p => Cell(p.Value.GetString(), $"{where}, class {p.Name}"));

    /// <summary>"permit", "withhold", "relevant", "consent", then options "mask:{name}", "except:{L1},{L2}", "review".</summary>
    ClassRule Cell(string? text, string where)
    {
        var parts = (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw Bad(where, "empty cell");
        var access = parts[0] switch
        {
            "permit" => ClassAccess.Permit,
            "withhold" => ClassAccess.Withhold,
            "relevant" => ClassAccess.Relevant,
            "consent" => ClassAccess.Consent,
            var x => throw Bad(where, $"unknown access '{x}' (expected permit, withhold, relevant or consent)"),
        };
        string? mask = null; var except = new HashSet<string>(StringComparer.Ordinal); var review = false;
        foreach (var opt in parts.Skip(1))
        {
            if (opt.StartsWith("mask:", StringComparison.Ordinal)) mask = Mask(opt[5..], where);
            else if (opt.StartsWith("except:", StringComparison.Ordinal)) except.UnionWith(opt[7..].Split(',').Select(l => Label(l, where)));
            else if (opt == "review") review = true;
            else throw Bad(where, $"unknown option '{opt}' (expected mask:…, except:… or review)");
        }
        if (access == ClassAccess.Withhold && (mask is not null || except.Count > 0 || review)) throw Bad(where, "a withheld class takes no options");
        return new ClassRule(access, mask, except, review);
    }

    RowCondition Condition(JsonElement e, string where)
    {
        var known = new[] { "competent", "careLeaver", "ageOver", "legalStatus", "withoutConsent" };
        foreach (var p in e.EnumerateObject())
            if (!known.Contains(p.Name)) throw Bad(where, $"unknown condition '{p.Name}' (expected {string.Join(", ", known)})");
        return new RowCondition(
            e.TryGetProperty("competent", out var c) ? c.GetBoolean() : null,
            e.TryGetProperty("careLeaver", out var cl) ? cl.GetBoolean() : null,
            e.TryGetProperty("ageOver", out var a) ? a.GetInt32() : null,
            e.TryGetProperty("legalStatus", out var ls) ? ls.EnumerateArray().Select(s => EnumOf<LegalStatus>(s.GetString(), where + ".legalStatus")).ToHashSet() : null,
            e.TryGetProperty("withoutConsent", out var w) ? w.GetBoolean() : null);
    }

    string Obligation(string? o, string where)
    {
        if (o is null) throw Bad(where, "empty obligation");
        if (FixedObligations.Contains(o) || o.StartsWith("notify:", StringComparison.Ordinal) && o.Length > 7) return o;
        if (o.StartsWith("time-box:", StringComparison.Ordinal))
        {
            try { XmlConvert.ToTimeSpan(o[9..]); return o; }
            catch (FormatException) { throw Bad(where, $"'{o}': time-box needs an ISO 8601 duration such as PT4H"); }
        }
        throw Bad(where, $"unknown obligation '{o}' (expected {string.Join(", ", FixedObligations)}, notify:…, time-box:…)");
    }

    // ---------------------------------------------------------------- names

    static RowDecision Decision(string? s, string where) => s switch
    {
        "PERMIT" => RowDecision.Permit,
        "PERMIT_REDACT" => RowDecision.PermitRedact,
        "DENY" => RowDecision.Deny,
        "DENY_NOT_FOUND" => RowDecision.DenyNotFound,
        "BTG_PERMIT" => RowDecision.BtgPermit,
        "AGGREGATE_ONLY" => RowDecision.AggregateOnly,
        _ => throw new InvalidDataException($"{where}: '{s}' is not a decision (PERMIT, PERMIT_REDACT, DENY, DENY_NOT_FOUND, BTG_PERMIT, AGGREGATE_ONLY)"),
    };

    public static Verdict VerdictOf(RowDecision d) => d switch
    {
        RowDecision.Permit => Verdict.Permit,
        RowDecision.PermitRedact => Verdict.PermitWithObligations,
        RowDecision.Deny => Verdict.Deny,
        RowDecision.DenyNotFound => Verdict.NotFound,
        RowDecision.BtgPermit => Verdict.BreakGlassPermit,
        _ => Verdict.AggregateOnly,
    };

    /// <summary>RESPONSIBLE_ICB_LAC_DESIGNATED → ResponsibleIcbLacDesignated.</summary>
    RequesterRole Role(string? s, string where) =>
        EnumOf<RequesterRole>(string.Concat((s ?? "").Split('_').Select(w => w.Length == 0 ? w : w[..1] + w[1..].ToLowerInvariant())), where, s);

    /// <summary>best-interests-decision-maker → BestInterestsDecisionMaker.</summary>
    ConsentAuthority Authority(string? s, string where) =>
        EnumOf<ConsentAuthority>(string.Concat((s ?? "").Split('-').Select(w => w.Length == 0 ? w : char.ToUpperInvariant(w[0]) + w[1..])), where, s);

    Purpose PurposeCode(string? s, string where) =>
        s is not null && purposes.TryGetValue(s, out var p) ? p : throw Bad(where, $"unknown purpose '{s}' (expected {string.Join(", ", purposes.Keys)})");

    string Label(string? s, string where) =>
        s is not null && labels.ContainsKey(s) ? s : throw Bad(where, $"unknown security label '{s}' (declare it under labels)");

    string Mask(string? s, string where) =>
        s is not null && masks.ContainsKey(s) ? s : throw Bad(where, $"unknown mask '{s}' (declare it under masks)");

    DataClass ClassCode(string? s, string where)
    {
        try { return Vocabulary.DataClasses.Parse(s ?? ""); }
        catch (FormatException e) { throw Bad(where, e.Message); }
    }

    T EnumOf<T>(string? s, string where, string? shown = null) where T : struct, Enum =>
        Enum.TryParse<T>(s, ignoreCase: false, out var v) && Enum.IsDefined(v) && !int.TryParse(s, out _)
            ? v
            : throw Bad(where, $"unknown value '{shown ?? s}'");

    // ---------------------------------------------------------------- JSON

    string Str(JsonElement e, string field, string where) =>
        e.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
            ? s : throw Bad(where, $"missing string field '{field}'");

    JsonElement Obj(JsonElement e, string field, string where) =>
        e.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Object ? v : throw Bad(where, $"missing object field '{field}'");

    IEnumerable<JsonElement> Array(JsonElement e, string field, string where) =>
        e.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().ToList() : throw Bad(where, $"missing array field '{field}'");

    static IEnumerable<JsonElement> Opt(JsonElement e, string field) =>
        e.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().ToList() : [];

    static int Int(JsonElement e, string field) => e.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;
}
