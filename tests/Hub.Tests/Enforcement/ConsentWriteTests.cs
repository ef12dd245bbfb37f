using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hub.Consent.Consents;
using Hub.Consent.Policy;
using Hub.Mappers.Ssda903.Generation;
using Hub.Tests.Http;
using Hub.Tests.Infrastructure;
using FhirConsent = Hl7.Fhir.Model.Consent;

namespace Hub.Tests.Enforcement;

/// <summary>
/// Consent recording on the FHIR write path (issue 4 §1, "bad input") over real HTTP, once per database provider: who may
/// record whose Consent (reference/consent.md §3.4, decisions.md), what is rejected as impossible, that create, update,
/// delete, conditional create, transaction and batch all ask the same question, that reads then follow the Consent, and
/// that every Consent write and refusal is audited.
/// </summary>
public abstract class ConsentWriteTests(HubFixture fixture)
{
    RunningHub Hub => fixture.Hub;
    const string La = "933", HostIcb = "QE1", HostProvider = "RXN", ResponsibleTeam = "RH5";
    const string ChildIdSystem = "https://fhir.carehub.org.uk/Id/la-child-id/" + La;

    /// <summary>Three children of LA 933, all placed in QE1's area: a 17-year-old and a 12-year-old on care orders (C2), a 12-year-old under s20 (V2).</summary>
    sealed record Scenario(string Older, string OlderNhs, string Younger, string YoungerNhs, string Section20);

    async Task<Scenario> ScenarioAsync()
    {
        var (o, y, s) = (Children.NewChildId(), Children.NewChildId(), Children.NewChildId());
        var (on, yn, sn) = (Children.NewNhsNumber(), Children.NewNhsNumber(), Children.NewNhsNumber());
        var token = await Hub.TokenAsync(La, "la");
        await Hub.ImportReturnAsync(La, 2025,
            ("header.csv", "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\r\n" +
            $"{o},F,04/05/2009,WBRI,UN3,,\r\n{y},M,04/05/2014,WBRI,UN3,,\r\n{s},F,04/05/2014,WBRI,UN3,,\r\n"),
            ("episodes.csv", "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\r\n" +
            $"{o},01/06/2023,S,C2,N1,U6,PR1,,,,TA1 2AB,LA1 4XX,SC123456\r\n" +
            $"{y},01/06/2023,S,C2,N1,U6,PR1,,,,TA1 2AB,LA1 4XX,SC123456\r\n" +
            $"{s},01/06/2023,S,V2,N1,U6,PR1,,,,TA1 2AB,LA1 4XX,SC123456\r\n"),
            ("child_identifiers.csv", $"CHILD,NHS_NUMBER\r\n{o},{on}\r\n{y},{yn}\r\n{s},{sn}\r\n"));

        var team = await Hub.AsAsync(ResponsibleTeam, "provider", "cla-health-team");
        var sent = await team.PostAsync("fhir", ProviderBundles.Transaction([
            new ProviderRecord(ResponsibleTeam, o, on, ProviderRecordKind.InitialHealthAssessment, new DateOnly(2023, 7, 1)),
            new ProviderRecord(ResponsibleTeam, o, on, ProviderRecordKind.Immunisation, new DateOnly(2024, 10, 3), new Vaccine("FLU", "Influenza (annual)")),
        ]));
        Assert.True(sent.Status == 200, sent.ToString());

        var la = new FhirCall(Hub.Http, token);
        async Task<string> IdOf(string child) => (await la.GetAsync($"fhir/Patient?identifier={ChildIdSystem}|{child}")).As<Bundle>().Entry.Single().Resource.Id;
        return new Scenario(await IdOf(o), on, await IdOf(y), yn, await IdOf(s));
    }

    Task<FhirCall> YoungPersonAsync(string nhs) => Hub.AsAsync(nhs, "young-person", purpose: "own-record", nhs: nhs);

    /// <summary>A CLAConsent: a permit for direct care with one exception, a deny to the host ICB (optionally of some labels only).</summary>
    static FhirConsent Objection(string patientId, string performer, params Coding[] labels) => new()
    {
        Status = FhirConsent.ConsentState.Active,
        Scope = new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy"),
        Category = [new CodeableConcept("http://loinc.org", "59284-0")],
        Patient = new ResourceReference("Patient/" + patientId),
        DateTime = "2026-01-05T10:00:00Z",
        Performer = [new ResourceReference(performer)],
        Policy = [new FhirConsent.PolicyComponent { Uri = "https://fhir.carehub.org.uk/policy/cla-information-sharing" }],
        Provision = new FhirConsent.provisionComponent
        {
            Type = FhirConsent.ConsentProvisionType.Permit,
            Period = new Period { Start = "2026-01-05", End = "2099-12-31" },
            Purpose = [new Coding("https://fhir.carehub.org.uk/CodeSystem/purpose-of-use", "direct-care")],
            Provision =
            [
                new FhirConsent.provisionComponent
                {
                    Type = FhirConsent.ConsentProvisionType.Deny,
                    SecurityLabel = [.. labels],
                    Actor = [new FhirConsent.provisionActorComponent
                    {
                        Role = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"),
                        Reference = new ResourceReference("Organization/" + HostIcb),
                    }],
                },
            ],
        },
    };

    static Coding Label(string code) => new(ConsentPolicy.Shipped.LabelSystems[code], code);

    static RelatedPerson Relative(string patientId, string relationship) => new()
    {
        Patient = new ResourceReference("Patient/" + patientId),
        Relationship = [new CodeableConcept(ParentalResponsibility.RoleCodeSystem, relationship)],
        Name = [new HumanName { Family = "Test", Given = ["Parent"] }],
    };

    async Task<List<AuditEvent>> AuditOfAsync(string agent, string patientId)
    {
        var admin = await Hub.AsAsync("carehub-admin", "admin");
        return (await admin.GetAsync($"fhir/AuditEvent?agent={agent}&patient=Patient/{patientId}&_count=200")).As<Bundle>()
            .Entry.Select(e => (AuditEvent)e.Resource).ToList();
    }

    static void AssertIssue(FhirAnswer answer, int status, string expression, string text)
    {
        Assert.True(answer.Status == status, answer.ToString());
        Assert.Contains(answer.Outcome.Issue, i => i.Expression.Contains(expression) && i.Diagnostics.Contains(text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_young_persons_own_objection_to_the_host_icb_is_recorded_audited_and_then_refuses_the_host_icbs_summary_and_reads()
    {
        var s = await ScenarioAsync();
        var host = await Hub.AsAsync(HostIcb, "icb");
        Assert.Equal(200, (await host.GetAsync($"fhir/Patient/{s.Older}/$summary")).Status);
        Assert.Equal(200, (await host.GetAsync($"fhir/Patient/{s.Older}")).Status);

        var young = await YoungPersonAsync(s.OlderNhs);
        var recorded = await young.PostAsync("fhir/Consent", Objection(s.Older, "Patient/" + s.Older));
        Assert.True(recorded.Status == 201, recorded.ToString());
        var id = recorded.As<FhirConsent>().Id;
        // decisions.md: the young person also reads what they recorded.
        var own = await young.GetAsync($"fhir/Consent/{id}");
        Assert.True(own.Status == 200, own.ToString());
        // What the other tests' "nothing was stored" searches rely on: the LA finds a child's stored Consents.
        Assert.Single((await (await Hub.AsAsync(La, "la")).GetAsync($"fhir/Consent?patient={s.Older}")).As<Bundle>().Entry);

        var summary = await host.GetAsync($"fhir/Patient/{s.Older}/$summary");
        Assert.True(summary.Status == 403, summary.ToString());
        Assert.Equal(403, (await host.GetAsync($"fhir/Patient/{s.Older}")).Status);
        Assert.Empty((await host.GetAsync($"fhir/Immunization?patient={s.Older}")).As<Bundle>().Entry);
        // The LA is not named: it still sees the child.
        Assert.Equal(200, (await (await Hub.AsAsync(La, "la")).GetAsync($"fhir/Patient/{s.Older}/$summary")).Status);

        var created = Assert.Single(await AuditOfAsync(s.OlderNhs, s.Older), e => e.Subtype.Any(c => c.Code == "create"));
        Assert.Equal(AuditEvent.AuditEventOutcome.N0, created.Outcome);
        Assert.Contains(created.Entity, x => x.What?.Reference == $"Consent/{id}");
        Assert.Contains("performer YoungPerson", created.OutcomeDesc);
    }

    [Fact]
    public async Task an_objection_to_sharing_health_assessments_withholds_only_them_from_the_host_icb_summary()
    {
        var s = await ScenarioAsync();
        var host = await Hub.AsAsync(HostIcb, "icb");
        var before = (await host.GetAsync($"fhir/Patient/{s.Older}/$summary")).As<Bundle>();
        Assert.Contains(before.Entry, e => e.Resource is Encounter);

        var young = await YoungPersonAsync(s.OlderNhs);
        var recorded = await young.PostAsync("fhir/Consent", Objection(s.Older, "Patient/" + s.Older, Label("cla-ha")));
        Assert.True(recorded.Status == 201, recorded.ToString());

        var after = await host.GetAsync($"fhir/Patient/{s.Older}/$summary");
        Assert.True(after.Status == 200, after.ToString());
        var bundle = after.As<Bundle>();
        Assert.DoesNotContain(bundle.Entry, e => e.Resource is Encounter);
        Assert.Single(bundle.Entry.Select(e => e.Resource).OfType<Immunization>());
        var encounters = (await host.GetAsync($"fhir/Encounter?patient={s.Older}")).As<Bundle>();
        Assert.Empty(encounters.Entry);
    }

    [Fact]
    public async Task who_may_record_follows_age_competence_and_legal_status()
    {
        var s = await ScenarioAsync();
        var la = await Hub.AsAsync(La, "la");
        var host = await Hub.AsAsync(HostIcb, "icb");

        // Under a care order the LA consents for a 12-year-old not assessed competent, and reads follow it.
        Assert.Equal(200, (await host.GetAsync($"fhir/Patient/{s.Younger}")).Status);
        var laOwn = await la.PostAsync("fhir/Consent", Objection(s.Younger, "Organization/" + La));
        Assert.True(laOwn.Status == 201, laOwn.ToString());
        Assert.Equal(403, (await host.GetAsync($"fhir/Patient/{s.Younger}")).Status);

        // The 12-year-old has no consent authority of their own yet (§3.4: not assessed competent).
        var child = await YoungPersonAsync(s.YoungerNhs);
        AssertIssue(await child.PostAsync("fhir/Consent", Objection(s.Younger, "Patient/" + s.Younger)), 403, "Consent.performer[0]", "holds no consent authority");

        // Under s20 the LA has no PR: it may not consent itself, but records the parent's consent.
        AssertIssue(await la.PostAsync("fhir/Consent", Objection(s.Section20, "Organization/" + La)), 403, "Consent.performer[0]", "holds no consent authority");
        var mother = await la.PostAsync("fhir/RelatedPerson", Relative(s.Section20, "MTH"));
        Assert.True(mother.Status == 201, mother.ToString());
        var parents = await la.PostAsync("fhir/Consent", Objection(s.Section20, "RelatedPerson/" + mother.As<RelatedPerson>().Id));
        Assert.True(parents.Status == 201, parents.ToString());
        Assert.Equal(403, (await host.GetAsync($"fhir/Patient/{s.Section20}")).Status);

        // A grandmother holds no PR by that alone: not someone who can consent for the child.
        var grandmother = (await la.PostAsync("fhir/RelatedPerson", Relative(s.Section20, "GRMTH"))).As<RelatedPerson>();
        AssertIssue(await la.PostAsync("fhir/Consent", Objection(s.Section20, "RelatedPerson/" + grandmother.Id)), 422, "Consent.performer[0]", "recorded PR holder");

        // The LA may not put a 17-year-old's objection in the young person's name: only they (or their clinician) record it.
        AssertIssue(await la.PostAsync("fhir/Consent", Objection(s.Older, "Patient/" + s.Older)), 403, "Consent.performer[0]", "may not record a Consent given by YoungPerson");
    }

    [Fact]
    public async Task a_caller_without_the_right_is_refused_and_one_without_a_relationship_learns_nothing_about_the_child()
    {
        var s = await ScenarioAsync();
        // A provider commissioned by the host ICB knows the child (row 4) but may not record Consents: 403.
        var hostProvider = await Hub.AsAsync(HostProvider, "provider");
        AssertIssue(await hostProvider.PostAsync("fhir/Consent", Objection(s.Older, "Patient/" + s.Older)), 403, "Consent.performer[0]", "HostIcb caller may not record");

        // Someone else's young-person token and a provider with no relationship: exactly as for a patient the hub does not hold.
        var stranger = await YoungPersonAsync(Children.NewNhsNumber());
        var unrelatedProvider = await Hub.AsAsync(ResponsibleTeam, "provider");
        foreach (var caller in new[] { stranger, unrelatedProvider })
        {
            var hidden = await caller.PostAsync("fhir/Consent", Objection(s.Older, "Patient/" + s.Older));
            var missing = await caller.PostAsync("fhir/Consent", Objection("no-such-child", "Patient/no-such-child"));
            Assert.Equal(422, missing.Status);
            Assert.Equal(missing.Status, hidden.Status);
            Assert.Equal(missing.Body.Replace("no-such-child", "ID"), hidden.Body.Replace(s.Older, "ID"));
        }
        // A host ICB token writes nothing at all.
        Assert.Equal(403, (await (await Hub.AsAsync(HostIcb, "icb")).PostAsync("fhir/Consent", Objection(s.Older, "Patient/" + s.Older))).Status);
        // Nothing was stored for the child.
        var la = await Hub.AsAsync(La, "la");
        Assert.Empty((await la.GetAsync($"fhir/Consent?patient={s.Older}")).As<Bundle>().Entry);
        // The refusal is audited against the caller.
        Assert.Contains(await AuditOfAsync(HostProvider, s.Older), e => e.Outcome == AuditEvent.AuditEventOutcome.N4 && e.OutcomeDesc.Contains("403"));
    }

    public static TheoryData<string, string, string> Impossible => new()
    {
        { "root-period", "Consent.provision.period", "ends before it starts" },
        { "nested-period", "Consent.provision.provision[0].period", "lies outside Consent.provision.period" },
        { "same-type", "Consent.provision.provision[0].type", "repeats the base decision" },
        { "contradicting", "Consent.provision.provision[1].type", "contradicts Consent.provision.provision[0]" },
        { "no-type", "Consent.provision.type", "is required" },
        { "purpose", "Consent.provision.purpose[0]", "is not a purpose the hub knows" },
        { "label", "Consent.provision.provision[0].securityLabel[0]", "is not a label the hub assigns" },
        { "actor", "Consent.provision.provision[0].actor[0].reference", "is not an organisation in the hub's reference data" },
        { "third-level", "Consent.provision.provision[0].provision", "at most one level" },
    };

    [Theory]
    [MemberData(nameof(Impossible))]
    public async Task an_impossible_consent_is_rejected_with_422_naming_the_element_and_rule(string defect, string expression, string rule)
    {
        var s = await ScenarioAsync();
        var c = Objection(s.Older, "Patient/" + s.Older);
        var exception = c.Provision.Provision[0];
        switch (defect)
        {
            case "root-period": c.Provision.Period = new Period { Start = "2026-02-01", End = "2026-01-31" }; break;
            case "nested-period": exception.Period = new Period { Start = "2025-01-01", End = "2025-06-30" }; break;
            case "same-type": exception.Type = FhirConsent.ConsentProvisionType.Permit; break;
            case "contradicting":
                var reversed = (FhirConsent.provisionComponent)exception.DeepCopy();
                reversed.Type = FhirConsent.ConsentProvisionType.Permit;
                c.Provision.Provision.Add(reversed);
                break;
            case "no-type": c.Provision.Type = null; break;
            case "purpose": c.Provision.Purpose = [new Coding("https://fhir.carehub.org.uk/CodeSystem/purpose-of-use", "marketing")]; break;
            case "label": exception.SecurityLabel = [new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "NOTALABEL")]; break;
            case "actor": exception.Actor[0].Reference = new ResourceReference("Organization/ZZZ99"); break;
            case "third-level": exception.Provision = [new FhirConsent.provisionComponent { Type = FhirConsent.ConsentProvisionType.Permit }]; break;
        }
        var young = await YoungPersonAsync(s.OlderNhs);
        AssertIssue(await young.PostAsync("fhir/Consent", c), 422, expression, rule);
        // The same Consent in a transaction names the entry as well.
        var tx = new Bundle { Type = Bundle.BundleType.Transaction };
        tx.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:" + Guid.NewGuid(), Resource = c, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Consent" } });
        AssertIssue(await young.PostAsync("fhir", tx), 422, "Bundle.entry[0].resource." + expression, rule);
        Assert.Empty((await (await Hub.AsAsync(La, "la")).GetAsync($"fhir/Consent?patient={s.Older}")).As<Bundle>().Entry);
    }

    [Fact]
    public async Task transaction_batch_and_conditional_create_ask_the_same_question()
    {
        var s = await ScenarioAsync();
        var la = await Hub.AsAsync(La, "la");
        var hostProvider = await Hub.AsAsync(HostProvider, "provider");
        Bundle.EntryComponent Entry(FhirConsent c, string? ifNoneExist = null) => new()
        {
            FullUrl = "urn:uuid:" + Guid.NewGuid(), Resource = c,
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Consent", IfNoneExist = ifNoneExist },
        };

        // A transaction with one Consent the caller may not record writes nothing at all.
        var tx = new Bundle { Type = Bundle.BundleType.Transaction };
        tx.Entry.Add(Entry(Objection(s.Younger, "Organization/" + La)));
        tx.Entry.Add(Entry(Objection(s.Section20, "Organization/" + La)));
        AssertIssue(await la.PostAsync("fhir", tx), 403, "Bundle.entry[1].resource.Consent.performer[0]", "holds no consent authority");
        Assert.Empty((await la.GetAsync($"fhir/Consent?patient={s.Younger}")).As<Bundle>().Entry);

        // A batch answers each entry on its own; the refusal is audited like a request of its own.
        var batch = new Bundle { Type = Bundle.BundleType.Batch };
        batch.Entry.Add(Entry(Objection(s.Younger, "Organization/" + La)));
        batch.Entry.Add(Entry(Objection(s.Older, "Patient/" + s.Older)));
        var answer = (await hostProvider.PostAsync("fhir", batch)).As<Bundle>();
        Assert.All(answer.Entry, e => Assert.StartsWith("403", e.Response.Status));
        var byLa = (await la.PostAsync("fhir", batch)).As<Bundle>();
        Assert.StartsWith("201", byLa.Entry[0].Response.Status);
        Assert.StartsWith("403", byLa.Entry[1].Response.Status);
        var admin = await Hub.AsAsync("carehub-admin", "admin");
        var refusals = (await admin.GetAsync($"fhir/AuditEvent?agent={HostProvider}&outcome=4&_count=200")).As<Bundle>().Entry.Select(e => (AuditEvent)e.Resource);
        Assert.True(refusals.Count(e => e.Subtype.Any(c => c.Code == "create") && e.Entity.Any(x => x.What?.Reference == "Consent")) >= 2);

        // Conditional create: the first creates, the second finds it; one the caller may not record is refused.
        var young = await YoungPersonAsync(s.OlderNhs);
        var tagged = Objection(s.Older, "Patient/" + s.Older);
        tagged.Identifier = [new Identifier("https://example.org/consent", Guid.NewGuid().ToString())];
        var condition = new Dictionary<string, string> { ["If-None-Exist"] = $"identifier={tagged.Identifier[0].System}|{tagged.Identifier[0].Value}" };
        var first = await young.PostAsync("fhir/Consent", tagged, condition);
        Assert.True(first.Status == 201, first.ToString());
        var second = await young.PostAsync("fhir/Consent", tagged, condition);
        Assert.Equal(200, second.Status);
        Assert.Equal(first.As<FhirConsent>().Id, second.As<FhirConsent>().Id);
        var other = Objection(s.Older, "Patient/" + s.Older);
        other.Identifier = [new Identifier("https://example.org/consent", Guid.NewGuid().ToString())];
        var refused = await la.PostAsync("fhir/Consent", other, new Dictionary<string, string> { ["If-None-Exist"] = $"identifier={other.Identifier[0].System}|{other.Identifier[0].Value}" });
        Assert.Equal(403, refused.Status);
    }

    [Fact]
    public async Task only_whoever_may_record_a_consent_may_change_or_delete_it()
    {
        var s = await ScenarioAsync();
        var young = await YoungPersonAsync(s.OlderNhs);
        var la = await Hub.AsAsync(La, "la");
        var host = await Hub.AsAsync(HostIcb, "icb");
        var stored = (await young.PostAsync("fhir/Consent", Objection(s.Older, "Patient/" + s.Older))).As<FhirConsent>();

        // The LA cannot turn the young person's objection into a permit of its own, nor delete it.
        var replaced = Objection(s.Older, "Organization/" + La);
        replaced.Id = stored.Id;
        replaced.Provision.Provision.Clear();
        AssertIssue(await la.PutAsync($"fhir/Consent/{stored.Id}", replaced), 403, "Consent.performer[0]", "holds no consent authority");
        Assert.Equal(403, (await la.DeleteAsync($"fhir/Consent/{stored.Id}")).Status);
        Assert.Equal(403, (await host.GetAsync($"fhir/Patient/{s.Older}")).Status);

        // The young person withdraws it themselves: an update that drops the exception, then the host ICB sees the child again.
        var withdrawn = Objection(s.Older, "Patient/" + s.Older);
        withdrawn.Id = stored.Id;
        withdrawn.DateTime = "2026-02-01T10:00:00Z";
        withdrawn.Provision.Provision.Clear();
        var updated = await young.PutAsync($"fhir/Consent/{stored.Id}", withdrawn);
        Assert.True(updated.Status == 200, updated.ToString());
        Assert.Equal(200, (await host.GetAsync($"fhir/Patient/{s.Older}")).Status);
        Assert.Equal(204, (await young.DeleteAsync($"fhir/Consent/{stored.Id}")).Status);
    }
}

public sealed class SqliteConsentWriteTests(SqliteHubFixture f) : ConsentWriteTests(f), IClassFixture<SqliteHubFixture>;
public sealed class PostgresConsentWriteTests(PostgresHubFixture f) : ConsentWriteTests(f), IClassFixture<PostgresHubFixture>;
