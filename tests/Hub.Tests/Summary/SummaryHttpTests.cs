using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hub.Api.Conformance;
using Hub.Api.Fhir;
using Hub.Mappers.Ssda903.Generation;
using Hub.Mappers.Summary;
using Hub.Tests.Http;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Summary;

/// <summary>`$summary` over real HTTP (contract §6, §2, §8), once per database provider.</summary>
public abstract class SummaryHttpTests(HubFixture fixture)
{
    RunningHub Hub => fixture.Hub;
    const string La = "933", ResponsibleIcb = "QSL", HostIcb = "QE1", StrangerIcb = "QWX";
    const string NhsSystem = "https://fhir.nhs.uk/Id/nhs-number";

    /// <summary>Three children of one LA: placed out of area (with provider records), placed at home, and adopted (sealed).</summary>
    sealed record Scenario(string Away, string AwayNhs, string Home, string HomeNhs, string Adopted, string AdoptedNhs);

    async Task<Scenario> ScenarioAsync()
    {
        var (a, h, s) = (Children.NewChildId(), Children.NewChildId(), Children.NewChildId());
        var (an, hn, sn) = (Children.NewNhsNumber(), Children.NewNhsNumber(), Children.NewNhsNumber());
        var token = await Hub.TokenAsync(La, "la");
        await Hub.ImportReturnAsync(La, 2025,
            ("header.csv", $"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\r\n{a},F,04/05/2010,WBRI,UN3,,\r\n{h},M,04/05/2013,WBRI,UN3,,\r\n{s},M,04/05/2020,WBRI,UN3,,\r\n"),
            ("episodes.csv", "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\r\n" +
            $"{a},01/06/2023,S,C2,N1,U6,PR1,,,,TA1 2AB,LA1 4XX,SC123456\r\n" +
            $"{h},01/06/2023,S,C2,N1,U6,PR1,,,,TA1 2AB,TA2 1XX,SC123457\r\n" +
            $"{s},01/01/2023,S,E1,N1,A6,PR1,01/12/2024,E11,,TA1 2AB,TA2 1XY,\r\n"),
            ("oc2.csv", "CHILD,DOB,SDQ_SCORE,SDQ_REASON,CONVICTED,HEALTH_CHECK,IMMUNISATIONS,TEETH_CHECK,HEALTH_ASSESSMENT,SUBSTANCE_MISUSE,INTERVENTION_RECEIVED,INTERVENTION_OFFERED\r\n" +
            $"{a},04/05/2010,14,,0,,1,1,1,0,,\r\n"),
            ("child_identifiers.csv", $"CHILD,NHS_NUMBER\r\n{a},{an}\r\n{h},{hn}\r\n{s},{sn}\r\n"));

        // The CLA health team's system sends what it recorded, naming the child by NHS number only.
        var team = await Hub.AsAsync("RH5", "provider", "cla-health-team");
        var records = ProviderBundles.Transaction([
            new ProviderRecord("RH5", a, an, ProviderRecordKind.InitialHealthAssessment, new DateOnly(2023, 7, 1)),
            new ProviderRecord("RH5", a, an, ProviderRecordKind.Immunisation, new DateOnly(2024, 10, 3), new Vaccine("FLU", "Influenza (annual)")),
        ]);
        var sent = await team.PostAsync("fhir", records);
        Assert.True(sent.Status == 200, sent.ToString());

        var la = new FhirCall(Hub.Http, token);
        async Task<string> IdOf(string child) =>
            (await la.GetAsync($"fhir/Patient?identifier=https://fhir.carehub.org.uk/Id/la-child-id/{La}|{child}")).As<Bundle>().Entry.Single().Resource.Id;
        return new Scenario(await IdOf(a), an, await IdOf(h), hn, await IdOf(s), sn);
    }


    static Parameters ByNhs(string nhs, string system = NhsSystem) =>
        new() { Parameter = [new Parameters.ParameterComponent { Name = "identifier", Value = new Identifier(system, nhs) }] };

    static Bundle Document(FhirAnswer answer)
    {
        Assert.True(answer.Status == 200, answer.ToString());
        var bundle = answer.As<Bundle>();
        Assert.Equal(Bundle.BundleType.Document, bundle.Type);
        Assert.IsType<Composition>(bundle.Entry[0].Resource);
        return bundle;
    }

    static Composition.SectionComponent Section(Bundle b, string code) =>
        ((Composition)b.Entry[0].Resource).Section.Single(s => s.Code.Coding[0].Code == code);

    static List<string> Shown(Bundle b) => [.. b.Entry.Skip(1).Select(e => $"{e.Resource.TypeName}/{e.Resource.Id}").Order(StringComparer.Ordinal)];

    [Fact]
    public async Task the_LA_gets_its_childs_summary_by_id_and_by_NHS_number_with_GET_and_POST()
    {
        var s = await ScenarioAsync();
        var la = await Hub.AsAsync(La, "la");
        var byId = Document(await la.GetAsync($"fhir/Patient/{s.Away}/$summary"));
        var byGet = Document(await la.GetAsync($"fhir/Patient/$summary?identifier={NhsSystem}|{s.AwayNhs}"));
        var byPost = Document(await la.PostAsync("fhir/Patient/$summary", ByNhs(s.AwayNhs)));
        Assert.Equal(Shown(byId), Shown(byGet));
        Assert.Equal(Shown(byId), Shown(byPost));

        Assert.Equal(s.Away, byId.Entry.Select(e => e.Resource).OfType<Patient>().Single().Id);
        Assert.Single(Section(byId, "care-status").Entry);
        Assert.Contains("Looked after by", Section(byId, "care-status").Text.Div);
        var assessment = byId.Entry.Single(e => e.Resource is Encounter);
        Assert.Contains(Section(byId, "health-assessments").Entry, r => r.Reference == assessment.FullUrl);
        Assert.Contains("Initial health assessment: on 1 July 2023", Section(byId, "health-assessments").Text.Div);
        Assert.Single(byId.Entry.Select(e => e.Resource).OfType<Immunization>());
        Assert.Contains("SDQ total difficulties score: 14", Section(byId, "emotional-wellbeing").Text.Div);
        // Substance misuse is sensitive clinical data (D3): row 11 withholds it from the LA's social worker, and says so.
        Assert.DoesNotContain("Substance misuse", Section(byId, "health-needs").Text.Div);
        Assert.Contains(byId.Meta.Security, c => c.Code == "REDACTED");
        Assert.Contains("Somerset Council (933)", Section(byId, "contacts").Text.Div);
        // Active alerts only: looked after and placed out of area, not the inactive care-leaver flag the import also keeps.
        Assert.Equal(2, Section(byId, "alerts").Entry.Count);
        Assert.Contains("Placed out of area", Section(byId, "alerts").Text.Div);
        // The OC2 conviction item is youth-justice data: never in a health summary.
        Assert.DoesNotContain("convicted", byId.Entry.Select(e => e.Resource).OfType<Observation>().SelectMany(o => o.Code.Coding).Select(c => c.Code));

        // Every reference resolves inside the document, and the document is a CLAHealthSummary.
        var urls = byId.Entry.Select(e => e.FullUrl).ToHashSet();
        Assert.All(byId.Entry.SelectMany(e => JsonReferences.In(e.Resource)),
            r => Assert.Contains(r, urls));
        var validator = Hub.App.Services.GetRequiredService<ProfileValidator>();
        foreach (var whole in new Resource[] { byId.Entry[0].Resource, byId })
        {
            var outcome = await validator.ValidateAsync(whole);
            var errors = outcome.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal).ToList();
            Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{string.Join(",", e.Expression)}: {e.Details?.Text ?? e.Diagnostics}")));
        }
    }

    [Fact]
    public async Task the_host_ICB_of_a_child_placed_out_of_area_gets_the_summary_and_an_unrelated_ICB_gets_not_found()
    {
        var s = await ScenarioAsync();
        var host = await Hub.AsAsync(HostIcb, "icb");
        Document(await host.GetAsync($"fhir/Patient/{s.Away}/$summary"));
        Document(await host.PostAsync("fhir/Patient/$summary", ByNhs(s.AwayNhs)));
        // The child placed at home is nothing to that ICB: as for a child that does not exist.
        var hidden = await host.GetAsync($"fhir/Patient/{s.Home}/$summary");
        var missingId = Guid.NewGuid().ToString();
        var missing = await host.GetAsync($"fhir/Patient/{missingId}/$summary");
        Assert.Equal(404, hidden.Status);
        Assert.Equal(missing.Status, hidden.Status);
        Assert.Equal(missing.Body.Replace(missingId, "ID"), hidden.Body.Replace(s.Home, "ID"));
        Assert.Equal(OperationOutcome.IssueType.NotFound, hidden.Outcome.Issue.Single().Code);

        var stranger = await Hub.AsAsync(StrangerIcb, "icb");
        var strangerById = await stranger.GetAsync($"fhir/Patient/{s.Away}/$summary");
        Assert.Equal((await stranger.GetAsync($"fhir/Patient/{missingId}/$summary")).Body.Replace(missingId, "ID"), strangerById.Body.Replace(s.Away, "ID"));
        var strangerByNhs = await stranger.PostAsync("fhir/Patient/$summary", ByNhs(s.AwayNhs));
        var unknownNhs = await stranger.PostAsync("fhir/Patient/$summary", ByNhs(Children.NewNhsNumber()));
        Assert.Equal(404, strangerByNhs.Status);
        Assert.Equal((unknownNhs.Status, unknownNhs.Body, unknownNhs.MediaType), (strangerByNhs.Status, strangerByNhs.Body, strangerByNhs.MediaType));
        Assert.DoesNotContain(s.AwayNhs, strangerByNhs.Body);
    }

    [Fact]
    public async Task a_sealed_adopted_childs_summary_is_not_found_for_an_ICB_and_served_only_to_its_LA()
    {
        var s = await ScenarioAsync();
        var icb = await Hub.AsAsync(ResponsibleIcb, "icb");
        var sealedById = await icb.GetAsync($"fhir/Patient/{s.Adopted}/$summary");
        var missingId = Guid.NewGuid().ToString();
        Assert.Equal(404, sealedById.Status);
        Assert.Equal((await icb.GetAsync($"fhir/Patient/{missingId}/$summary")).Body.Replace(missingId, "ID"), sealedById.Body.Replace(s.Adopted, "ID"));
        var sealedByNhs = await icb.GetAsync($"fhir/Patient/$summary?identifier={NhsSystem}|{s.AdoptedNhs}");
        var unknownNhs = await icb.GetAsync($"fhir/Patient/$summary?identifier={NhsSystem}|{Children.NewNhsNumber()}");
        Assert.Equal((404, unknownNhs.Body), (sealedByNhs.Status, sealedByNhs.Body));
        // The responsible ICB's designated professional does see the LA's other children (row 2; row 3 refuses direct care).
        var designated = await Hub.AsAsync(ResponsibleIcb, "icb", "designated-professional", "statutory-health-assessment");
        Document(await designated.GetAsync($"fhir/Patient/{s.Home}/$summary"));
        Document(await (await Hub.AsAsync(La, "la")).GetAsync($"fhir/Patient/{s.Adopted}/$summary"));
    }

    [Fact]
    public async Task an_admin_is_refused_with_403_and_never_sees_the_child()
    {
        var s = await ScenarioAsync();
        var admin = await Hub.AsAsync("carehub-admin", "admin");
        var byId = await admin.GetAsync($"fhir/Patient/{s.Away}/$summary");
        Assert.Equal(403, byId.Status);
        Assert.Equal(OperationOutcome.IssueType.Forbidden, byId.Outcome.Issue.Single().Code);
        var byNhs = await admin.PostAsync("fhir/Patient/$summary", ByNhs(s.AwayNhs));
        Assert.Equal(403, byNhs.Status);
        Assert.DoesNotContain(s.Away, byNhs.Body);
    }

    [Fact]
    public async Task a_young_person_gets_their_own_summary_and_not_found_for_anyone_else()
    {
        var s = await ScenarioAsync();
        var self = await Hub.AsAsync("young-person", "young-person", purpose: "own-record", nhs: s.AwayNhs);
        Document(await self.GetAsync($"fhir/Patient/{s.Away}/$summary"));
        Document(await self.GetAsync($"fhir/Patient/$summary?identifier={NhsSystem}|{s.AwayNhs}"));
        Assert.Equal(404, (await self.GetAsync($"fhir/Patient/{s.Home}/$summary")).Status);
        Assert.Equal(404, (await self.PostAsync("fhir/Patient/$summary", ByNhs(s.HomeNhs))).Status);
        // Adopted: the old number leads nowhere, even for the young person it once named.
        var adopted = await Hub.AsAsync("young-person", "young-person", purpose: "own-record", nhs: s.AdoptedNhs);
        Assert.Equal(404, (await adopted.GetAsync($"fhir/Patient/{s.Adopted}/$summary")).Status);
    }

    [Fact]
    public async Task every_summary_and_every_refusal_writes_an_AuditEvent_naming_the_patient_and_the_operation()
    {
        var s = await ScenarioAsync();
        Document(await (await Hub.AsAsync(La, "la")).GetAsync($"fhir/Patient/{s.Away}/$summary"));
        Assert.Equal(404, (await (await Hub.AsAsync(StrangerIcb, "icb")).GetAsync($"fhir/Patient/{s.Away}/$summary")).Status);
        var admin = await Hub.AsAsync("carehub-admin", "admin");
        var events = (await admin.GetAsync($"fhir/AuditEvent?patient=Patient/{s.Away}&subtype=$summary")).As<Bundle>()
            .Entry.Select(e => (AuditEvent)e.Resource).ToList();
        var served = Assert.Single(events, e => e.Outcome == AuditEvent.AuditEventOutcome.N0);
        Assert.Equal(La, served.Agent[0].Who.Identifier.Value);
        Assert.Equal("$summary", served.Subtype.Single().Code);
        Assert.Contains(served.Entity, x => x.What?.Reference == $"Patient/{s.Away}");
        Assert.Contains(served.Entity, x => x.What?.Reference?.StartsWith("EpisodeOfCare/") == true);
        var refused = Assert.Single(events, e => e.Outcome == AuditEvent.AuditEventOutcome.N4);
        Assert.Equal(StrangerIcb, refused.Agent[0].Who.Identifier.Value);
    }

    public static TheoryData<string, string, string, int, string> BadRequests => new()
    {
        { "identifier of another system", "GET", "fhir/Patient/$summary?identifier=https://fhir.carehub.org.uk/Id/la-child-id/933|X1", 400, "NHS number" },
        { "no identifier", "GET", "fhir/Patient/$summary", 400, "identifier parameter is required" },
        { "identifier without a system", "GET", "fhir/Patient/$summary?identifier=9434765919", 400, "system" },
        { "not an NHS number", "GET", "fhir/Patient/$summary?identifier=https://fhir.nhs.uk/Id/nhs-number|1234567890", 400, "not a valid NHS number" },
        { "Parameters with a valueString", "POST", """{"resourceType":"Parameters","parameter":[{"name":"identifier","valueString":"9434765919"}]}""", 400, "valueIdentifier" },
        { "Parameters without an identifier", "POST", """{"resourceType":"Parameters","parameter":[{"name":"patient","valueString":"x"}]}""", 400, "identifier parameter is required" },
        { "not Parameters", "POST", """{"resourceType":"Basic","code":{"text":"x"}}""", 400, "takes a Parameters" },
        { "malformed JSON", "POST", """{"resourceType":"Parameters","parameter":[""", 400, "JSON" },
        { "Parameters with the wrong system", "POST", """{"resourceType":"Parameters","parameter":[{"name":"identifier","valueIdentifier":{"system":"urn:oid:1.2.3","value":"9434765919"}}]}""", 400, "NHS number" },
        { "an unknown NHS number", "GET", "fhir/Patient/$summary?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", 404, "not known" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task bad_input_gets_an_OperationOutcome_saying_what_is_wrong(string what, string method, string pathOrBody, int status, string says)
    {
        var la = await Hub.AsAsync(La, "la");
        var answer = method == "GET"
            ? await la.GetAsync(pathOrBody)
            : await la.SendAsync(HttpMethod.Post, "fhir/Patient/$summary", pathOrBody);
        Assert.True(answer.Status == status, $"{what}: {answer}");
        var outcome = Assert.IsType<OperationOutcome>(answer.Resource);
        Assert.Contains(says, outcome.Issue.Single().Diagnostics, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task the_summary_comes_as_XML_on_request_and_the_CapabilityStatement_lists_the_operation()
    {
        var s = await ScenarioAsync();
        var la = await Hub.AsAsync(La, "la");
        var xml = await la.GetAsync($"fhir/Patient/{s.Away}/$summary", new Dictionary<string, string> { ["Accept"] = FhirFormat.XmlMime });
        Assert.Equal(FhirFormat.XmlMime, xml.MediaType);
        Assert.StartsWith("<Bundle", xml.Body.TrimStart());
        Document(xml);
        var caps = (await new FhirCall(Hub.Http, null).GetAsync("fhir/metadata")).As<CapabilityStatement>();
        Assert.Contains(caps.Rest[0].Resource.Single(r => r.Type == "Patient").Operation, o => o.Name == "summary");
        Assert.DoesNotContain(caps.Rest[0].Resource.Single(r => r.Type == "Observation").Operation, o => o.Name == "summary");
    }
}

public sealed class SqliteSummaryHttpTests(SqliteHubFixture f) : SummaryHttpTests(f), IClassFixture<SqliteHubFixture>;
public sealed class PostgresSummaryHttpTests(PostgresHubFixture f) : SummaryHttpTests(f), IClassFixture<PostgresHubFixture>;
