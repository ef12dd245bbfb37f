using Microsoft.Extensions.DependencyInjection;
using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hub.Consent.Policy;
using Hub.Mappers.Ssda903.Generation;
using Hub.Tests.Http;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Enforcement;

/// <summary>
/// The consent decision applied on every read path (issue 4 §2) over real HTTP, once per database provider: read, vread,
/// history, search, _include and $summary; break-glass; sealed records; what the AuditEvent says.
/// </summary>
public abstract class EnforcementTests(HubFixture fixture)
{
    RunningHub Hub => fixture.Hub;
    const string La = "933", ResponsibleIcb = "QSL", HostIcb = "QE1", Gp = "A81001";
    const string HostIcbSystem = "https://fhir.carehub.org.uk/Id/la-child-id/" + La;
    static readonly Dictionary<string, string> Reason = new() { ["X-Access-Reason"] = "unconscious in A&E, carer unreachable" };

    /// <summary>A 17-year-old placed in QE1's area (the host ICB) with an IHA and an immunisation, and an adopted (sealed) child.</summary>
    sealed record Scenario(string Away, string Adopted, string AwayNhs);

    async Task<Scenario> ScenarioAsync()
    {
        var (a, s) = (Children.NewChildId(), Children.NewChildId());
        var (an, sn) = (Children.NewNhsNumber(), Children.NewNhsNumber());
        var token = await Hub.TokenAsync(La, "la");
        await Hub.ImportReturnAsync(La, 2025,
            ("header.csv", $"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\r\n{a},F,04/05/2009,WBRI,UN3,,\r\n{s},M,04/05/2020,WBRI,UN3,,\r\n"),
            ("episodes.csv", "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\r\n" +
            $"{a},01/06/2023,S,C2,N1,U6,PR1,,,,TA1 2AB,LA1 4XX,SC123456\r\n" +
            $"{s},01/01/2023,S,E1,N1,A6,PR1,01/12/2024,E11,,TA1 2AB,LA1 4XY,\r\n"),
            ("child_identifiers.csv", $"CHILD,NHS_NUMBER\r\n{a},{an}\r\n{s},{sn}\r\n"));

        var team = await Hub.AsAsync("RH5", "provider", "cla-health-team");
        var sent = await team.PostAsync("fhir", ProviderBundles.Transaction([
            new ProviderRecord("RH5", a, an, ProviderRecordKind.InitialHealthAssessment, new DateOnly(2023, 7, 1)),
            new ProviderRecord("RH5", a, an, ProviderRecordKind.Immunisation, new DateOnly(2024, 10, 3), new Vaccine("FLU", "Influenza (annual)")),
        ]));
        Assert.True(sent.Status == 200, sent.ToString());

        var la = new FhirCall(Hub.Http, token);
        async Task<string> IdOf(string child) => (await la.GetAsync($"fhir/Patient?identifier={HostIcbSystem}|{child}")).As<Bundle>().Entry.Single().Resource.Id;
        return new Scenario(await IdOf(a), await IdOf(s), an);
    }

    /// <summary>The young person's own objection to sharing with the host ICB (as fhir-profiles' example), recorded by the young person.</summary>
    static Hl7.Fhir.Model.Consent ObjectionToHostIcb(string patientId) => new()
    {
        Meta = new Meta { Profile = ["https://fhir.carehub.org.uk/StructureDefinition/CLAConsent"] },
        Status = Hl7.Fhir.Model.Consent.ConsentState.Active,
        Scope = new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy"),
        Category = [new CodeableConcept("http://loinc.org", "59284-0")],
        Patient = new ResourceReference("Patient/" + patientId),
        DateTime = "2026-01-05T10:00:00Z",
        Performer = [new ResourceReference("Patient/" + patientId)],
        Organization = [new ResourceReference("Organization/" + La)],
        Policy = [new Hl7.Fhir.Model.Consent.PolicyComponent { Uri = "https://fhir.carehub.org.uk/policy/cla-information-sharing" }],
        Provision = new Hl7.Fhir.Model.Consent.provisionComponent
        {
            Type = Hl7.Fhir.Model.Consent.ConsentProvisionType.Permit,
            Period = new Period { Start = "2026-01-05", End = "2099-12-31" },
            Purpose = [new Coding("https://fhir.carehub.org.uk/CodeSystem/purpose-of-use", "direct-care")],
            Provision =
            [
                new Hl7.Fhir.Model.Consent.provisionComponent
                {
                    Type = Hl7.Fhir.Model.Consent.ConsentProvisionType.Deny,
                    Actor = [new Hl7.Fhir.Model.Consent.provisionActorComponent
                    {
                        Role = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"),
                        Reference = new ResourceReference("Organization/" + HostIcb),
                    }],
                },
            ],
        },
    };

    /// <summary>A record labelled V (very restricted, e.g. pre-adoption identity): never leaves the hub (G8).</summary>
    static Observation VeryRestricted(string patientId) => new()
    {
        Meta = new Meta { Security = [new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "V")] },
        Status = ObservationStatus.Final,
        Code = new CodeableConcept { Text = "birth family identifiers" },
        Subject = new ResourceReference("Patient/" + patientId),
        Effective = new FhirDateTime("2025-03-31"),
    };

    static async Task<string> IdOfImmunisation(FhirCall la, string child) =>
        (await la.GetAsync($"fhir/Immunization?patient={child}")).As<Bundle>().Entry.Single().Resource.Id;

    async Task RecordObjectionAsync(string child, string nhs)
    {
        // decisions.md: a young person records their own Consents (the LA may not record one in their name).
        var young = await Hub.AsAsync(nhs, "young-person", purpose: "own-record", nhs: nhs);
        var recorded = await young.PostAsync("fhir/Consent", ObjectionToHostIcb(child));
        Assert.True(recorded.Status == 201, recorded.ToString());
    }

    [Fact]
    public async Task a_competent_young_persons_objection_refuses_the_host_icb_on_every_path_while_the_LA_still_sees_the_record()
    {
        var s = await ScenarioAsync();
        var host = await Hub.AsAsync(HostIcb, "icb");
        var la = await Hub.AsAsync(La, "la");
        var immunisation = await IdOfImmunisation(la, s.Away);
        // Before the objection the host ICB sees the child (row 4).
        Assert.Equal(200, (await host.GetAsync($"fhir/Patient/{s.Away}")).Status);
        Assert.Equal(200, (await host.GetAsync($"fhir/Immunization/{immunisation}")).Status);
        Assert.Single((await host.GetAsync($"fhir/Immunization?patient={s.Away}")).As<Bundle>().Entry);

        await RecordObjectionAsync(s.Away, s.AwayNhs);

        // Row 4 with the young person's objection: DENY. The host ICB knows the child (it hosts the placement), so a refusal.
        foreach (var path in new[] { $"fhir/Patient/{s.Away}", $"fhir/Patient/{s.Away}/_history/1", $"fhir/Patient/{s.Away}/_history",
                     $"fhir/Immunization/{immunisation}", $"fhir/Immunization/{immunisation}/_history/1", $"fhir/Patient/{s.Away}/$summary" })
        {
            var refused = await host.GetAsync(path);
            Assert.True(refused.Status == 403, $"{path}: {refused}");
            Assert.IsType<OperationOutcome>(refused.Resource);
        }
        var search = (await host.GetAsync($"fhir/Immunization?patient={s.Away}")).As<Bundle>();
        Assert.Empty(search.Entry);
        Assert.Null(search.Total); // something was filtered
        var count = (await host.GetAsync($"fhir/Immunization?patient={s.Away}&_summary=count")).As<Bundle>();
        Assert.Null(count.Total);
        var included = (await host.GetAsync($"fhir/EpisodeOfCare?patient={s.Away}&_include=EpisodeOfCare:patient")).As<Bundle>();
        Assert.Empty(included.Entry);

        // The LA is not named in the objection: it still reads, searches, includes and summarises.
        Assert.Equal(200, (await la.GetAsync($"fhir/Patient/{s.Away}")).Status);
        Assert.Equal(200, (await la.GetAsync($"fhir/Patient/{s.Away}/_history/1")).Status);
        Assert.Equal(200, (await la.GetAsync($"fhir/Patient/{s.Away}/_history")).Status);
        Assert.Equal(200, (await la.GetAsync($"fhir/Immunization/{immunisation}")).Status);
        var withPatient = (await la.GetAsync($"fhir/EpisodeOfCare?patient={s.Away}&_include=EpisodeOfCare:patient")).As<Bundle>();
        Assert.Contains(withPatient.Entry, e => e.Resource is Patient p && p.Id == s.Away);
        Assert.Equal(200, (await la.GetAsync($"fhir/Patient/{s.Away}/$summary")).Status);

        // The refusal is audited with the Consent it was based on and the policy version.
        var admin = await Hub.AsAsync("carehub-admin", "admin");
        var events = (await admin.GetAsync($"fhir/AuditEvent?agent={HostIcb}&outcome=4&_count=100")).As<Bundle>().Entry.Select(e => (AuditEvent)e.Resource).ToList();
        Assert.Contains(events, e => e.Entity.Any(x => x.What?.Reference?.StartsWith("Consent/") == true)
                                     && e.OutcomeDesc.Contains("decision: Deny") && e.OutcomeDesc.Contains("policy: " + ConsentPolicy.Shipped.Version));
    }

    [Fact]
    public async Task the_host_icb_gets_no_sensitive_data_without_a_referral_category_and_the_summary_marks_it()
    {
        var s = await ScenarioAsync();
        var host = await Hub.AsAsync(HostIcb, "icb");
        var la = await Hub.AsAsync(La, "la");
        // Substance misuse (OC2) is D3: row 4 releases only the category relevant to a referral, and none is named.
        var sud = new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("https://fhir.carehub.org.uk/CodeSystem/cla-health", "substance-misuse"),
            Subject = new ResourceReference("Patient/" + s.Away),
            Effective = new FhirDateTime("2025-03-31"),
            Value = new FhirBoolean(true),
        };
        var stored = await la.PostAsync("fhir/Observation", sud);
        Assert.True(stored.Status == 201, stored.ToString());
        var id = stored.As<Observation>().Id;
        Assert.Equal(404, (await host.GetAsync($"fhir/Observation/{id}")).Status);
        Assert.Equal(404, (await host.GetAsync($"fhir/Observation/{id}/_history/1")).Status);
        Assert.Equal(404, (await host.GetAsync($"fhir/Observation/{id}/_history")).Status);
        var search = (await host.GetAsync($"fhir/Observation?subject=Patient/{s.Away}&_count=100")).As<Bundle>();
        Assert.DoesNotContain(search.Entry, e => e.Resource.Id == id);
        Assert.Null(search.Total);
        var summary = (await host.GetAsync($"fhir/Patient/{s.Away}/$summary")).As<Bundle>();
        Assert.DoesNotContain(summary.Entry, e => e.Resource.Id == id);
        Assert.Contains(summary.Meta.Security, c => c.Code == "REDACTED");
        // The immunisation (D1) is released to the host ICB.
        Assert.Single(summary.Entry.Select(e => e.Resource).OfType<Immunization>());
    }

    [Fact]
    public async Task a_related_person_belongs_to_the_childs_record_and_a_type_the_hub_does_not_hold_is_refused()
    {
        var scenario = await ScenarioAsync();
        var la = await Hub.AsAsync(La, "la");
        var mother = new RelatedPerson
        {
            Patient = new ResourceReference("Patient/" + scenario.Away),
            Relationship = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-RoleCode", "MTH")],
            Name = [new HumanName { Family = "Example", Given = ["Mother"] }],
        };
        var created = await la.PostAsync("fhir/RelatedPerson", mother);
        Assert.True(created.Status == 201, created.ToString());
        var reference = "fhir/RelatedPerson/" + created.As<RelatedPerson>().Id;

        // In the child's record, so the consent rules reach it (third-party data, D5: even the LA's direct-care view
        // withholds it, row 11); a GP with no relationship to the child gets what a resource that does not exist gets.
        using (var scope = Hub.App.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Hub.Api.Storage.HubDb>();
            var row = db.Resources.Single(r => r.Type == "RelatedPerson" && r.Id == created.As<RelatedPerson>().Id);
            Assert.Equal(scenario.Away, row.PatientId);
        }
        Assert.Equal(404, (await la.GetAsync(reference)).Status);
        var stranger = await Hub.AsAsync(Gp, "gp");
        Assert.Equal(404, (await stranger.GetAsync(reference)).Status);
        Assert.Empty((await stranger.GetAsync("fhir/RelatedPerson?patient=" + scenario.Away)).As<Bundle>().Entry);

        // A type with no place in a child's record would be shown to anyone: it is not stored at all.
        var procedure = new Procedure { Status = EventStatus.Completed, Subject = new ResourceReference("Patient/" + scenario.Away), Code = new CodeableConcept { Text = "appendicectomy" } };
        var refused = await la.PostAsync("fhir/Procedure", procedure);
        Assert.Equal(422, refused.Status);
        Assert.Contains("does not hold Procedure", refused.ToString());
    }

    [Fact]
    public async Task a_resource_labelled_V_never_leaves_the_hub_on_any_path()
    {
        var s = await ScenarioAsync();
        var la = await Hub.AsAsync(La, "la");
        var stored = await la.PostAsync("fhir/Observation", VeryRestricted(s.Away));
        Assert.True(stored.Status == 201, stored.ToString());
        var id = stored.As<Observation>().Id;
        var missing = await la.GetAsync("fhir/Observation/does-not-exist");

        foreach (var path in new[] { $"fhir/Observation/{id}", $"fhir/Observation/{id}/_history/1", $"fhir/Observation/{id}/_history" })
        {
            var hidden = await la.GetAsync(path);
            Assert.True(hidden.Status == 404, $"{path}: {hidden}");
        }
        // Not found looks like a resource that does not exist, but for the reference it names.
        Assert.Equal(missing.Outcome.Issue.Single().Code, (await la.GetAsync($"fhir/Observation/{id}")).Outcome.Issue.Single().Code);

        var search = (await la.GetAsync($"fhir/Observation?subject=Patient/{s.Away}&_count=100")).As<Bundle>();
        Assert.DoesNotContain(search.Entry, e => e.Resource.Id == id);
        Assert.Null(search.Total);
        Assert.Null((await la.GetAsync($"fhir/Observation?subject=Patient/{s.Away}&_summary=count")).As<Bundle>().Total);
        var summary = (await la.GetAsync($"fhir/Patient/{s.Away}/$summary")).As<Bundle>();
        Assert.DoesNotContain(summary.Entry, e => e.Resource.Id == id);
        Assert.DoesNotContain("birth family", summary.Entry.Select(e => e.Resource).OfType<Composition>().Single().Section.Select(x => x.Text?.Div ?? "").Aggregate("", string.Concat));

        // An include never brings it either: a Patient labelled V is left out of EpisodeOfCare?_include.
        var child = Children.Patient(La);
        child.Meta = new Meta { Security = [new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "V")] };
        var restricted = (await la.PostAsync("fhir/Patient", child)).As<Patient>();
        Assert.Equal(201, (await la.PostAsync("fhir/EpisodeOfCare", Children.Episode(La, $"Patient/{restricted.Id}", "2025-01-01"))).Status);
        var included = (await la.GetAsync($"fhir/EpisodeOfCare?patient={restricted.Id}&_include=EpisodeOfCare:patient")).As<Bundle>();
        Assert.Single(included.Entry);
        Assert.IsType<EpisodeOfCare>(included.Entry[0].Resource);
        Assert.Equal(404, (await la.GetAsync($"fhir/Patient/{restricted.Id}")).Status);
    }

    [Fact]
    public async Task a_page_never_links_to_matches_the_caller_may_not_see()
    {
        var la = await Hub.AsAsync(La, "la");
        var child = (await la.PostAsync("fhir/Patient", Children.Patient(La))).As<Patient>();
        var plain = VeryRestricted(child.Id);
        plain.Meta = null;
        plain.Code = new CodeableConcept { Text = "height" };
        var shown = (await la.PostAsync("fhir/Observation", plain)).As<Observation>().Id;
        // Newest first: the V-labelled one would lead the first page, and be the only match of the second.
        Assert.Equal(201, (await la.PostAsync("fhir/Observation", VeryRestricted(child.Id))).Status);
        var page = (await la.GetAsync($"fhir/Observation?subject=Patient/{child.Id}&_count=1")).As<Bundle>();
        Assert.Equal(shown, Assert.Single(page.Entry).Resource.Id);
        Assert.DoesNotContain(page.Link, l => l.Relation == "next");
        Assert.Null(page.Total);
        Assert.Equal(201, (await la.PostAsync("fhir/Observation", VeryRestricted(child.Id))).Status);
        Assert.Equal(201, (await la.PostAsync("fhir/Observation", plain)).Status);
        var first = (await la.GetAsync($"fhir/Observation?subject=Patient/{child.Id}&_count=1")).As<Bundle>();
        var next = first.Link.Single(l => l.Relation == "next").Url;
        var second = (await la.GetAsync(next[(next.IndexOf("/fhir/", StringComparison.Ordinal) + 1)..])).As<Bundle>();
        Assert.Equal(shown, Assert.Single(second.Entry).Resource.Id);
        Assert.DoesNotContain(second.Link, l => l.Relation == "next");
    }

    [Fact]
    public async Task break_glass_needs_a_reason_and_is_audited_with_it()
    {
        var s = await ScenarioAsync();
        var glass = await Hub.AsAsync(HostIcb, "icb", purpose: "break-glass");
        foreach (var path in new[] { $"fhir/Patient/{s.Away}", $"fhir/Patient/{s.Away}/$summary", $"fhir/Immunization?patient={s.Away}" })
        {
            var refused = await glass.GetAsync(path);
            if (path.Contains('?'))
                Assert.Empty(refused.As<Bundle>().Entry);
            else
            {
                Assert.True(refused.Status == 403, $"{path}: {refused}");
                Assert.Contains("X-Access-Reason", refused.Outcome.Issue.Single().Diagnostics);
            }
        }
        var read = await glass.GetAsync($"fhir/Patient/{s.Away}", Reason);
        Assert.True(read.Status == 200, read.ToString());
        Assert.Equal(200, (await glass.GetAsync($"fhir/Patient/{s.Away}/$summary", Reason)).Status);
        Assert.Single((await glass.GetAsync($"fhir/Immunization?patient={s.Away}", Reason)).As<Bundle>().Entry);

        var admin = await Hub.AsAsync("carehub-admin", "admin");
        var events = (await admin.GetAsync($"fhir/AuditEvent?patient=Patient/{s.Away}&agent={HostIcb}&_count=100")).As<Bundle>().Entry.Select(e => (AuditEvent)e.Resource).ToList();
        var permitted = events.Where(e => e.Outcome == AuditEvent.AuditEventOutcome.N0).ToList();
        Assert.NotEmpty(permitted);
        Assert.All(permitted, e =>
        {
            Assert.Contains(e.Entity, x => x.Name == "access-reason" && x.Description == Reason["X-Access-Reason"]);
            Assert.Contains("decision: BreakGlassPermit", e.OutcomeDesc);
            Assert.Contains("notify:", e.OutcomeDesc);
            Assert.Contains("time-box:", e.OutcomeDesc);
        });
        Assert.Contains(events, e => e.Outcome == AuditEvent.AuditEventOutcome.N4 && e.OutcomeDesc.Contains("X-Access-Reason"));
    }

    [Fact]
    public async Task a_sealed_record_stays_not_found_under_break_glass_exactly_as_a_patient_that_does_not_exist()
    {
        var s = await ScenarioAsync();
        var glass = await Hub.AsAsync(HostIcb, "icb", purpose: "break-glass");
        var designated = await Hub.AsAsync(ResponsibleIcb, "icb", "designated-professional", purpose: "break-glass");
        foreach (var caller in new[] { glass, designated })
        {
            var sealedRead = await caller.GetAsync($"fhir/Patient/{s.Adopted}", Reason);
            var noneRead = await caller.GetAsync("fhir/Patient/no-such-child", Reason);
            Assert.Equal(404, sealedRead.Status);
            Assert.Equal(noneRead.Body.Replace("no-such-child", s.Adopted), sealedRead.Body);
            var sealedSummary = await caller.GetAsync($"fhir/Patient/{s.Adopted}/$summary", Reason);
            var noneSummary = await caller.GetAsync("fhir/Patient/no-such-child/$summary", Reason);
            Assert.Equal(404, sealedSummary.Status);
            Assert.Equal(noneSummary.Body.Replace("no-such-child", s.Adopted), sealedSummary.Body);
            Assert.Empty((await caller.GetAsync($"fhir/EpisodeOfCare?patient={s.Adopted}", Reason)).As<Bundle>().Entry);
        }
    }

    [Fact]
    public async Task not_found_runs_the_same_queries_as_a_patient_that_does_not_exist()
    {
        var s = await ScenarioAsync();
        var missing = "no-such-" + Children.NewChildId();
        var stranger = await Hub.AsAsync("QWX", "icb");
        var host = await Hub.AsAsync(HostIcb, "icb");
        // Decisions.md "same timing class": the same code path and the same queries, counted, never timed.
        var counter = new CommandCounter();
        using var subscription = System.Diagnostics.DiagnosticListener.AllListeners.Subscribe(counter);
        // EF Core looks again whether anyone listens at most once a second.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        async Task<(FhirAnswer Answer, int Queries)> QueriesNaming(string id, Func<Task<FhirAnswer>> call)
        {
            counter.Watch(id);
            var answer = await call();
            return (answer, counter.Stop());
        }
        foreach (var (caller, hidden) in new[] { (stranger, s.Away), (host, s.Adopted) })
            foreach (var path in new[] { "fhir/Patient/{0}", "fhir/Patient/{0}/_history/1", "fhir/Patient/{0}/_history", "fhir/Patient/{0}/$summary" })
            {
                var (hiddenAnswer, hiddenQueries) = await QueriesNaming(hidden, () => caller.GetAsync(string.Format(path, hidden)));
                var (missingAnswer, missingQueries) = await QueriesNaming(missing, () => caller.GetAsync(string.Format(path, missing)));
                Assert.Equal(404, hiddenAnswer.Status);
                Assert.Equal(missingAnswer.Body.Replace(missing, "ID"), hiddenAnswer.Body.Replace(hidden, "ID"));
                Assert.True(missingQueries > 0, path);
                Assert.True(hiddenQueries == missingQueries, $"{path}: {hiddenQueries} queries for a hidden patient, {missingQueries} for a missing one");
            }
    }

    /// <summary>Counts the database commands that name the watched id in a parameter (ids are unique to the test).</summary>
    sealed class CommandCounter : IObserver<System.Diagnostics.DiagnosticListener>, IObserver<KeyValuePair<string, object?>>
    {
        int count;
        volatile string? watched;
        public void Watch(string id) { Volatile.Write(ref count, 0); watched = id; }
        public int Stop() { watched = null; return Volatile.Read(ref count); }
        public void OnNext(System.Diagnostics.DiagnosticListener listener)
        {
            if (listener.Name == "Microsoft.EntityFrameworkCore") listener.Subscribe(this);
        }
        public void OnNext(KeyValuePair<string, object?> e)
        {
            if (watched is { } id && e.Value is Microsoft.EntityFrameworkCore.Diagnostics.CommandExecutedEventData d
                && d.Command.Parameters.Cast<System.Data.Common.DbParameter>().Any(p => p.Value?.ToString()?.Contains(id, StringComparison.Ordinal) == true))
                Interlocked.Increment(ref count);
        }
        public void OnError(Exception error) { }
        public void OnCompleted() { }
    }

    [Fact]
    public async Task every_decision_is_audited_with_its_verdict_obligations_and_policy_version()
    {
        var s = await ScenarioAsync();
        var la = await Hub.AsAsync(La, "la");
        Assert.Equal(200, (await la.GetAsync($"fhir/Patient/{s.Away}")).Status);
        Assert.Equal(200, (await la.GetAsync($"fhir/Patient/{s.Away}/$summary")).Status);
        Assert.Equal(200, (await la.GetAsync($"fhir/Immunization?patient={s.Away}")).Status);
        var admin = await Hub.AsAsync("carehub-admin", "admin");
        var events = (await admin.GetAsync($"fhir/AuditEvent?patient=Patient/{s.Away}&agent={La}&_count=100")).As<Bundle>().Entry.Select(e => (AuditEvent)e.Resource).ToList();
        foreach (var action in new[] { "read", "$summary", "search-type" })
        {
            var e = events.Last(e => e.Subtype.Any(x => x.Code == action) && e.Outcome == AuditEvent.AuditEventOutcome.N0 && e.OutcomeDesc?.Contains("policy:") == true);
            // Row 11 (LA social worker, care planning): sensitive clinical (D3) and third-party (D5) data withheld.
            Assert.Contains("decision: PermitWithObligations", e.OutcomeDesc);
            Assert.Contains("withhold:D3", e.OutcomeDesc);
            Assert.Contains("withhold:D5", e.OutcomeDesc);
            Assert.Contains("redact-label:V", e.OutcomeDesc);
            Assert.Contains("policy: " + ConsentPolicy.Shipped.Version, e.OutcomeDesc);
            Assert.Contains(e.Entity, x => x.Name == "consent-policy" && x.Description == ConsentPolicy.Shipped.Version);
            Assert.Contains(e.PurposeOfEvent, p => p.Coding.Any(c => c.Code == "direct-care"));
        }
    }
}

public sealed class SqliteEnforcementTests(SqliteHubFixture f) : EnforcementTests(f), IClassFixture<SqliteHubFixture>;
public sealed class PostgresEnforcementTests(PostgresHubFixture f) : EnforcementTests(f), IClassFixture<PostgresHubFixture>;
