using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hub.Mappers.Ssda903.Generation;
using Hub.Tests.Http;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Enforcement;

/// <summary>
/// Masked views (MASK, reference/consent.md §3.6) over real HTTP on both providers: read, vread, history, search, _include
/// and $summary release what the decision's masks keep, marked MASKED, and the AuditEvent names the masks.
/// </summary>
public abstract class MaskingHttpTests(HubFixture fixture)
{
    RunningHub Hub => fixture.Hub;
    const string La = "933", ResponsibleIcb = "QSL", HostIcb = "QE1";
    const string Sd = "https://fhir.carehub.org.uk/StructureDefinition/";
    const string ChildIds = "https://fhir.carehub.org.uk/Id/la-child-id/" + La;
    const string Reason = "anxiety and sleep difficulties";

    sealed record Scenario(string Child, string Episode, string Assessment);

    /// <summary>A child of Somerset (933, ICB QSL) placed in LA1 (QE1, the host ICB), and an IHA whose record says more than when and by whom.</summary>
    async Task<Scenario> ScenarioAsync()
    {
        var (child, nhs) = (Children.NewChildId(), Children.NewNhsNumber());
        var token = await Hub.TokenAsync(La, "la");
        await Hub.ImportReturnAsync(La, 2025,
            ("header.csv", $"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\r\n{child},F,04/05/2009,WBRI,UN3,,\r\n"),
            ("episodes.csv", "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\r\n" +
            $"{child},01/06/2023,S,C2,N1,U6,PR1,,,,TA1 2AB,LA1 4XX,SC123456\r\n"),
            ("child_identifiers.csv", $"CHILD,NHS_NUMBER\r\n{child},{nhs}\r\n"));

        var bundle = ProviderBundles.Transaction([new ProviderRecord("RH5", child, nhs, ProviderRecordKind.InitialHealthAssessment, new DateOnly(2023, 7, 1))]);
        var iha = (Encounter)bundle.Entry.Single().Resource;
        iha.ReasonCode = [new CodeableConcept { Text = Reason }];
        iha.Participant = [new Encounter.ParticipantComponent { Individual = new ResourceReference { Display = "Dr Example" } }];
        iha.Location = [new Encounter.LocationComponent { Location = new ResourceReference { Display = "Clinic 3, Lancaster" } }];
        var team = await Hub.AsAsync("RH5", "provider", "cla-health-team");
        var sent = await team.PostAsync("fhir", bundle);
        Assert.True(sent.Status == 200, sent.ToString());

        var la = new FhirCall(Hub.Http, token);
        var id = (await la.GetAsync($"fhir/Patient?identifier={ChildIds}|{child}")).As<Bundle>().Entry.Single().Resource.Id;
        var episode = (await la.GetAsync($"fhir/EpisodeOfCare?patient={id}")).As<Bundle>().Entry.Single().Resource.Id;
        var assessment = (await la.GetAsync($"fhir/Encounter?patient={id}")).As<Bundle>().Entry.Single().Resource.Id;
        return new Scenario(id, episode, assessment);
    }

    static bool Has(DomainResource r, string extension) => r.Extension.Any(e => e.Url == Sd + extension);
    static bool MarkedMasked(Resource r) => r.Meta?.Security.Any(s => s.Code == "MASKED" && s.System == "http://terminology.hl7.org/CodeSystem/v3-ObservationValue") == true;

    /// <summary>The reference as held, or (in a summary document) rewritten to the entry's urn:uuid.</summary>
    static void AssertNames(string expected, string actual)
    {
        if (!actual.StartsWith("urn:uuid:", StringComparison.Ordinal)) Assert.Equal(expected, actual);
    }

    static void PlacementIcbOnly(EpisodeOfCare e)
    {
        Assert.True(Has(e, "cla-placement-icb"));
        AssertNames("Organization/" + HostIcb, e.GetExtensionValue<ResourceReference>(Sd + "cla-placement-icb").Reference);
        Assert.True(Has(e, "cla-legal-status"));
        Assert.False(Has(e, "cla-placement-postcode-district"));
        Assert.False(Has(e, "cla-placement-located-by"));
        Assert.False(Has(e, "cla-urn"));
        Assert.True(MarkedMasked(e));
    }

    static void DatesStatusProviderOnly(Encounter e)
    {
        Assert.Equal(Encounter.EncounterStatus.Finished, e.Status);
        Assert.Equal("2023-07-01", e.Period.Start);
        AssertNames("Organization/RH5", e.ServiceProvider.Reference);
        Assert.Contains(e.Type.SelectMany(t => t.Coding), c => c.Code == "initial-health-assessment");
        Assert.Empty(e.ReasonCode);
        Assert.Empty(e.Participant);
        Assert.Empty(e.Location);
        Assert.True(MarkedMasked(e));
    }

    [Fact]
    public async Task the_responsible_icb_commissioning_sees_the_placement_icb_not_the_postcode_district_on_every_path()
    {
        var s = await ScenarioAsync();
        // Row 1: RESPONSIBLE_ICB × statutory-health-assessment, D4 mask icb-code-only, D2 mask dates-status-provider.
        var icb = await Hub.AsAsync(ResponsibleIcb, "icb", purpose: "statutory-health-assessment");
        PlacementIcbOnly((await icb.GetAsync($"fhir/EpisodeOfCare/{s.Episode}")).As<EpisodeOfCare>());
        PlacementIcbOnly((await icb.GetAsync($"fhir/EpisodeOfCare/{s.Episode}/_history/1")).As<EpisodeOfCare>());
        PlacementIcbOnly((EpisodeOfCare)(await icb.GetAsync($"fhir/EpisodeOfCare/{s.Episode}/_history")).As<Bundle>().Entry.First().Resource);
        PlacementIcbOnly((EpisodeOfCare)(await icb.GetAsync($"fhir/EpisodeOfCare?patient={s.Child}")).As<Bundle>().Entry.Single().Resource);
        DatesStatusProviderOnly((await icb.GetAsync($"fhir/Encounter/{s.Assessment}")).As<Encounter>());
        DatesStatusProviderOnly((Encounter)(await icb.GetAsync($"fhir/Encounter?patient={s.Child}")).As<Bundle>().Entry.Single().Resource);

        var summary = await icb.GetAsync($"fhir/Patient/{s.Child}/$summary");
        Assert.True(summary.Status == 200, summary.ToString());
        var document = summary.As<Bundle>();
        PlacementIcbOnly(document.Entry.Select(e => e.Resource).OfType<EpisodeOfCare>().Single());
        DatesStatusProviderOnly(document.Entry.Select(e => e.Resource).OfType<Encounter>().Single());
        Assert.DoesNotContain("LA1", summary.Body);
        Assert.DoesNotContain("SC123456", summary.Body);
        Assert.DoesNotContain(Reason, summary.Body);

        // The AuditEvent names what went out masked, and by which view.
        var admin = await Hub.AsAsync("carehub-admin", "admin");
        var events = (await admin.GetAsync($"fhir/AuditEvent?patient=Patient/{s.Child}&agent={ResponsibleIcb}&_count=100")).As<Bundle>().Entry.Select(e => (AuditEvent)e.Resource).ToList();
        Assert.Contains(events, e => e.Subtype.Any(x => x.Code == "read") && e.OutcomeDesc.Contains($"masked: EpisodeOfCare/{s.Episode}: icb-code-only"));
        Assert.Contains(events, e => e.Subtype.Any(x => x.Code == "$summary") && e.OutcomeDesc.Contains($"Encounter/{s.Assessment}: dates-status-provider"));
    }

    [Fact]
    public async Task the_host_icb_sees_an_assessment_as_dates_status_and_provider_in_reads_searches_includes_and_the_summary()
    {
        var s = await ScenarioAsync();
        // Row 4: HOST_ICB × direct-care, D2 mask health-plan-actions: of an assessment, only that it happened.
        var host = await Hub.AsAsync(HostIcb, "icb");
        DatesStatusProviderOnly((await host.GetAsync($"fhir/Encounter/{s.Assessment}")).As<Encounter>());
        DatesStatusProviderOnly((await host.GetAsync($"fhir/Encounter/{s.Assessment}/_history/1")).As<Encounter>());
        DatesStatusProviderOnly((Encounter)(await host.GetAsync($"fhir/Encounter?patient={s.Child}")).As<Bundle>().Entry.Single().Resource);
        var included = (await host.GetAsync($"fhir/Encounter?patient={s.Child}&_include=Encounter:patient")).As<Bundle>();
        DatesStatusProviderOnly(included.Entry.Select(e => e.Resource).OfType<Encounter>().Single());
        Assert.Single(included.Entry.Select(e => e.Resource).OfType<Patient>());

        var summary = await host.GetAsync($"fhir/Patient/{s.Child}/$summary");
        Assert.True(summary.Status == 200, summary.ToString());
        DatesStatusProviderOnly(summary.As<Bundle>().Entry.Select(e => e.Resource).OfType<Encounter>().Single());
        Assert.DoesNotContain(Reason, summary.Body);
        Assert.DoesNotContain("Dr Example", summary.Body);

        // D4 is released whole to the host ICB in row 4 ("placement address ✓ unless S-flag"): not masked.
        var episode = (await host.GetAsync($"fhir/EpisodeOfCare/{s.Episode}")).As<EpisodeOfCare>();
        Assert.True(Has(episode, "cla-placement-postcode-district"));
        Assert.False(MarkedMasked(episode));
    }

    [Fact]
    public async Task the_LA_sees_its_own_child_and_episodes_whole_and_the_providers_assessment_as_row_11_allows()
    {
        var s = await ScenarioAsync();
        var la = await Hub.AsAsync(La, "la");
        foreach (var path in new[] { $"fhir/EpisodeOfCare/{s.Episode}", $"fhir/EpisodeOfCare/{s.Episode}/_history/1" })
        {
            var episode = (await la.GetAsync(path)).As<EpisodeOfCare>();
            Assert.True(Has(episode, "cla-placement-postcode-district"), path);
            Assert.True(Has(episode, "cla-urn"), path);
            Assert.False(MarkedMasked(episode), path);
        }
        var searched = (EpisodeOfCare)(await la.GetAsync($"fhir/EpisodeOfCare?patient={s.Child}")).As<Bundle>().Entry.Single().Resource;
        Assert.True(Has(searched, "cla-placement-postcode-district"));
        // Its own CLAPatient (D1, "summary" in row 11) is its case record, not a disclosure to it: released as held.
        var patient = (await la.GetAsync($"fhir/Patient/{s.Child}")).As<Patient>();
        Assert.False(MarkedMasked(patient));
        var summary = await la.GetAsync($"fhir/Patient/{s.Child}/$summary");
        Assert.Contains("LA1", summary.Body);
        // The health team's assessment is D2, plan-only for a social worker's care planning (row 11): that it happened.
        DatesStatusProviderOnly((await la.GetAsync($"fhir/Encounter/{s.Assessment}")).As<Encounter>());
        // The CLA health team (row 8, statutory assessment) sees everything it recorded.
        var team = await Hub.AsAsync("RH5", "provider", "cla-health-team", purpose: "statutory-health-assessment");
        var whole = (await team.GetAsync($"fhir/Encounter/{s.Assessment}")).As<Encounter>();
        Assert.Equal(Reason, whole.ReasonCode.Single().Text);
        Assert.False(MarkedMasked(whole));

        // A conditional create that matches the assessment answers with it as the LA may see it, not as stored.
        var identifier = whole.Identifier.First();
        var again = (Encounter)whole.DeepCopy();
        again.Id = null;
        var matched = await la.SendAsync(HttpMethod.Post, "fhir/Encounter", global::Hub.Api.Fhir.FhirFormat.SerializeToString(again),
            headers: new Dictionary<string, string> { ["If-None-Exist"] = $"identifier={identifier.System}|{identifier.Value}" });
        Assert.True(matched.Status == 200, matched.ToString());
        DatesStatusProviderOnly(matched.As<Encounter>());
        Assert.DoesNotContain(Reason, matched.Body);
    }
}

public sealed class SqliteMaskingHttpTests(SqliteHubFixture f) : MaskingHttpTests(f), IClassFixture<SqliteHubFixture>;
public sealed class PostgresMaskingHttpTests(PostgresHubFixture f) : MaskingHttpTests(f), IClassFixture<PostgresHubFixture>;
