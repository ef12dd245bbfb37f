using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hub.Tests.Http;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Ssda903Import;

/// <summary>A child placed out of area by an import: the placement ICB comes from the postcode, the flag is raised, the host ICB sees the child.</summary>
public sealed class PlacementTests(SqliteHubFixture fixture) : IClassFixture<SqliteHubFixture>
{
    RunningHub Hub => fixture.Hub;

    async Task<int> ImportAsync(string token, params (string Name, string Csv)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, csv) in files) form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(csv)), "file", name);
        using var request = new HttpRequestMessage(HttpMethod.Post, "fhir/$import-ssda903?la=933&year=2025") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await Hub.Http.SendAsync(request);
        Assert.True((int)response.StatusCode == 200, await response.Content.ReadAsStringAsync());
        return (int)response.StatusCode;
    }

    [Fact]
    public async Task a_placement_in_another_icb_raises_the_flag_and_the_host_icb_can_see_the_child_but_others_cannot()
    {
        var child = "P" + Random.Shared.Next(100000, 999999);
        var token = await Hub.TokenAsync("933", "la");
        await ImportAsync(token,
            ("header.csv", $"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\r\n{child},F,04/05/2012,WBRI,UN3,,\r\n"),
            ("episodes.csv", "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\r\n" +
                $"{child},01/06/2024,S,C2,N1,U6,PR1,,,,TA1 2AB,LA1 4XX,SC123456\r\n"));

        var la = new FhirCall(Hub.Http, token);
        var patient = (await la.GetAsync($"fhir/Patient?identifier=https://fhir.carehub.org.uk/Id/la-child-id/933|{child}")).As<Bundle>().Entry.Single().Resource;
        var episode = (EpisodeOfCare)(await la.GetAsync($"fhir/EpisodeOfCare?patient={patient.Id}")).As<Bundle>().Entry.Single().Resource;
        Assert.Equal("Organization/QE1", ((ResourceReference)episode.GetExtension("https://fhir.carehub.org.uk/StructureDefinition/cla-placement-icb").Value).Reference);
        Assert.Equal("LA1", ((FhirString)episode.GetExtension("https://fhir.carehub.org.uk/StructureDefinition/cla-placement-postcode-district").Value).Value);
        var flags = (await la.GetAsync($"fhir/Flag?patient={patient.Id}")).As<Bundle>().Entry.Select(e => (Flag)e.Resource).ToList();
        Assert.Contains(flags, f => f.Status == Flag.FlagStatus.Active && f.Code.Coding.Any(c => c.Code == "placed-out-of-area"));
        Assert.Contains(flags, f => f.Status == Flag.FlagStatus.Active && f.Code.Coding.Any(c => c.Code == "looked-after"));

        var host = await Hub.AsAsync("QE1", "icb");
        Assert.Equal(200, (await host.GetAsync($"fhir/Patient/{patient.Id}")).Status);
        Assert.Single((await host.GetAsync($"fhir/Patient?identifier=https://fhir.carehub.org.uk/Id/la-child-id/933|{child}")).As<Bundle>().Entry);
        // The responsible ICB sees the child through its designated professional for the statutory assessment (row 2); row 3 refuses it direct care.
        var responsible = await Hub.AsAsync("QSL", "icb", "designated-professional", "statutory-health-assessment");
        Assert.Equal(200, (await responsible.GetAsync($"fhir/Patient/{patient.Id}")).Status);
        var stranger = await Hub.AsAsync("P81001", "gp");
        Assert.Equal(404, (await stranger.GetAsync($"fhir/Patient/{patient.Id}")).Status);
    }
}
