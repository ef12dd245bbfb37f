using System.Globalization;
using Hl7.Fhir.Model;
using Hub.Api.Audit;
using Hub.Api.Auth;
using Hub.Api.Fhir;
using Hub.Api.ReferenceData;
using Hub.Mappers.Kpis;

namespace Hub.Api.Kpis;

/// <summary>What a `$evaluate-measure` call asks: the period and the subject (null: the whole hub).</summary>
public sealed record MeasureQuery(string? PeriodStart, string? PeriodEnd, string? Subject);

/// <summary>One calendar month of a KPI's trend (the part of it inside the period), counted and suppressed as a report is.</summary>
public sealed record MonthlyCounts(DateOnly Month, PublishedCounts Counts);

/// <summary>
/// `Measure/{id}/$evaluate-measure` (contract §8): the caller checked (purpose `kpi`; an ICB or LA for itself, an
/// admin for anyone or the whole hub), the children loaded set-based, counted, suppressed and answered as a summary
/// MeasureReport. Aggregate only: one AuditEvent per call, naming no patient.
/// </summary>
public sealed class MeasureEvaluation(MeasureLibrary library, KpiData data, OrganisationDirectory directory, AuditWriter audit, TimeProvider clock, ILogger<MeasureEvaluation> log)
{
    public const string Operation = "$evaluate-measure";
    public const string Purpose = "kpi";
    public const string GapExtension = "https://fhir.carehub.org.uk/StructureDefinition/measure-placement-gap";
    const string DataAbsentReason = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";
    const string PopulationSystem = "http://terminology.hl7.org/CodeSystem/measure-population";
    const string KpiSystem = "https://fhir.carehub.org.uk/CodeSystem/cla-kpi";

    public async Task<MeasureReport> EvaluateAsync(Caller caller, string id, MeasureQuery query, CancellationToken ct)
    {
        var reference = $"Measure/{id}";
        var (las, subject) = await AuthoriseAsync(caller, reference, query.Subject);
        if (library.Find(id) is not { } measure) throw await RefuseAsync(caller, reference, FhirProblem.NotFound($"Measure/{id}"));
        var period = await PeriodAsync(caller, reference, id, query);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var children = await data.LoadAsync(las, ct);
        var loaded = watch.ElapsedMilliseconds;
        var counts = MeasureCalculator.Count(id, children, period, BankHolidays.EnglandAndWales);
        var published = Suppression.Apply(counts);
        log.LogInformation("Measure {Measure} over {Children} children: loaded in {LoadMs} ms, counted in {CountMs} ms",
            id, children.Count, loaded, watch.ElapsedMilliseconds - loaded);
        var report = Report(measure, subject, period, published, clock.GetUtcNow());

        await audit.WriteAsync(AuditEvents.ToRow(new AuditRecord(caller, Operation, AuditEvent.AuditEventOutcome.N0, null, [reference],
            $"aggregate over {subject ?? "the whole hub"} {period.Start:yyyy-MM-dd}/{period.End:yyyy-MM-dd}: {children.Count} children considered, no patient data released"),
            clock.GetUtcNow().UtcDateTime), CancellationToken.None);
        return report;
    }

    /// <summary>
    /// The trend of a KPI by month for the dashboard: each calendar month of the period (up to today) counted as a period
    /// of its own, with the same authority, calculation and suppression as <see cref="EvaluateAsync"/>. Only the measures
    /// that fall due on dated provider records (IHA, RHA) have months; the OC2 ones are annual (decisions.md), and an RHA
    /// child known only from the OC2 item has no month either. One AuditEvent, naming no patient.
    /// </summary>
    public async Task<IReadOnlyList<MonthlyCounts>> EvaluateByMonthAsync(Caller caller, string id, MeasureQuery query, CancellationToken ct)
    {
        var reference = $"Measure/{id}";
        var (las, subject) = await AuthoriseAsync(caller, reference, query.Subject);
        if (library.Find(id) is null) throw await RefuseAsync(caller, reference, FhirProblem.NotFound($"Measure/{id}"));
        if (id is not (Measures.InitialHealthAssessment or Measures.ReviewHealthAssessment))
            throw await RefuseAsync(caller, reference, FhirProblem.Invalid($"{id} is counted at each 31 March (OC2): it has no monthly trend", "id"));
        var period = await PeriodAsync(caller, reference, id, query);

        var children = await data.LoadAsync(las, ct);
        var dated = id == Measures.ReviewHealthAssessment
            ? children.Where(c => c.Assessments.Any(a => a.Kind is AssessmentKind.Initial or AssessmentKind.Review)).ToList()
            : children;
        var months = new List<MonthlyCounts>();
        for (var month = new DateOnly(period.Start.Year, period.Start.Month, 1); month <= period.LastDue; month = month.AddMonths(1))
        {
            var last = month.AddMonths(1).AddDays(-1);
            var part = new MeasurementPeriod(month < period.Start ? period.Start : month, last > period.End ? period.End : last, period.Today);
            months.Add(new MonthlyCounts(month, Suppression.Apply(MeasureCalculator.Count(id, dated, part, BankHolidays.EnglandAndWales))));
        }

        await audit.WriteAsync(AuditEvents.ToRow(new AuditRecord(caller, Operation, AuditEvent.AuditEventOutcome.N0, null, [reference],
            $"monthly trend over {subject ?? "the whole hub"} {period.Start:yyyy-MM-dd}/{period.End:yyyy-MM-dd}: {dated.Count} children considered, no patient data released"),
            clock.GetUtcNow().UtcDateTime), CancellationToken.None);
        return months;
    }

    /// <summary>
    /// Purpose `kpi` only (403). An ICB or LA asks for itself (no subject means itself); any other organisation, known
    /// or not, is 404, as a subject it may not know. An admin asks for any organisation, or with no subject the whole
    /// hub. Every other kind of caller: 403.
    /// </summary>
    async Task<(string[]? Las, string? Subject)> AuthoriseAsync(Caller caller, string reference, string? subject)
    {
        if (caller.Purpose != Purpose)
            throw await RefuseAsync(caller, reference, FhirProblem.Forbidden($"{Operation} needs a token with purpose_of_use '{Purpose}' (aggregate KPIs only)"));
        if (caller.OrgType is not (OrgTypes.Icb or OrgTypes.La or OrgTypes.Admin))
            throw await RefuseAsync(caller, reference, FhirProblem.Forbidden($"{Operation} is for ICBs, LAs (their own children) and admins (the whole hub)"));
        string? code = null;
        if (!string.IsNullOrWhiteSpace(subject))
        {
            var s = subject.Trim();
            if (!s.StartsWith("Organization/", StringComparison.Ordinal) || s.Length == "Organization/".Length || s.IndexOf('/', "Organization/".Length) >= 0)
                throw await RefuseAsync(caller, reference, FhirProblem.Invalid($"subject must be Organization/{{ICB ODS code or LA number}}, not '{s}'", "subject"));
            code = s["Organization/".Length..];
        }
        if (caller.OrgType == OrgTypes.Admin && code is null) return (null, null);
        code ??= caller.Org;
        var organisation = directory.Find(code);
        var allowed = caller.OrgType == OrgTypes.Admin || code == caller.Org;
        var expected = caller.OrgType switch { OrgTypes.Icb => "icb", OrgTypes.La => "la", _ => null };
        if (organisation is null || !allowed || organisation.Kind is not ("icb" or "la") || (expected is not null && organisation.Kind != expected))
            throw await RefuseAsync(caller, reference, FhirProblem.NotFound($"Organization/{code}"));
        return (data.LasOf(organisation), $"Organization/{code}");
    }

    async Task<MeasurementPeriod> PeriodAsync(Caller caller, string reference, string id, MeasureQuery q)
    {
        DateOnly? Day(string? text) => DateOnly.TryParseExact(text?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
        if (Day(q.PeriodStart) is not { } start)
            throw await RefuseAsync(caller, reference, FhirProblem.Invalid($"periodStart must be a date (YYYY-MM-DD), not '{q.PeriodStart}'", "periodStart"));
        if (Day(q.PeriodEnd) is not { } end)
            throw await RefuseAsync(caller, reference, FhirProblem.Invalid($"periodEnd must be a date (YYYY-MM-DD), not '{q.PeriodEnd}'", "periodEnd"));
        if (end < start)
            throw await RefuseAsync(caller, reference, FhirProblem.Invalid($"periodEnd {end:yyyy-MM-dd} is before periodStart {start:yyyy-MM-dd}", "periodEnd"));
        var holidays = BankHolidays.EnglandAndWales;
        // A due day 20 working days on must be countable: the shipped bank holiday list bounds the IHA measure's periods.
        if (id == Measures.InitialHealthAssessment && (start.AddMonths(-2) < holidays.First || end > holidays.Last))
            throw await RefuseAsync(caller, reference, FhirProblem.Invalid(
                $"{id} counts working days over the bank holidays known from {holidays.First:yyyy-MM-dd} to {holidays.Last:yyyy-MM-dd}: the period must lie within them", "periodStart"));
        return new MeasurementPeriod(start, end, DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime));
    }

    Task<FhirProblem> RefuseAsync(Caller caller, string reference, FhirProblem problem) =>
        audit.RefusedAsync(caller, Operation, null, reference, problem, clock.GetUtcNow().UtcDateTime);

    /// <summary>The summary MeasureReport: group[0] the proportion, stratified by placement; for SDQ also the average and the concern share.</summary>
    public static MeasureReport Report(Measure measure, string? subject, MeasurementPeriod period, PublishedCounts counts, DateTimeOffset now)
    {
        var report = new MeasureReport
        {
            Status = MeasureReport.MeasureReportStatus.Complete,
            Type = MeasureReport.MeasureReportType.Summary,
            Measure = measure.Url,
            Subject = subject is null ? null : new ResourceReference(subject),
            DateElement = new FhirDateTime(now),
            Reporter = new ResourceReference { Display = "CareHub" },
            Period = new Period { Start = period.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), End = period.End.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) },
            ImprovementNotation = measure.ImprovementNotation,
        };
        report.Group.Add(Group(measure.Group[0].Code, counts, s => [
            ("initial-population", counts[s].InitialPopulation), ("denominator", counts[s].Denominator), ("numerator", counts[s].Numerator)],
            s => Proportion(counts[s].Score), counts.Gap));
        if (measure.Id == Measures.Sdq)
        {
            decimal? AverageGap() => counts.SdqAverage[Stratum.InArea] is { } i && counts.SdqAverage[Stratum.OutOfArea] is { } o ? i - o : null;
            report.Group.Add(Group(measure.Group[1].Code, counts, s => [
                ("initial-population", counts[s].InitialPopulation), ("measure-population", counts[s].Numerator)],
                s => counts.SdqAverage[s] is { } a ? new Quantity { Value = a, Unit = "score" } : Absent(new Quantity()), AverageGap()));
            decimal? ConcernGap() => counts.ConcernShare(Stratum.InArea) is { } i && counts.ConcernShare(Stratum.OutOfArea) is { } o ? i - o : null;
            report.Group.Add(Group(measure.Group[2].Code, counts, s => [
                ("initial-population", counts[s].InitialPopulation), ("denominator", counts[s].Numerator), ("numerator", counts[s].Concern)],
                s => Proportion(counts.ConcernShare(s)), ConcernGap()));
        }
        return report;
    }

    static MeasureReport.GroupComponent Group(CodeableConcept? code, PublishedCounts counts,
        Func<Stratum, (string Code, int? Count)[]> populations, Func<Stratum, Quantity> score, decimal? gap)
    {
        var group = new MeasureReport.GroupComponent { Code = code, MeasureScore = score(Stratum.All) };
        foreach (var (c, n) in populations(Stratum.All)) group.Population.Add(Population(c, n));
        var stratifier = new MeasureReport.StratifierComponent { Code = [new CodeableConcept(KpiSystem, "placement")] };
        if (gap is { } g) stratifier.Extension.Add(new Extension(GapExtension, new FhirDecimal(g)));
        foreach (var (s, value) in new[] { (Stratum.InArea, "in-area"), (Stratum.OutOfArea, "out-of-area") })
        {
            var stratum = new MeasureReport.StratifierGroupComponent { Value = new CodeableConcept(KpiSystem, value), MeasureScore = score(s) };
            foreach (var (c, n) in populations(s)) stratum.Population.Add(StratumPopulation(c, n));
            stratifier.Stratum.Add(stratum);
        }
        group.Stratifier.Add(stratifier);
        return group;
    }

    static Quantity Proportion(decimal? value) => value is { } v ? new Quantity { Value = v, Unit = "proportion", System = "http://unitsofmeasure.org", Code = "1" } : Absent(new Quantity());

    static T Absent<T>(T element) where T : Element
    {
        element.Extension.Add(new Extension(DataAbsentReason, new Code("masked")));
        return element;
    }

    static Integer Count(int? n) => n is { } v ? new Integer(v) : Absent(new Integer());

    static MeasureReport.PopulationComponent Population(string code, int? n) =>
        new() { Code = new CodeableConcept(PopulationSystem, code), CountElement = Count(n) };

    static MeasureReport.StratifierGroupPopulationComponent StratumPopulation(string code, int? n) =>
        new() { Code = new CodeableConcept(PopulationSystem, code), CountElement = Count(n) };
}
