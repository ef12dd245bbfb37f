using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hub.Api.Storage;
using Hub.Tests.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Hub.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Hub.Tests.CareLeavers;

/// <summary>
/// Two hubs on one provider: one that asks a PDS (WireMock stands in for it) who a child's GP is, one without PDS that
/// reads registration from its own records. Each test makes its own children and NHS numbers.
/// </summary>
public abstract class CareLeaverHubs(string provider) : IAsyncLifetime
{
    public const int RetryAfterSeconds = 17;
    public WireMockServer Pds { get; private set; } = null!;
    public RunningHub WithPds { get; private set; } = null!;
    public RunningHub WithoutPds { get; private set; } = null!;
    public string Provider => provider;

    public async System.Threading.Tasks.Task InitializeAsync()
    {
        Pds = WireMockServer.Start();
        WithPds = await RunningHub.StartAsync(provider, new Dictionary<string, string?>
        {
            ["Hub:Pds:BaseUrl"] = Pds.Urls[0] + "/personal-demographics/FHIR/R4",
            ["Hub:Pds:TimeoutSeconds"] = "2", // a loaded CI machine may take longer than a real PDS to answer
            ["Hub:Pds:Retries"] = "1",
            ["Hub:Pds:RetryDelayMilliseconds"] = "20",
            ["Hub:Pds:RetryAfterSeconds"] = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        WithoutPds = await RunningHub.StartAsync(provider);
    }

    public async System.Threading.Tasks.Task DisposeAsync()
    {
        await WithPds.DisposeAsync();
        await WithoutPds.DisposeAsync();
        Pds.Stop();
    }

    const string PdsPath = "/personal-demographics/FHIR/R4/Patient/";

    /// <summary>PDS answers a read of <paramref name="asked"/> with a Patient (id <paramref name="id"/>) registered with <paramref name="practice"/>.</summary>
    public void Registered(string asked, string? practice, string? id = null)
    {
        var patient = new JsonObject
        {
            ["resourceType"] = "Patient",
            ["id"] = id ?? asked,
            ["identifier"] = new JsonArray(new JsonObject { ["system"] = "https://fhir.nhs.uk/Id/nhs-number", ["value"] = id ?? asked }),
        };
        if (practice is not null)
            patient["generalPractitioner"] = new JsonArray(new JsonObject
            {
                ["type"] = "Organization",
                ["identifier"] = new JsonObject { ["system"] = "https://fhir.nhs.uk/Id/ods-organization-code", ["value"] = practice, ["period"] = new JsonObject { ["start"] = "2020-01-01" } },
            });
        Answer(asked, 200, patient.ToJsonString());
    }

    /// <summary>A restricted (S-flag) patient: PDS removes the GP.</summary>
    public void Restricted(string asked) => Answer(asked, 200, new JsonObject
    {
        ["resourceType"] = "Patient",
        ["id"] = asked,
        ["meta"] = new JsonObject { ["security"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", ["code"] = "R" }) },
    }.ToJsonString());

    public void NotFound(string asked, string code = "RESOURCE_NOT_FOUND") => Answer(asked, 404, new JsonObject
    {
        ["resourceType"] = "OperationOutcome",
        ["issue"] = new JsonArray(new JsonObject
        {
            ["severity"] = "error",
            ["code"] = "not-found",
            ["details"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode", ["code"] = code }) },
        }),
    }.ToJsonString());

    public void Failing(string asked, int status = 500, TimeSpan? delay = null)
    {
        var response = Response.Create().WithStatusCode(status).WithBody("{}");
        if (delay is { } d) response = Response.Create().WithStatusCode(200).WithBody("""{"resourceType":"Patient"}""").WithDelay(d);
        Pds.Given(Request.Create().WithPath(PdsPath + asked).UsingGet()).RespondWith(response);
    }

    void Answer(string asked, int status, string body) =>
        Pds.Given(Request.Create().WithPath(PdsPath + asked).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/fhir+json").WithBody(body));

    /// <summary>The reads PDS got for a number.</summary>
    public List<WireMock.Logging.ILogEntry> ReadsOf(string nhs) => Pds.LogEntries.Where(e => e.RequestMessage.Path == PdsPath + nhs).ToList();
}

public sealed class SqliteCareLeaverHubs() : CareLeaverHubs("Sqlite");
public sealed class PostgresCareLeaverHubs() : CareLeaverHubs("Postgres");

/// <summary>
/// Children of LA 933 made through an SSDA903 return, as an LA sends them: a care leaver aged 20 (header and OC3 row),
/// a looked-after child, an adopted (sealed) child, a child who left care young (no care leaver); each with an NHS number.
/// </summary>
public sealed record CareLeaverScenario(string Leaver, string LeaverNhs, string Looked, string LookedNhs, string Adopted, string AdoptedNhs, string Left, string LeftNhs)
{
    public const string La = "933";
    public static readonly DateOnly LeaverEligibleUntil = new(2031, 6, 1);

    public static async Task<CareLeaverScenario> ImportAsync(RunningHub hub)
    {
        var (l, o, a, x) = (Children.NewChildId(), Children.NewChildId(), Children.NewChildId(), Children.NewChildId());
        var n = Numbers.Fresh(4);
        var text = await hub.ImportReturnAsync(La, 2025,
            ("header.csv", "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\r\n" +
            $"{l},F,01/06/2006,WBRI,UN3,,\r\n{o},M,04/05/2013,WBRI,UN3,,\r\n{a},M,04/05/2020,WBRI,UN3,,\r\n{x},F,04/05/2012,WBRI,UN3,,\r\n"),
            ("episodes.csv", "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\r\n" +
            $"{o},01/06/2023,S,C2,N1,U6,PR1,,,,TA1 2AB,TA2 1XX,SC123457\r\n" +
            $"{a},01/01/2023,S,E1,N1,A6,PR1,01/12/2024,E11,,TA1 2AB,TA2 1XY,\r\n" +
            $"{x},01/06/2019,S,V2,N1,U6,PR1,01/08/2019,E13,,TA1 2AB,TA2 1XX,SC123457\r\n"),
            ("oc3.csv", $"CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\r\n{l},01/06/2006,YES,F2,U1\r\n"),
            ("child_identifiers.csv", $"CHILD,NHS_NUMBER\r\n{l},{n[0]}\r\n{o},{n[1]}\r\n{a},{n[2]}\r\n{x},{n[3]}\r\n"));
        Assert.Contains("quarantined=0", text);

        // Read from the store: the LA itself no longer sees the child who left care young (no longer looked after, no care leaver).
        using var scope = hub.App.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        async Task<string> IdOf(string child) => (await db.PatientFacts.AsNoTracking().SingleAsync(f => f.ManagingLa == La && f.LaChildId == child)).PatientId;
        return new(await IdOf(l), n[0], await IdOf(o), n[1], await IdOf(a), n[2], await IdOf(x), n[3]);
    }

    /// <summary>The LA records the child's GP practice on its CLAPatient (Patient.generalPractitioner), as a case-management system would.</summary>
    public static async System.Threading.Tasks.Task RegisterAsync(RunningHub hub, string patientId, string practice)
    {
        var la = await hub.AsAsync(La, "la");
        var read = await la.GetAsync($"fhir/Patient/{patientId}");
        Assert.True(read.Status == 200, read.ToString());
        var patient = read.As<Patient>();
        patient.GeneralPractitioner = [new ResourceReference($"Organization/{practice}")];
        var put = await la.PutAsync($"fhir/Patient/{patientId}", patient);
        Assert.True(put.Status == 200, put.ToString());
    }
}

/// <summary>Fresh valid NHS numbers, never handed out twice in the test run.</summary>
public static class Numbers
{
    /// <summary>Valid NHS numbers never issued before in this run.</summary>
    public static string[] Fresh(int count) => [.. Enumerable.Range(0, count).Select(_ => Children.NewNhsNumber())];

    /// <summary>Ten digits whose check digit is wrong: a typing slip.</summary>
    public static string FailingCheckDigit()
    {
        var valid = Fresh(1)[0];
        var wrong = (valid[9] - '0' + 1) % 10;
        return valid[..9] + wrong;
    }
}
