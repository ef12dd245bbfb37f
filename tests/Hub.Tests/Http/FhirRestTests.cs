using System.Net;
using Hl7.Fhir.Model;
using Hub.Api.Fhir;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Http;

/// <summary>The FHIR REST contract (contract section 5) over real HTTP; run once per database provider.</summary>
public abstract class FhirRestTests(HubFixture fixture)
{
    protected RunningHub Hub => fixture.Hub;
    const string La = "933", OtherLa = "888";

    async Task<(FhirCall As, Patient Stored)> CreateChildAsync(string la = La, string? nhs = null, string? gp = null)
    {
        var la933 = await Hub.AsAsync(la, "la");
        var created = await la933.PostAsync("fhir/Patient", Children.Patient(la, nhs: nhs, gp: gp));
        Assert.True(created.Status == 201, created.ToString());
        return (la933, created.As<Patient>());
    }

    [Fact]
    public async Task metadata_is_public_and_describes_what_is_supported()
    {
        var answer = await new FhirCall(Hub.Http, null).GetAsync("fhir/metadata");
        Assert.Equal(200, answer.Status);
        var cs = answer.As<CapabilityStatement>();
        var patient = cs.Rest[0].Resource.Single(r => r.Type == "Patient");
        Assert.Contains(patient.SearchParam, p => p.Name == "identifier");
        Assert.Contains(patient.Interaction, i => i.Code == CapabilityStatement.TypeRestfulInteraction.Vread);
        Assert.Equal("https://fhir.carehub.org.uk/StructureDefinition/CLAPatient", patient.Profile);
        Assert.Contains(cs.Rest[0].Interaction, i => i.Code == CapabilityStatement.SystemRestfulInteraction.Transaction);
    }

    [Fact]
    public async Task every_fhir_call_without_a_valid_token_is_401_with_an_outcome()
    {
        var anonymous = await new FhirCall(Hub.Http, null).GetAsync("fhir/Patient");
        Assert.Equal(401, anonymous.Status);
        Assert.IsType<OperationOutcome>(anonymous.Resource);
        var forged = await new FhirCall(Hub.Http, "eyJhbGciOiJIUzI1NiJ9.eyJvcmciOiI5MzMifQ.x").GetAsync("fhir/Patient/abc");
        Assert.Equal(401, forged.Status);
    }

    [Fact]
    public async Task create_read_update_vread_and_history_keep_every_version()
    {
        var (la, created) = await CreateChildAsync();
        Assert.Equal("1", created.Meta.VersionId);
        var read = await la.GetAsync($"fhir/Patient/{created.Id}");
        Assert.Equal(200, read.Status);
        Assert.Equal("W/\"1\"", read.ETag);

        created.Gender = AdministrativeGender.Male;
        var updated = await la.PutAsync($"fhir/Patient/{created.Id}", created, new Dictionary<string, string> { ["If-Match"] = "W/\"1\"" });
        Assert.Equal(200, updated.Status);
        Assert.Equal("2", updated.As<Patient>().Meta.VersionId);

        var stale = await la.PutAsync($"fhir/Patient/{created.Id}", created, new Dictionary<string, string> { ["If-Match"] = "W/\"1\"" });
        Assert.Equal(412, stale.Status);
        Assert.IsType<OperationOutcome>(stale.Resource);

        var v1 = await la.GetAsync($"fhir/Patient/{created.Id}/_history/1");
        Assert.Equal(AdministrativeGender.Female, v1.As<Patient>().Gender);
        var history = (await la.GetAsync($"fhir/Patient/{created.Id}/_history")).As<Bundle>();
        Assert.Equal(Bundle.BundleType.History, history.Type);
        Assert.Equal(2, history.Total);
        Assert.Equal(404, (await la.GetAsync($"fhir/Patient/{created.Id}/_history/9")).Status);
    }

    [Fact]
    public async Task conditional_create_returns_the_existing_resource_and_writes_nothing()
    {
        var la = await Hub.AsAsync(La, "la");
        var child = Children.Patient(La);
        var id = Children.ChildIdOf(child);
        var header = new Dictionary<string, string> { ["If-None-Exist"] = $"identifier=https://fhir.carehub.org.uk/Id/la-child-id/{La}|{id}" };
        var first = await la.PostAsync("fhir/Patient", child, header);
        var second = await la.PostAsync("fhir/Patient", child, header);
        Assert.Equal(201, first.Status);
        Assert.Equal(200, second.Status);
        Assert.Equal(first.As<Patient>().Id, second.As<Patient>().Id);
        Assert.Equal("1", second.As<Patient>().Meta.VersionId);
    }

    [Fact]
    public async Task conditional_update_by_identifier_creates_then_updates()
    {
        var la = await Hub.AsAsync(La, "la");
        var child = Children.Patient(La);
        var url = $"fhir/Patient?identifier=https://fhir.carehub.org.uk/Id/la-child-id/{La}|{Children.ChildIdOf(child)}";
        var created = await la.PutAsync(url, child);
        Assert.Equal(201, created.Status);
        child.BirthDate = "2014-02-04";
        var updated = await la.PutAsync(url, child);
        Assert.Equal(200, updated.Status);
        Assert.Equal(created.As<Patient>().Id, updated.As<Patient>().Id);
        Assert.Equal("2014-02-04", updated.As<Patient>().BirthDate);
    }

    [Fact]
    public async Task search_by_identifier_finds_exactly_the_child_and_pages_with_next_links()
    {
        var (la, child) = await CreateChildAsync();
        var found = (await la.GetAsync($"fhir/Patient?identifier=https://fhir.carehub.org.uk/Id/la-child-id/{La}|{Children.ChildIdOf(child)}")).As<Bundle>();
        Assert.Equal(1, found.Total);
        Assert.Equal(child.Id, found.Entry.Single().Resource.Id);

        for (var i = 0; i < 3; i++) await CreateChildAsync();
        var page1 = (await la.GetAsync("fhir/Patient?_count=2")).As<Bundle>();
        Assert.Equal(2, page1.Entry.Count);
        var next = page1.Link.Single(l => l.Relation == "next").Url!;
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(next, "_count="));
        var page2 = (await la.GetAsync(next[(Hub.BaseUrl.Length + 1)..])).As<Bundle>();
        Assert.Equal(2, page2.Entry.Count);
        Assert.Empty(page1.Entry.Select(e => e.Resource.Id).Intersect(page2.Entry.Select(e => e.Resource.Id)));
    }

    [Fact]
    public async Task search_by_patient_code_and_date_with_include()
    {
        var (la, child) = await CreateChildAsync();
        var episode = Children.Episode(La, $"Patient/{child.Id}", "2024-05-01");
        episode.Type = [new CodeableConcept("https://fhir.carehub.org.uk/CodeSystem/ssda903-legal-status", "C2")];
        Assert.Equal(201, (await la.PostAsync("fhir/EpisodeOfCare", episode)).Status);

        var byPatient = (await la.GetAsync($"fhir/EpisodeOfCare?patient={child.Id}&_include=EpisodeOfCare:patient")).As<Bundle>();
        Assert.Single(byPatient.Entry, e => e.Search.Mode == Bundle.SearchEntryMode.Match);
        Assert.Single(byPatient.Entry, e => e.Search.Mode == Bundle.SearchEntryMode.Include && e.Resource.Id == child.Id);

        var byCode = (await la.GetAsync($"fhir/EpisodeOfCare?patient=Patient/{child.Id}&type=https://fhir.carehub.org.uk/CodeSystem/ssda903-legal-status|C2")).As<Bundle>();
        Assert.Single(byCode.Entry);
        var wrongCode = (await la.GetAsync($"fhir/EpisodeOfCare?patient=Patient/{child.Id}&type=https://fhir.carehub.org.uk/CodeSystem/ssda903-legal-status|V2")).As<Bundle>();
        Assert.Empty(wrongCode.Entry);
        var byDate = (await la.GetAsync($"fhir/EpisodeOfCare?patient={child.Id}&date=ge2024-04-01")).As<Bundle>();
        Assert.Single(byDate.Entry);
        var byIdentifierChain = (await la.GetAsync($"fhir/EpisodeOfCare?patient.identifier=https://fhir.carehub.org.uk/Id/la-child-id/{La}|{Children.ChildIdOf(child)}")).As<Bundle>();
        Assert.Single(byIdentifierChain.Entry);
    }

    [Fact]
    public async Task another_LA_gets_not_found_exactly_as_for_a_child_that_does_not_exist()
    {
        var (_, child) = await CreateChildAsync();
        var other = await Hub.AsAsync(OtherLa, "la");
        var hidden = await other.GetAsync($"fhir/Patient/{child.Id}");
        var missing = await other.GetAsync($"fhir/Patient/{Guid.NewGuid()}");
        Assert.Equal(404, hidden.Status);
        Assert.Equal(missing.Status, hidden.Status);
        Assert.Equal(missing.Outcome.Issue[0].Code, hidden.Outcome.Issue[0].Code);
        var missingId = missing.Outcome.Issue[0].Diagnostics.Split('/')[1].Split(' ')[0];
        Assert.Equal(missing.Outcome.Issue[0].Diagnostics.Replace(missingId, "ID"), hidden.Outcome.Issue[0].Diagnostics.Replace(child.Id, "ID"));
        var search = (await other.GetAsync($"fhir/Patient?identifier=https://fhir.carehub.org.uk/Id/la-child-id/{La}|{Children.ChildIdOf(child)}")).As<Bundle>();
        Assert.Empty(search.Entry);
        Assert.Equal(0, search.Total);
        Assert.Equal(404, (await other.GetAsync($"fhir/Patient/{child.Id}/_history")).Status);
    }

    [Fact]
    public async Task an_LA_cannot_write_a_child_it_does_not_manage()
    {
        var la = await Hub.AsAsync(La, "la");
        var answer = await la.PostAsync("fhir/Patient", Children.Patient(OtherLa));
        Assert.Equal(403, answer.Status);
        Assert.IsType<OperationOutcome>(answer.Resource);
    }

    [Fact]
    public async Task admins_never_see_patients_but_read_the_audit_trail_of_every_read()
    {
        var (la, child) = await CreateChildAsync();
        Assert.Equal(200, (await la.GetAsync($"fhir/Patient/{child.Id}")).Status);
        var admin = await Hub.AsAsync("carehub-admin", "admin");
        Assert.Equal(403, (await admin.GetAsync($"fhir/Patient/{child.Id}")).Status);
        Assert.Equal(403, (await admin.GetAsync("fhir/Patient")).Status);

        var audit = (await admin.GetAsync($"fhir/AuditEvent?patient=Patient/{child.Id}")).As<Bundle>();
        var events = audit.Entry.Select(e => (AuditEvent)e.Resource).ToList();
        Assert.Contains(events, e => e.Subtype.Any(s => s.Code == "create"));
        Assert.Contains(events, e => e.Subtype.Any(s => s.Code == "read") && e.Agent[0].Who.Identifier.Value == La);
        var refusal = (await admin.GetAsync($"fhir/AuditEvent?agent=carehub-admin&outcome=4")).As<Bundle>();
        Assert.NotEmpty(refusal.Entry);

        var one = events[0];
        var la888 = await Hub.AsAsync(OtherLa, "la");
        Assert.Equal(403, (await la888.PostAsync("fhir/Organization", new Organization { Name = "not allowed" })).Status);
        var scopeRefusals = (await admin.GetAsync($"fhir/AuditEvent?agent={OtherLa}&outcome=4")).As<Bundle>();
        Assert.Contains(scopeRefusals.Entry, e => ((AuditEvent)e.Resource).OutcomeDesc.StartsWith("403"));
        Assert.Equal(403, (await admin.PutAsync($"fhir/AuditEvent/{one.Id}", one)).Status);
        Assert.Equal(403, (await admin.DeleteAsync($"fhir/AuditEvent/{one.Id}")).Status);
        Assert.Equal(403, (await la.GetAsync("fhir/AuditEvent")).Status);
    }

    [Fact]
    public async Task a_transaction_is_all_or_nothing()
    {
        var la = await Hub.AsAsync(La, "la");
        var child = Children.Patient(La);
        var bad = new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept { Text = "x" }, Subject = new ResourceReference("Patient/does-not-exist") };
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new() { FullUrl = "urn:uuid:" + Guid.NewGuid(), Resource = child, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Patient" } },
                new() { FullUrl = "urn:uuid:" + Guid.NewGuid(), Resource = bad, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Observation" } },
            ],
        };
        var answer = await la.PostAsync("fhir", bundle);
        Assert.Equal(422, answer.Status);
        Assert.Contains("Bundle.entry[1]", answer.Diagnostics);
        var search = (await la.GetAsync($"fhir/Patient?identifier=https://fhir.carehub.org.uk/Id/la-child-id/{La}|{Children.ChildIdOf(child)}")).As<Bundle>();
        Assert.Empty(search.Entry);
    }

    [Fact]
    public async Task a_transaction_resolves_references_between_its_entries()
    {
        var la = await Hub.AsAsync(La, "la");
        var patientUrl = "urn:uuid:" + Guid.NewGuid();
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new() { FullUrl = patientUrl, Resource = Children.Patient(La), Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Patient" } },
                new() { FullUrl = "urn:uuid:" + Guid.NewGuid(), Resource = Children.Episode(La, patientUrl, "2025-01-01"), Request = new() { Method = Bundle.HTTPVerb.POST, Url = "EpisodeOfCare" } },
            ],
        };
        var answer = await la.PostAsync("fhir", bundle);
        Assert.Equal(200, answer.Status);
        var response = answer.As<Bundle>();
        Assert.Equal(Bundle.BundleType.TransactionResponse, response.Type);
        Assert.All(response.Entry, e => Assert.StartsWith("201", e.Response.Status));
        var patientId = response.Entry[0].Response.Location!.Split('/')[1];
        var episode = (EpisodeOfCare)response.Entry[1].Resource;
        Assert.Equal($"Patient/{patientId}", episode.Patient.Reference);
    }

    [Fact]
    public async Task a_batch_answers_each_entry_on_its_own()
    {
        var la = await Hub.AsAsync(La, "la");
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Batch,
            Entry =
            [
                new() { Resource = Children.Patient(La), Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Patient" } },
                new() { Resource = Children.Patient(OtherLa), Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Patient" } },
                new() { Request = new() { Method = Bundle.HTTPVerb.GET, Url = $"Patient/{Guid.NewGuid()}" } },
            ],
        };
        var response = (await la.PostAsync("fhir", bundle)).As<Bundle>();
        Assert.Equal(Bundle.BundleType.BatchResponse, response.Type);
        Assert.StartsWith("201", response.Entry[0].Response.Status);
        Assert.StartsWith("403", response.Entry[1].Response.Status);
        Assert.StartsWith("404", response.Entry[2].Response.Status);
        Assert.IsType<OperationOutcome>(response.Entry[1].Response.Outcome);
    }

    [Fact]
    public async Task xml_in_and_out()
    {
        var la = await Hub.AsAsync(La, "la");
        var xml = FhirFormat.SerializeToString(Children.Patient(La), WireFormat.Xml);
        var created = await la.SendAsync(HttpMethod.Post, "fhir/Patient", xml, FhirFormat.XmlMime, new Dictionary<string, string> { ["Accept"] = FhirFormat.XmlMime });
        Assert.Equal(201, created.Status);
        Assert.Equal(FhirFormat.XmlMime, created.MediaType);
        var id = created.As<Patient>().Id;
        var read = await la.GetAsync($"fhir/Patient/{id}?_format=xml");
        Assert.StartsWith("<Patient", read.Body.TrimStart());
        Assert.Equal(FhirFormat.JsonMime, (await la.GetAsync($"fhir/Patient/{id}")).MediaType);
    }

    public static TheoryData<string, string, string, int, string> BadBodies => new()
    {
        { "malformed JSON", "{\"resourceType\":\"Patient\",", FhirFormat.JsonMime, 400, "JSON" },
        { "wrong resource type for the URL", "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"}}", FhirFormat.JsonMime, 400, "resourceType" },
        { "unknown element", "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"https://fhir.carehub.org.uk/Id/la-child-id/933\",\"value\":\"u1\"}],\"birthDate\":\"2014-01-01\",\"managingOrganization\":{\"reference\":\"Organization/933\"},\"favouriteColour\":\"blue\"}", FhirFormat.JsonMime, 400, "favouriteColour" },
        { "wrong type", "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"https://fhir.carehub.org.uk/Id/la-child-id/933\",\"value\":\"u2\"}],\"birthDate\":\"2014-01-01\",\"active\":\"maybe\",\"managingOrganization\":{\"reference\":\"Organization/933\"}}", FhirFormat.JsonMime, 400, "active" },
        { "missing required element", "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"https://fhir.carehub.org.uk/Id/la-child-id/933\",\"value\":\"u3\"}],\"managingOrganization\":{\"reference\":\"Organization/933\"}}", FhirFormat.JsonMime, 400, "birthDate" },
        { "XML with a DTD", "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Patient xmlns=\"http://hl7.org/fhir\"><birthDate value=\"&x;\"/></Patient>", FhirFormat.XmlMime, 400, "DTD" },
        { "not FHIR at all", "name=x", "application/x-www-form-urlencoded", 415, "Content-Type" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task bad_bodies_get_an_outcome_naming_the_problem_and_write_nothing(string what, string body, string contentType, int status, string named)
    {
        var la = await Hub.AsAsync(La, "la");
        var before = (await la.GetAsync("fhir/Patient?_summary=count")).As<Bundle>().Total;
        var answer = await la.SendAsync(HttpMethod.Post, "fhir/Patient", body, contentType);
        Assert.True(status == answer.Status, $"{what}: {answer}");
        Assert.Contains(named, answer.Diagnostics, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, (await la.GetAsync("fhir/Patient?_summary=count")).As<Bundle>().Total);
    }

    [Fact]
    public async Task an_oversized_body_is_413()
    {
        var la = await Hub.AsAsync(La, "la");
        var big = Children.Patient(La);
        big.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">" + new string('x', 3 * 1024 * 1024) + "</div>" };
        // Expect: 100-continue lets the hub refuse before the body is sent, as a well-behaved client would ask.
        var answer = await la.PostAsync("fhir/Patient", big, new Dictionary<string, string> { ["Expect"] = "100-continue" });
        Assert.Equal(413, answer.Status);
        Assert.IsType<OperationOutcome>(answer.Resource);
    }

    [Fact]
    public async Task a_record_about_an_unknown_child_is_422()
    {
        var provider = await Hub.AsAsync("RH5", "provider", "cla-health-team");
        var obs = new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept { Text = "weight" }, Subject = new ResourceReference($"Patient/{Guid.NewGuid()}") };
        var answer = await provider.PostAsync("fhir/Observation", obs);
        Assert.Equal(422, answer.Status);
    }

    [Fact]
    public async Task an_unknown_resource_type_is_404_and_a_wrong_accept_is_406()
    {
        var la = await Hub.AsAsync(La, "la");
        Assert.Equal(404, (await la.GetAsync("fhir/Unicorn")).Status);
        Assert.Equal(406, (await la.GetAsync("fhir/Patient", new Dictionary<string, string> { ["Accept"] = "text/csv" })).Status);
    }

    [Fact]
    public async Task health_swagger_and_the_jobs_dashboard()
    {
        Assert.Equal(HttpStatusCode.OK, (await Hub.Http.GetAsync("healthz")).StatusCode);
        var swagger = await Hub.Http.GetStringAsync("swagger/v1/swagger.json");
        Assert.Contains("/auth/token", swagger);
        Assert.DoesNotContain("/fhir/{type}", swagger);

        Assert.Equal(HttpStatusCode.Unauthorized, (await Hub.Http.GetAsync("jobs")).StatusCode);
        using var laRequest = new HttpRequestMessage(HttpMethod.Get, "jobs");
        laRequest.Headers.Authorization = new("Bearer", await Hub.TokenAsync(La, "la"));
        Assert.Equal(HttpStatusCode.Forbidden, (await Hub.Http.SendAsync(laRequest)).StatusCode);
        using var adminRequest = new HttpRequestMessage(HttpMethod.Get, "jobs");
        adminRequest.Headers.Authorization = new("Bearer", await Hub.TokenAsync("carehub-admin", "admin"));
        Assert.Equal(HttpStatusCode.OK, (await Hub.Http.SendAsync(adminRequest)).StatusCode);
    }

    [Fact]
    public async Task the_reference_data_is_served_as_organizations_with_their_parent_icb()
    {
        var la = await Hub.AsAsync(La, "la");
        var somerset = (await la.GetAsync("fhir/Organization/933")).As<Organization>();
        Assert.Equal("Organization/QSL", somerset.PartOf.Reference);
        Assert.Equal(403, (await la.PutAsync("fhir/Organization/933", somerset)).Status);
    }
}

public sealed class SqliteFhirRestTests(SqliteHubFixture f) : FhirRestTests(f), IClassFixture<SqliteHubFixture>;
public sealed class PostgresFhirRestTests(PostgresHubFixture f) : FhirRestTests(f), IClassFixture<PostgresHubFixture>;
