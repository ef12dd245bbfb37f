using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hub.Api.Fhir;
using Hub.Mappers.Ssda903.Generation;
using Hub.Tests.Http;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Passport;

/// <summary>`$health-passport` over real HTTP (contract §8, §2), once per database provider: who gets it, in which format, and what it says.</summary>
public abstract class PassportHttpTests(HubFixture fixture)
{
    RunningHub Hub => fixture.Hub;
    const string La = "933", OtherLa = "888", ResponsibleIcb = "QSL", HostIcb = "QE1";

    /// <summary>Three children of one LA: placed out of area in QE1 (with provider records), placed at home, and adopted (sealed).</summary>
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

        var team = await Hub.AsAsync("RH5", "provider", "cla-health-team");
        var records = ProviderBundles.Transaction([
            new ProviderRecord("RH5", a, an, ProviderRecordKind.InitialHealthAssessment, new DateOnly(2023, 7, 1)),
            new ProviderRecord("RH5", a, an, ProviderRecordKind.Immunisation, new DateOnly(2022, 6, 3), new Vaccine("HPV", "Human papillomavirus (HPV)")),
        ]);
        var sent = await team.PostAsync("fhir", records);
        Assert.True(sent.Status == 200, sent.ToString());

        var la = new FhirCall(Hub.Http, token);
        async Task<string> IdOf(string child) =>
            (await la.GetAsync($"fhir/Patient?identifier=https://fhir.carehub.org.uk/Id/la-child-id/{La}|{child}")).As<Bundle>().Entry.Single().Resource.Id;
        return new Scenario(await IdOf(a), an, await IdOf(h), hn, await IdOf(s), sn);
    }


    sealed record Answer(int Status, string? MediaType, byte[] Body)
    {
        public string Text => Encoding.UTF8.GetString(Body);
        public override string ToString() => $"{Status} {MediaType} {Text[..Math.Min(300, Text.Length)]}";
    }

    async Task<Answer> PassportAsync(string token, string id, string? accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"fhir/Patient/{id}/$health-passport");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await Hub.Http.SendAsync(request);
        return new Answer((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsByteArrayAsync());
    }

    const string Browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    Task<string> YoungPersonAsync(string nhs) => Hub.TokenAsync("young-person", "young-person", purpose: "own-record", nhs: nhs);

    [Fact]
    public async Task the_young_person_gets_their_own_passport_as_html_and_as_pdf_listing_the_host_icbs_earlier_summary()
    {
        var s = await ScenarioAsync();
        // The host ICB looks first: the passport must say so.
        var host = await Hub.AsAsync(HostIcb, "icb");
        Assert.Equal(200, (await host.GetAsync($"fhir/Patient/{s.Away}/$summary")).Status);

        var self = await YoungPersonAsync(s.AwayNhs);
        var html = await PassportAsync(self, s.Away, Browser);
        Assert.True(html.Status == 200, html.ToString());
        Assert.Equal("text/html", html.MediaType);
        var page = html.Text;
        Assert.StartsWith("<!DOCTYPE html>\n<html lang=\"en-GB\">", page);
        Assert.Contains("<h1>Your health passport</h1>", page);
        Assert.Contains($"<dt>NHS number</dt><dd>{s.AwayNhs[..3]} {s.AwayNhs[3..6]} {s.AwayNhs[6..]}</dd>", page);
        Assert.Contains("You are looked after by Somerset Council.", page);
        Assert.Contains("Your last health assessment was on 1 July 2023: your first health assessment after coming into care, by Demo Somerset Children Looked After Health Team.", page);
        Assert.Contains("<tr><td>Human papillomavirus (HPV)</td><td>3 June 2022</td></tr>", page);
        Assert.Contains("HPV vaccine (human papillomavirus): 1 dose recorded.", page);
        Assert.Contains("The designated nurse for children looked after at NHS Somerset Integrated Care Board.", page);
        Assert.Contains("No dated dental check is recorded. Your local authority&#39;s yearly return".Replace("&#39;", "'"), page);
        Assert.Contains("<td>NHS Lancashire and South Cumbria Integrated Care Board (QE1)</td><td>NHS integrated care board</td><td>To care for your health</td>", page);

        var pdf = await PassportAsync(self, s.Away, "application/pdf");
        Assert.True(pdf.Status == 200, pdf.ToString());
        Assert.Equal("application/pdf", pdf.MediaType);
        var read = PdfText.Read(pdf.Body);
        Assert.True(read.Pages >= 2, $"{read.Pages} pages");
        for (var i = 1; i <= read.Pages; i++) Assert.Contains($"Page {i} of {read.Pages}", read.Text);
        Assert.Contains("Your health passport", read.Flat);
        Assert.Contains("You are looked after by Somerset Council.", read.Flat);
        Assert.Contains("Your last health assessment was on 1 July 2023", read.Flat);
        Assert.Contains("Who has looked at your record", read.Flat);
        // A table cell wraps within its column, so the name is read back line by line beside the other cells.
        var looked = read.Flat[read.Flat.IndexOf("Who has looked at your record", StringComparison.Ordinal)..];
        Assert.Contains("NHS Lancashire and", looked);
        Assert.Contains("Integrated Care Board", looked);
        Assert.Contains("(QE1)", looked);
        // The young person's own HTML look is listed by the time the PDF is made.
        Assert.Contains("To see your own record", read.Flat);
    }

    [Fact]
    public async Task the_la_gets_the_passport_and_anyone_else_gets_not_found_exactly_as_for_an_unknown_child()
    {
        var s = await ScenarioAsync();
        var la = await Hub.TokenAsync(La, "la");
        var html = await PassportAsync(la, s.Away, null);
        Assert.True(html.Status == 200 && html.MediaType == "text/html", html.ToString());
        Assert.Contains("Your social worker at Somerset Council.", html.Text);
        Assert.Equal(200, (await PassportAsync(la, s.Home, "application/pdf")).Status);

        // The host ICB may read the summary, but the passport is not theirs: as for a child that does not exist.
        var missingId = Guid.NewGuid().ToString();
        foreach (var token in new[]
        {
            await Hub.TokenAsync(HostIcb, "icb"),
            await Hub.TokenAsync(ResponsibleIcb, "icb", "designated-professional", "statutory-health-assessment"),
            await Hub.TokenAsync("L85001", "gp"),
            await Hub.TokenAsync(OtherLa, "la"),
            await YoungPersonAsync(s.HomeNhs),
        })
        {
            var refused = await PassportAsync(token, s.Away, "application/pdf");
            var missing = await PassportAsync(token, missingId, "application/pdf");
            Assert.Equal(404, refused.Status);
            Assert.Equal((missing.Status, missing.MediaType, missing.Text.Replace(missingId, "ID")), (refused.Status, refused.MediaType, refused.Text.Replace(s.Away, "ID")));
            Assert.Equal(OperationOutcome.IssueType.NotFound, ((OperationOutcome)FhirFormat.ParseJson(refused.Text)).Issue.Single().Code);
        }

        // An admin never sees patient data: refused outright, as with $summary.
        var admin = await PassportAsync(await Hub.TokenAsync("carehub-admin", "admin"), s.Away, null);
        Assert.Equal(403, admin.Status);
        Assert.DoesNotContain("passport", admin.Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task a_sealed_adopted_childs_passport_is_found_only_by_the_la_that_owns_it()
    {
        var s = await ScenarioAsync();
        var adopted = await PassportAsync(await YoungPersonAsync(s.AdoptedNhs), s.Adopted, null);
        var missingId = Guid.NewGuid().ToString();
        var missing = await PassportAsync(await YoungPersonAsync(s.AdoptedNhs), missingId, null);
        Assert.Equal(404, adopted.Status);
        Assert.Equal(missing.Text.Replace(missingId, "ID"), adopted.Text.Replace(s.Adopted, "ID"));
        Assert.Equal(404, (await PassportAsync(await Hub.TokenAsync(OtherLa, "la"), s.Adopted, null)).Status);
        Assert.Equal(200, (await PassportAsync(await Hub.TokenAsync(La, "la"), s.Adopted, "text/html")).Status);
    }

    [Fact]
    public async Task every_passport_served_or_refused_is_audited_and_only_html_or_pdf_are_offered()
    {
        var s = await ScenarioAsync();
        var self = await YoungPersonAsync(s.AwayNhs);
        Assert.Equal(200, (await PassportAsync(self, s.Away, "application/pdf")).Status);
        Assert.Equal(404, (await PassportAsync(await Hub.TokenAsync(HostIcb, "icb"), s.Away, null)).Status);
        var json = await PassportAsync(self, s.Away, FhirFormat.JsonMime);
        Assert.Equal(406, json.Status);
        Assert.Equal(OperationOutcome.IssueType.NotSupported, ((OperationOutcome)FhirFormat.ParseJson(json.Text)).Issue.Single().Code);

        var admin = await Hub.AsAsync("carehub-admin", "admin");
        var events = (await admin.GetAsync($"fhir/AuditEvent?patient=Patient/{s.Away}&subtype=$health-passport")).As<Bundle>()
            .Entry.Select(e => (AuditEvent)e.Resource).ToList();
        Assert.Contains(events, e => e.Outcome == AuditEvent.AuditEventOutcome.N0 && e.Agent[0].Who.Identifier.Value == s.AwayNhs && e.OutcomeDesc.Contains("PDF"));
        Assert.Contains(events, e => e.Outcome == AuditEvent.AuditEventOutcome.N4 && e.Agent[0].Who.Identifier.Value == HostIcb);
        Assert.All(events, e => Assert.Equal("$health-passport", e.Subtype.Single().Code));
    }
}

public sealed class SqlitePassportHttpTests(SqliteHubFixture f) : PassportHttpTests(f), IClassFixture<SqliteHubFixture>;
public sealed class PostgresPassportHttpTests(PostgresHubFixture f) : PassportHttpTests(f), IClassFixture<PostgresHubFixture>;
