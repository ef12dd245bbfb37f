using Hl7.Fhir.Model;
using Hub.Tests.Infrastructure;
using FhirConsent = Hl7.Fhir.Model.Consent;

namespace Hub.Tests.CareLeavers;

/// <summary>
/// `POST /fhir/Patient/$identify-care-leavers` and the GP's care-leaver Flag search (contract §7) over real HTTP, once
/// per database provider: registration from the hub's records, and from PDS (WireMock) in each of its answers.
/// </summary>
public abstract class IdentifyCareLeaversTests(CareLeaverHubs hubs)
{
    const string Practice = "L85001", OtherPractice = "L85002";
    const string Operation = "fhir/Patient/$identify-care-leavers";
    const string NhsSystem = "https://fhir.nhs.uk/Id/nhs-number";

    static Parameters Ask(params string[] numbers) =>
        new() { Parameter = [.. numbers.Select(n => new Parameters.ParameterComponent { Name = "nhsNumber", Value = new FhirString(n) })] };

    sealed record Result(string NhsNumber, string Status, string? EligibleUntil, Identifier? LocalAuthority);

    static async Task<List<Result>> IdentifyAsync(RunningHub hub, params string[] numbers)
    {
        var answer = await (await hub.AsAsync(Practice, "gp")).PostAsync(Operation, Ask(numbers));
        Assert.True(answer.Status == 200, answer.ToString());
        return Results(answer);
    }

    static List<Result> Results(FhirAnswer answer) => [.. answer.As<Parameters>().Parameter.Select(p =>
    {
        Assert.Equal("result", p.Name);
        return new Result(((FhirString)p.Part.Single(x => x.Name == "nhsNumber").Value).Value, ((Code)p.Part.Single(x => x.Name == "status").Value).Value,
            (p.Part.SingleOrDefault(x => x.Name == "eligibleUntil")?.Value as Date)?.Value,
            p.Part.SingleOrDefault(x => x.Name == "localAuthority")?.Value as Identifier);
    })];

    static string Status(List<Result> results, string nhs) => results.Single(r => r.NhsNumber == nhs).Status;

    /// <summary>The care-leaver Flags the practice's single-patient search finds.</summary>
    static async Task<List<Flag>> FlagSearchAsync(RunningHub hub, string nhs, string practice = Practice)
    {
        var answer = await (await hub.AsAsync(practice, "gp")).GetAsync(
            $"fhir/Flag?patient.identifier={NhsSystem}|{nhs}&code=https://fhir.carehub.org.uk/CodeSystem/cla-flag|care-leaver");
        Assert.True(answer.Status == 200, answer.ToString());
        var bundle = answer.As<Bundle>();
        Assert.Equal(Bundle.BundleType.Searchset, bundle.Type);
        return [.. bundle.Entry.Select(e => e.Resource).OfType<Flag>()];
    }

    async Task<CareLeaverScenario> WithoutPdsAsync(string practice = Practice)
    {
        var s = await CareLeaverScenario.ImportAsync(hubs.WithoutPds);
        // The LA records the GP of the children it still sees (the one who left care young is no longer its to update).
        foreach (var child in new[] { s.Leaver, s.Looked, s.Adopted })
            await CareLeaverScenario.RegisterAsync(hubs.WithoutPds, child, practice);
        return s;
    }

    // --- registration from the hub's own records (no PDS configured) ---

    [Fact]
    public async System.Threading.Tasks.Task reports_each_number_in_the_order_given_with_invalid_ones_reported_not_dropped()
    {
        var s = await WithoutPdsAsync();
        var unknown = Numbers.Fresh(1)[0];
        var typo = Numbers.FailingCheckDigit();
        string[] asked = [unknown, s.LeaverNhs, typo, "12345", s.LookedNhs, s.AdoptedNhs, s.LeftNhs, "943 476 5919x", s.LeaverNhs];
        var results = await IdentifyAsync(hubs.WithoutPds, asked);

        Assert.Equal(asked, results.Select(r => r.NhsNumber));
        Assert.Equal(["not-known", "care-leaver", "invalid", "invalid", "looked-after", "not-known", "not-known", "invalid", "care-leaver"], results.Select(r => r.Status));
        var leaver = results[1];
        Assert.Equal("2031-06-01", leaver.EligibleUntil);
        Assert.Equal("https://fhir.carehub.org.uk/Id/dfe-la-number", leaver.LocalAuthority!.System);
        Assert.Equal(CareLeaverScenario.La, leaver.LocalAuthority.Value);
        // Only a care leaver carries eligibility and the LA.
        Assert.All(results.Where(r => r.Status != "care-leaver"), r => { Assert.Null(r.EligibleUntil); Assert.Null(r.LocalAuthority); });
    }

    [Fact]
    public async System.Threading.Tasks.Task a_practice_the_children_are_not_registered_with_learns_nothing()
    {
        var s = await WithoutPdsAsync(OtherPractice);
        var results = await IdentifyAsync(hubs.WithoutPds, s.LeaverNhs, s.LookedNhs);
        Assert.All(results, r => Assert.Equal("not-known", r.Status));
        Assert.Empty(await FlagSearchAsync(hubs.WithoutPds, s.LeaverNhs));
        // The practice they are registered with gets the answer, from the same records.
        Assert.Single(await FlagSearchAsync(hubs.WithoutPds, s.LeaverNhs, OtherPractice));
    }

    [Fact]
    public async System.Threading.Tasks.Task the_flag_search_agrees_for_a_care_leaver_a_looked_after_child_and_a_sealed_record()
    {
        var s = await WithoutPdsAsync();
        var flag = Assert.Single(await FlagSearchAsync(hubs.WithoutPds, s.LeaverNhs));
        Assert.Equal("Patient/" + s.Leaver, flag.Subject.Reference);
        Assert.Empty(await FlagSearchAsync(hubs.WithoutPds, s.LookedNhs));
        Assert.Empty(await FlagSearchAsync(hubs.WithoutPds, s.AdoptedNhs));
        Assert.Empty(await FlagSearchAsync(hubs.WithoutPds, Numbers.FailingCheckDigit()));
    }

    [Fact]
    public async System.Threading.Tasks.Task a_care_leaver_who_refused_care_leaver_support_is_not_known_to_the_operation_or_the_search()
    {
        var s = await WithoutPdsAsync();
        Assert.Equal("care-leaver", Status(await IdentifyAsync(hubs.WithoutPds, s.LeaverNhs), s.LeaverNhs));

        // The young person (20, so the only one with consent authority) records the refusal with their own token.
        var youngPerson = await hubs.WithoutPds.AsAsync(s.LeaverNhs, "young-person", purpose: "own-record", nhs: s.LeaverNhs);
        var consent = new FhirConsent
        {
            Status = FhirConsent.ConsentState.Active,
            Scope = new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy"),
            Category = [new CodeableConcept("http://loinc.org", "59284-0")],
            Patient = new ResourceReference("Patient/" + s.Leaver),
            DateTime = "2026-01-05T10:00:00Z",
            Performer = [new ResourceReference("Patient/" + s.Leaver)],
            Policy = [new FhirConsent.PolicyComponent { Uri = "https://fhir.carehub.org.uk/policy/cla-information-sharing" }],
            Provision = new FhirConsent.provisionComponent
            {
                Type = FhirConsent.ConsentProvisionType.Deny,
                Period = new Period { Start = "2026-01-05" },
                Purpose = [new Coding("https://fhir.carehub.org.uk/CodeSystem/purpose-of-use", "care-leaver-support")],
            },
        };
        var created = await youngPerson.PostAsync("fhir/Consent", consent);
        Assert.True(created.Status == 201, created.ToString());

        Assert.Equal("not-known", Status(await IdentifyAsync(hubs.WithoutPds, s.LeaverNhs), s.LeaverNhs));
        Assert.Empty(await FlagSearchAsync(hubs.WithoutPds, s.LeaverNhs));
    }

    [Fact]
    public async System.Threading.Tasks.Task only_a_gp_may_ask_and_without_a_token_the_answer_is_401()
    {
        foreach (var (org, type) in new[] { ("933", "la"), ("QSL", "icb"), ("RH5", "provider") })
        {
            var refused = await (await hubs.WithoutPds.AsAsync(org, type)).PostAsync(Operation, Ask(Numbers.Fresh(1)[0]));
            Assert.True(refused.Status == 403, $"{type}: {refused}");
            Assert.Equal(OperationOutcome.IssueType.Forbidden, refused.Outcome.Issue[0].Code);
        }
        var anonymous = await new FhirCall(hubs.WithoutPds.Http, null).PostAsync(Operation, Ask(Numbers.Fresh(1)[0]));
        Assert.Equal(401, anonymous.Status);
        Assert.IsType<OperationOutcome>(anonymous.Resource);
    }

    [Fact]
    public async System.Threading.Tasks.Task malformed_parameters_are_400_naming_the_parameter()
    {
        var gp = await hubs.WithoutPds.AsAsync(Practice, "gp");
        var notParameters = await gp.PostAsync(Operation, new Patient());
        Assert.Equal(400, notParameters.Status);

        var otherName = Ask(Numbers.Fresh(1)[0], "x");
        otherName.Parameter[1].Name = "identifier";
        var named = await gp.PostAsync(Operation, otherName);
        Assert.Equal(400, named.Status);
        Assert.Equal("Parameters.parameter[1]", named.Outcome.Issue[0].Expression.Single());

        var noString = Ask(Numbers.Fresh(1)[0], "x", "y");
        noString.Parameter[2].Value = new Integer(943476591);
        var typed = await gp.PostAsync(Operation, noString);
        Assert.Equal(400, typed.Status);
        Assert.Equal("Parameters.parameter[2].value", typed.Outcome.Issue[0].Expression.Single());
    }

    [Fact]
    public async System.Threading.Tasks.Task more_than_10000_numbers_are_422_and_10000_are_answered()
    {
        var gp = await hubs.WithoutPds.AsAsync(Practice, "gp");
        var numbers = Enumerable.Range(0, 10_001).Select(i => Hub.Mappers.Identifiers.NhsNumber.FromStem(300_000_000 + i * 7L)).ToArray();
        var tooMany = await gp.PostAsync(Operation, Ask(numbers));
        Assert.Equal(422, tooMany.Status);
        Assert.IsType<OperationOutcome>(tooMany.Resource);

        var answered = await gp.PostAsync(Operation, Ask(numbers[..10_000]));
        Assert.True(answered.Status == 200, answered.ToString());
        Assert.Equal(numbers[..10_000], Results(answered).Select(r => r.NhsNumber));
    }

    [Fact]
    public async System.Threading.Tasks.Task each_child_reported_gets_one_audit_event_and_the_others_none()
    {
        var s = await WithoutPdsAsync();
        await IdentifyAsync(hubs.WithoutPds, s.LeaverNhs, s.LookedNhs, s.AdoptedNhs, s.LeftNhs);
        var admin = await hubs.WithoutPds.AsAsync("carehub-admin", "admin");
        async Task<List<AuditEvent>> AuditOf(string patient) =>
            [.. (await admin.GetAsync($"fhir/AuditEvent?agent={Practice}&patient=Patient/{patient}&_count=50")).As<Bundle>().Entry.Select(e => (AuditEvent)e.Resource)
                .Where(a => a.Subtype.Any(c => c.Code == "$identify-care-leavers"))];
        var leaver = Assert.Single(await AuditOf(s.Leaver));
        Assert.Contains("care-leaver", leaver.OutcomeDesc);
        Assert.Equal(AuditEvent.AuditEventOutcome.N0, leaver.Outcome);
        Assert.Single(await AuditOf(s.Looked));
        Assert.Empty(await AuditOf(s.Adopted));
        Assert.Empty(await AuditOf(s.Left));
    }

    // --- registration from PDS ---

    /// <summary>A scenario on the PDS hub whose own records say the children are registered with another practice: only PDS can make them this practice's.</summary>
    async Task<CareLeaverScenario> WithPdsAsync()
    {
        var s = await CareLeaverScenario.ImportAsync(hubs.WithPds);
        await CareLeaverScenario.RegisterAsync(hubs.WithPds, s.Leaver, OtherPractice);
        return s;
    }

    [Fact]
    public async System.Threading.Tasks.Task registered_with_the_calling_practice_in_PDS_gives_the_hubs_status_and_PDS_is_asked_only_about_children_the_hub_holds_in_care()
    {
        var s = await WithPdsAsync();
        hubs.Registered(s.LeaverNhs, Practice);
        hubs.Registered(s.LookedNhs, Practice);
        var unknown = Numbers.Fresh(1)[0];
        var results = await IdentifyAsync(hubs.WithPds, s.LeaverNhs, s.LookedNhs, unknown, s.AdoptedNhs, s.LeftNhs);
        Assert.Equal(["care-leaver", "looked-after", "not-known", "not-known", "not-known"], results.Select(r => r.Status));
        Assert.Equal("2031-06-01", results[0].EligibleUntil);

        var read = Assert.Single(hubs.ReadsOf(s.LeaverNhs));
        Assert.True(Guid.TryParse(read.RequestMessage.Headers!["X-Request-ID"].Single(), out _), "X-Request-ID is a UUID");
        Assert.Empty(hubs.ReadsOf(unknown));
        Assert.Empty(hubs.ReadsOf(s.AdoptedNhs));
        Assert.Empty(hubs.ReadsOf(s.LeftNhs));

        // The Flag search takes the same registration, though the hub's own record names another practice.
        Assert.Single(await FlagSearchAsync(hubs.WithPds, s.LeaverNhs));
    }

    [Fact]
    public async System.Threading.Tasks.Task registrations_are_cached()
    {
        var s = await WithPdsAsync();
        hubs.Registered(s.LeaverNhs, Practice);
        hubs.Registered(s.LookedNhs, Practice);
        await IdentifyAsync(hubs.WithPds, s.LeaverNhs, s.LookedNhs);
        var again = await IdentifyAsync(hubs.WithPds, s.LookedNhs, s.LeaverNhs);
        Assert.Equal(["looked-after", "care-leaver"], again.Select(r => r.Status));
        Assert.Single(await FlagSearchAsync(hubs.WithPds, s.LeaverNhs));
        Assert.Single(hubs.ReadsOf(s.LeaverNhs));
        Assert.Single(hubs.ReadsOf(s.LookedNhs));
    }

    [Fact]
    public async System.Threading.Tasks.Task registered_elsewhere_restricted_invalidated_or_not_found_in_PDS_is_not_known()
    {
        // Four care leavers, each with its own PDS answer; the hub's records name the calling practice for all of them.
        var cases = new List<(string Nhs, Action<string> Pds)>
        {
            ("", n => hubs.Registered(n, OtherPractice)),
            ("", hubs.Restricted),
            ("", n => hubs.NotFound(n, "INVALIDATED_RESOURCE")),
            ("", n => hubs.NotFound(n)),
            ("", n => hubs.Registered(n, null)),
        };
        for (var i = 0; i < cases.Count; i++)
        {
            var s = await CareLeaverScenario.ImportAsync(hubs.WithPds);
            await CareLeaverScenario.RegisterAsync(hubs.WithPds, s.Leaver, Practice);
            cases[i].Pds(s.LeaverNhs);
            cases[i] = (s.LeaverNhs, cases[i].Pds);
        }
        var results = await IdentifyAsync(hubs.WithPds, [.. cases.Select(c => c.Nhs)]);
        Assert.All(results, r => Assert.Equal("not-known", r.Status));
        foreach (var (nhs, _) in cases)
        {
            Assert.Single(hubs.ReadsOf(nhs));
            Assert.Empty(await FlagSearchAsync(hubs.WithPds, nhs));
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task a_superseded_number_is_answered_under_the_number_asked_from_the_records_under_both()
    {
        var s = await WithPdsAsync();
        // The care leaver's number is superseded by the looked-after child's: the same person, looked after again.
        hubs.Registered(s.LeaverNhs, Practice, id: s.LookedNhs);
        var other = await WithPdsAsync();
        var current = Numbers.Fresh(1)[0];
        hubs.Registered(other.LeaverNhs, Practice, id: current); // superseded by a number the hub holds nothing under

        var results = await IdentifyAsync(hubs.WithPds, s.LeaverNhs, other.LeaverNhs);
        Assert.Equal([s.LeaverNhs, other.LeaverNhs], results.Select(r => r.NhsNumber));
        Assert.Equal("looked-after", results[0].Status);
        Assert.Equal("care-leaver", results[1].Status);
        Assert.Equal("2031-06-01", results[1].EligibleUntil);
    }

    [Theory]
    [InlineData("5xx")]
    [InlineData("timeout")]
    public async System.Threading.Tasks.Task PDS_out_of_reach_answers_503_transient_with_Retry_After_never_a_guess(string failure)
    {
        var s = await WithPdsAsync();
        hubs.Registered(s.LookedNhs, Practice);
        if (failure == "5xx") hubs.Failing(s.LeaverNhs, 503);
        else hubs.Failing(s.LeaverNhs, delay: TimeSpan.FromSeconds(5));

        var answer = await (await hubs.WithPds.AsAsync(Practice, "gp")).PostAsync(Operation, Ask(s.LookedNhs, s.LeaverNhs));
        Assert.True(answer.Status == 503, answer.ToString());
        Assert.Equal(OperationOutcome.IssueType.Transient, answer.Outcome.Issue[0].Code);
        Assert.Equal(CareLeaverHubs.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), answer.Headers["Retry-After"]);
        // The first attempt and one retry (a delayed answer is logged once WireMock has sent it, after the hub gave up).
        for (var waited = 0; hubs.ReadsOf(s.LeaverNhs).Count < 2 && waited < 200; waited++) await System.Threading.Tasks.Task.Delay(100);
        Assert.Equal(2, hubs.ReadsOf(s.LeaverNhs).Count);

        var search = await (await hubs.WithPds.AsAsync(Practice, "gp")).GetAsync(
            $"fhir/Flag?patient.identifier={NhsSystem}|{s.LeaverNhs}&code=https://fhir.carehub.org.uk/CodeSystem/cla-flag|care-leaver");
        Assert.Equal(503, search.Status);
        Assert.Equal(OperationOutcome.IssueType.Transient, search.Outcome.Issue[0].Code);
        Assert.Equal(CareLeaverHubs.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), search.Headers["Retry-After"]);
    }
}

public sealed class SqliteIdentifyCareLeaversTests(SqliteCareLeaverHubs f) : IdentifyCareLeaversTests(f), IClassFixture<SqliteCareLeaverHubs>;
public sealed class PostgresIdentifyCareLeaversTests(PostgresCareLeaverHubs f) : IdentifyCareLeaversTests(f), IClassFixture<PostgresCareLeaverHubs>;
