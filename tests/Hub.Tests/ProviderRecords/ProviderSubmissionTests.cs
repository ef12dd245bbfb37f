using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hub.Api.Fhir;
using Hub.Mappers.Identifiers;
using Hub.Mappers.Summary;
using Hub.Tests.Http;
using Hub.Tests.Infrastructure;
using Hub.Tests.Ssda903;

namespace Hub.Tests.ProviderRecords;

/// <summary>
/// Provider records in (contract §5, issue 5 part 1) over real HTTP, once per database provider: a CLA health team's
/// Bundle of UK Core shaped records, matched to the hub's child by NHS number and date of birth, kept with Provenance
/// and labels, idempotent, atomic, and seen in the host ICB's next summary.
/// </summary>
public abstract class ProviderSubmissionTests(HubFixture fixture)
{
    RunningHub Hub => fixture.Hub;
    const string La = "933", HostIcb = "QE1", HostTeam = "RXN", ChildDob = "2010-05-04";
    const string TeamIds = "https://rxn.example.nhs.uk/Id/record";

    /// <summary>A child of Somerset placed in Lancashire (host ICB QE1), whose return says its annual health assessment was done.</summary>
    sealed record Child(string Id, string Nhs);

    async Task<Child> ChildPlacedAwayAsync(bool adopted = false)
    {
        var child = Children.NewChildId();
        var nhs = Children.NewNhsNumber();
        await Hub.ImportReturnAsync(La, 2025,
            ("header.csv", $"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\r\n{child},F,04/05/2010,WBRI,UN3,,\r\n"),
            ("episodes.csv", "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\r\n" +
            (adopted
                ? $"{child},01/01/2023,S,E1,N1,A6,PR1,01/12/2024,E11,,TA1 2AB,LA1 4XY,\r\n"
                : $"{child},01/06/2023,S,C2,N1,U6,PR1,,,,TA1 2AB,LA1 4XX,SC123456\r\n")),
            ("oc2.csv", "CHILD,DOB,SDQ_SCORE,SDQ_REASON,CONVICTED,HEALTH_CHECK,IMMUNISATIONS,TEETH_CHECK,HEALTH_ASSESSMENT,SUBSTANCE_MISUSE,INTERVENTION_RECEIVED,INTERVENTION_OFFERED\r\n" +
            $"{child},04/05/2010,14,,0,,1,1,0,0,,\r\n"),
            ("child_identifiers.csv", $"CHILD,NHS_NUMBER\r\n{child},{nhs}\r\n"));
        var la = await Hub.AsAsync(La, "la");
        var found = (await la.GetAsync($"fhir/Patient?identifier=https://fhir.carehub.org.uk/Id/la-child-id/{La}|{child}")).As<Bundle>();
        return new Child(found.Entry.Single().Resource.Id, nhs);
    }

    /// <summary>The host area's CLA health team, which reads the record to do the statutory assessment (consent.md §3.5 row 8).</summary>
    Task<FhirCall> Team() => Hub.AsAsync(HostTeam, "provider", "cla-health-team", "statutory-health-assessment");

    static string Load(string name) => File.ReadAllText(Path.Combine(Ssda903TestFiles.RepoRoot, "..", "shared", "data", "ukcore", name + ".json"));

    /// <summary>
    /// What a CLA health team's EPR sends after an initial health assessment: its own copy of the child (UK Core Patient),
    /// the assessment, its report, findings and the child's immunisation history, each with the team's own identifier.
    /// </summary>
    static Bundle AssessmentBundle(string nhs, string dob = ChildDob, string key = "1", Bundle.BundleType type = Bundle.BundleType.Transaction)
    {
        var child = "urn:uuid:" + Guid.NewGuid();
        var patient = (Patient)FhirFormat.ParseJson(Load("UKCore-Patient-RichardSmith-Example"));
        patient.Id = null;
        patient.Identifier = [new Identifier(NhsNumber.System, nhs)];
        patient.BirthDate = dob;
        var subject = new ResourceReference(child);
        var ids = (string kind) => new List<Identifier> { new(TeamIds, $"{kind}-{nhs}-{key}") };

        var weight = (Observation)FhirFormat.ParseJson(Load("UKCore-Observation-VitalSigns-BodyWeight-Example"));
        weight.Id = null; weight.Subject = subject; weight.Identifier = ids("WT"); weight.Performer = [];
        var flu = (Immunization)FhirFormat.ParseJson(Load("UKCore-Immunization-InfluenzaVaccine-Example"));
        flu.Id = null; flu.Patient = subject; flu.Identifier = ids("IMM"); flu.Location = null;
        var assessment = "urn:uuid:" + Guid.NewGuid();
        Resource[] records =
        [
            new Organization { Identifier = [new Identifier("https://fhir.nhs.uk/Id/ods-organization-code", HostTeam)], Name = "Lancashire CLA health team" },
            new Practitioner { Identifier = ids("GMC"), Name = [new HumanName { Family = "Nurse", Given = ["Ann"] }] },
            new Encounter
            {
                Identifier = ids("IHA"),
                Status = Encounter.EncounterStatus.Finished,
                Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory"),
                Type = [new CodeableConcept("https://fhir.carehub.org.uk/CodeSystem/cla-health", "initial-health-assessment", "Initial health assessment")],
                Subject = subject,
                Period = new Period { Start = "2025-09-15", End = "2025-09-15" },
            },
            weight,
            flu,
            new Condition
            {
                Identifier = ids("CON"),
                ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
                Code = new CodeableConcept { Text = "Asthma" },
                Subject = subject,
            },
            new AllergyIntolerance
            {
                Identifier = ids("ALG"), Patient = subject, Code = new CodeableConcept { Text = "Peanuts" },
                ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
            },
            new MedicationStatement
            {
                Identifier = ids("MED"), Status = MedicationStatement.MedicationStatusCodes.Active, Subject = subject,
                Medication = new CodeableConcept { Text = "Salbutamol inhaler" },
            },
            new CarePlan
            {
                Identifier = ids("PLAN"), Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan, Subject = subject,
                Title = "Health plan after the initial health assessment",
            },
            new DocumentReference
            {
                Identifier = ids("DOC"), Status = DocumentReferenceStatus.Current, Subject = subject,
                Type = new CodeableConcept { Text = "Initial health assessment report" },
                Context = new DocumentReference.ContextComponent { Encounter = [new ResourceReference(assessment)] },
                Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "application/pdf", Title = "IHA report", Data = "%PDF-1.4 report"u8.ToArray() } }],
            },
        ];
        var bundle = new Bundle { Type = type, Identifier = new Identifier(TeamIds, "submission-" + key) };
        bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = child, Resource = patient, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" } });
        foreach (var r in records)
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = r is Encounter ? assessment : "urn:uuid:" + Guid.NewGuid(),
                Resource = r,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = r.TypeName },
            });
        return bundle;
    }

    async Task<List<T>> SearchAsync<T>(FhirCall as_, string query) where T : Resource
    {
        var answer = await as_.GetAsync("fhir/" + query);
        Assert.True(answer.Status == 200, answer.ToString());
        return [.. answer.As<Bundle>().Entry.Where(e => e.Search?.Mode != Bundle.SearchEntryMode.Include).Select(e => e.Resource).OfType<T>()];
    }

    [Fact]
    public async Task a_CLA_health_teams_assessment_bundle_is_matched_to_the_child_and_shows_in_the_host_ICBs_next_summary()
    {
        var child = await ChildPlacedAwayAsync();
        var team = await Team();
        var sent = await team.PostAsync("fhir", AssessmentBundle(child.Nhs));
        Assert.True(sent.Status == 200, sent.ToString());
        var response = sent.As<Bundle>();
        Assert.Equal(Bundle.BundleType.TransactionResponse, response.Type);
        // The team's own copy of the child named the hub's record; it was matched, not written.
        Assert.Equal("200 OK", response.Entry[0].Response.Status);
        Assert.Equal($"Patient/{child.Id}", response.Entry[0].Response.Location);
        Assert.Equal($"Organization/{HostTeam}", response.Entry[1].Response.Location);
        Assert.All(response.Entry.Skip(2), e => Assert.Equal("201 Created", e.Response.Status));

        var encounter = (await SearchAsync<Encounter>(team, $"Encounter?patient=Patient/{child.Id}")).Single();
        Assert.Equal($"Patient/{child.Id}", encounter.Subject.Reference);
        Assert.Equal(child.Nhs, encounter.Subject.Identifier.Value); // the NHS number the team named the child by is kept
        Assert.Equal($"{TeamIds}|IHA-{child.Nhs}-1", $"{encounter.Identifier[0].System}|{encounter.Identifier[0].Value}");
        Assert.Contains("https://fhir.carehub.org.uk/StructureDefinition/CLAHealthAssessment", encounter.Meta.Profile);
        Assert.Equal($"Organization/{HostTeam}", encounter.ServiceProvider.Reference); // the sender did the assessment
        Assert.Contains(encounter.Meta.Security, s => s.System == "http://terminology.hl7.org/CodeSystem/v3-Confidentiality");
        var weight = (await SearchAsync<Observation>(team, $"Observation?patient=Patient/{child.Id}&code=http://loinc.org|29463-7")).Single();
        Assert.Contains(weight.Code.Coding, c => c.System == "http://snomed.info/sct" && c.Code == "27113001"); // the provider's codings stay
        Assert.Single(await SearchAsync<Practitioner>(team, $"Practitioner?identifier={TeamIds}|GMC-{child.Nhs}-1"));

        var summary = await (await Hub.AsAsync(HostIcb, "icb")).GetAsync($"fhir/Patient/{child.Id}/$summary");
        Assert.True(summary.Status == 200, summary.ToString());
        var document = summary.As<Bundle>();
        var sections = ((Composition)document.Entry[0].Resource).Section.ToDictionary(s => s.Code.Coding[0].Code);
        var assessments = sections[SummarySections.HealthAssessments];
        // The dated assessment leads, though the annual return said no health assessment was done.
        Assert.Contains("Last health assessment: initial health assessment on 15 September 2025, by", assessments.Text.Div);
        Assert.Contains(assessments.Entry, e => document.Entry.Any(x => x.FullUrl == e.Reference && x.Resource is Encounter));
        Assert.Contains(assessments.Entry, e => document.Entry.Any(x => x.FullUrl == e.Reference && x.Resource is DocumentReference));
        Assert.Contains("Influenza vaccine", sections[SummarySections.Immunisations].Text.Div);
        var needs = sections[SummarySections.HealthNeeds].Text.Div;
        foreach (var text in new[] { "Asthma", "Peanuts", "Salbutamol inhaler", "Health plan after the initial health assessment" }) Assert.Contains(text, needs);
    }

    [Fact]
    public async Task each_submission_leaves_a_Provenance_naming_the_sender_and_what_it_wrote()
    {
        var child = await ChildPlacedAwayAsync();
        var team = await Team();
        var sent = await team.PostAsync("fhir", AssessmentBundle(child.Nhs));
        Assert.True(sent.Status == 200, sent.ToString());
        var provenance = (await SearchAsync<Provenance>(team, $"Provenance?patient=Patient/{child.Id}")).Single();
        Assert.Equal($"Organization/{HostTeam}", provenance.Agent.Single().Who.Reference);
        Assert.Equal("CREATE", provenance.Activity.Coding[0].Code);
        Assert.Equal($"{TeamIds}|submission-1", $"{provenance.Entity.Single().What.Identifier.System}|{provenance.Entity.Single().What.Identifier.Value}");
        // Every record about the child, by version, and the child; the Practitioner is no record about the child.
        var written = sent.As<Bundle>().Entry.Skip(3).Select(e => e.Response.Location).ToList();
        Assert.Equal(8, written.Count);
        Assert.Equal([.. written.Order(StringComparer.Ordinal), $"Patient/{child.Id}"], provenance.Target.Select(t => t.Reference).Order(StringComparer.Ordinal));
        Assert.True(provenance.Recorded > DateTimeOffset.UtcNow.AddMinutes(-5));
    }

    [Fact]
    public async Task the_same_submission_sent_twice_changes_nothing_and_a_changed_one_makes_new_versions()
    {
        var child = await ChildPlacedAwayAsync();
        var team = await Team();
        Assert.Equal(200, (await team.PostAsync("fhir", AssessmentBundle(child.Nhs))).Status);
        var again = await team.PostAsync("fhir", AssessmentBundle(child.Nhs));
        Assert.True(again.Status == 200, again.ToString());
        Assert.All(again.As<Bundle>().Entry, e => Assert.Equal("200 OK", e.Response.Status));
        Assert.All(again.As<Bundle>().Entry.Skip(2), e => Assert.EndsWith("/_history/1", e.Response.Location));
        Assert.Single(await SearchAsync<Encounter>(team, $"Encounter?patient=Patient/{child.Id}"));
        Assert.Single(await SearchAsync<Provenance>(team, $"Provenance?patient=Patient/{child.Id}"));

        // The team corrects the assessment's date: the same record, a new version, and a Provenance saying so.
        var corrected = AssessmentBundle(child.Nhs);
        ((Encounter)corrected.Entry.Single(e => e.Resource is Encounter).Resource).Period = new Period { Start = "2025-09-16", End = "2025-09-16" };
        var changed = await team.PostAsync("fhir", corrected);
        Assert.True(changed.Status == 200, changed.ToString());
        var encounterEntry = changed.As<Bundle>().Entry[corrected.Entry.FindIndex(e => e.Resource is Encounter)];
        Assert.EndsWith("/_history/2", encounterEntry.Response.Location);
        var encounter = (await SearchAsync<Encounter>(team, $"Encounter?patient=Patient/{child.Id}")).Single();
        Assert.Equal("2025-09-16", encounter.Period.Start);
        var provenances = await SearchAsync<Provenance>(team, $"Provenance?patient=Patient/{child.Id}");
        Assert.Equal(2, provenances.Count);
        var update = provenances.Single(p => p.Activity.Coding[0].Code == "UPDATE");
        Assert.Equal([encounterEntry.Response.Location, $"Patient/{child.Id}"], update.Target.Select(t => t.Reference));
    }

    [Fact]
    public async Task a_date_of_birth_that_differs_is_refused_naming_the_entry_and_nothing_is_written()
    {
        var child = await ChildPlacedAwayAsync();
        var team = await Team();
        var answer = await team.PostAsync("fhir", AssessmentBundle(child.Nhs, dob: "2010-05-05"));
        Assert.Equal(422, answer.Status);
        var issue = answer.Outcome.Issue.Single();
        Assert.Contains("Bundle.entry[0]", issue.Expression.Single());
        Assert.Contains("birthDate does not match", issue.Diagnostics);
        Assert.DoesNotContain("2010-05-04", answer.Body); // the hub's date of birth is not disclosed
        Assert.Empty(await SearchAsync<Encounter>(team, $"Encounter?patient=Patient/{child.Id}"));
        Assert.Empty(await SearchAsync<Provenance>(team, $"Provenance?patient=Patient/{child.Id}"));
    }

    [Fact]
    public async Task an_unknown_child_an_adopted_childs_old_number_and_an_invalid_NHS_number_are_refused_naming_the_entry()
    {
        var team = await Team();
        var unknown = await team.PostAsync("fhir", AssessmentBundle(Children.NewNhsNumber()));
        Assert.Equal(422, unknown.Status);
        Assert.Contains("Bundle.entry[0]", unknown.Outcome.Issue.Single().Expression.Single());
        Assert.Contains("is known to the hub", unknown.Outcome.Issue.Single().Diagnostics);

        // A sealed record answers exactly as one the hub does not hold.
        var adopted = await ChildPlacedAwayAsync(adopted: true);
        var sealedAnswer = await team.PostAsync("fhir", AssessmentBundle(adopted.Nhs));
        Assert.Equal(422, sealedAnswer.Status);
        Assert.Equal(unknown.Outcome.Issue.Single().Diagnostics!.Replace(unknown.Outcome.Issue.Single().Diagnostics!.Split(' ').First(w => w.Length == 10 && w.All(char.IsAsciiDigit)), "N"),
            sealedAnswer.Outcome.Issue.Single().Diagnostics!.Replace(adopted.Nhs, "N"));

        // A conditional reference with a number that fails modulus 11.
        var child = await ChildPlacedAwayAsync();
        var bad = child.Nhs[..9] + (char)('0' + (child.Nhs[9] - '0' + 1) % 10);
        var bundle = AssessmentBundle(child.Nhs);
        bundle.Entry.RemoveAt(0);
        var encounter = bundle.Entry.FindIndex(e => e.Resource is Encounter);
        ((Encounter)bundle.Entry[encounter].Resource).Subject = new ResourceReference($"Patient?identifier={NhsNumber.System}|{bad}");
        foreach (var e in bundle.Entry.Where(e => e.Resource is not Encounter and not Organization and not Practitioner).ToList()) bundle.Entry.Remove(e);
        var invalid = await team.PostAsync("fhir", bundle);
        Assert.Equal(422, invalid.Status);
        Assert.Contains($"Bundle.entry[{bundle.Entry.FindIndex(e => e.Resource is Encounter)}]", invalid.Outcome.Issue.Single().Expression.Single());
        Assert.Contains("modulus 11", invalid.Outcome.Issue.Single().Diagnostics);
    }

    [Fact]
    public async Task a_transaction_with_one_record_failing_the_profiles_writes_nothing_and_names_the_entry()
    {
        var child = await ChildPlacedAwayAsync();
        var team = await Team();
        var bundle = AssessmentBundle(child.Nhs);
        var at = bundle.Entry.FindIndex(e => e.Resource is Encounter);
        ((Encounter)bundle.Entry[at].Resource).Subject = null; // CLAHealthAssessment: subject 1..1
        var answer = await team.PostAsync("fhir", bundle);
        Assert.Equal(400, answer.Status);
        Assert.Contains(answer.Outcome.Issue, i => i.Expression.Any(x => x.StartsWith($"Bundle.entry[{at}]", StringComparison.Ordinal)));
        Assert.Empty(await SearchAsync<Immunization>(team, $"Immunization?patient=Patient/{child.Id}"));
    }

    [Fact]
    public async Task a_batch_answers_per_entry_and_keeps_the_entries_that_succeeded()
    {
        var child = await ChildPlacedAwayAsync();
        var team = await Team();
        var bundle = AssessmentBundle(child.Nhs, type: Bundle.BundleType.Batch);
        // In a batch each entry stands alone: references by NHS number, not to other entries.
        bundle.Entry.RemoveAt(0);
        foreach (var e in bundle.Entry) Retarget(e.Resource, $"Patient?identifier={NhsNumber.System}|{child.Nhs}");
        var stranger = (Immunization)bundle.Entry.Single(e => e.Resource is Immunization).Resource.DeepCopy();
        stranger.Identifier = [new Identifier(TeamIds, "IMM-stranger")];
        stranger.Patient = new ResourceReference($"Patient?identifier={NhsNumber.System}|{Children.NewNhsNumber()}");
        bundle.Entry.Add(new Bundle.EntryComponent { Resource = stranger, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Immunization" } });
        foreach (var e in bundle.Entry) e.FullUrl = null;
        bundle.Entry.Single(e => e.Resource is DocumentReference).Resource = null; // a POST without a resource
        bundle.Entry.RemoveAll(e => e.Resource is null);

        var answer = await team.PostAsync("fhir", bundle);
        Assert.True(answer.Status == 200, answer.ToString());
        var entries = answer.As<Bundle>().Entry;
        Assert.Equal(Bundle.BundleType.BatchResponse, answer.As<Bundle>().Type);
        Assert.StartsWith("422", entries[^1].Response.Status);
        Assert.Contains("Bundle.entry[", entries[^1].Response.Outcome is OperationOutcome o ? o.Issue[0].Diagnostics : "");
        Assert.All(entries.Take(entries.Count - 1).Skip(1), e => Assert.Equal("201 Created", e.Response.Status));
        Assert.Single(await SearchAsync<Immunization>(team, $"Immunization?patient=Patient/{child.Id}"));
        Assert.Single(await SearchAsync<Encounter>(team, $"Encounter?patient=Patient/{child.Id}"));
    }

    static void Retarget(Resource r, string reference)
    {
        switch (r)
        {
            case Encounter e: e.Subject = new(reference); break;
            case Observation o: o.Subject = new(reference); break;
            case Immunization i: i.Patient = new(reference); break;
            case Condition c: c.Subject = new(reference); break;
            case AllergyIntolerance a: a.Patient = new(reference); break;
            case MedicationStatement m: m.Subject = new(reference); break;
            case CarePlan p: p.Subject = new(reference); break;
            case DocumentReference d: d.Subject = new(reference); d.Context = null; break;
        }
    }

    [Fact]
    public async Task a_provider_may_not_create_a_Patient_or_name_an_organisation_the_hub_does_not_hold()
    {
        var team = await Team();
        var patient = await team.PostAsync("fhir/Patient", Children.Patient(La, nhs: Children.NewNhsNumber()));
        Assert.Equal(403, patient.Status);
        Assert.Contains("names the child by NHS number", patient.Diagnostics);

        var child = await ChildPlacedAwayAsync();
        var bundle = AssessmentBundle(child.Nhs);
        ((Organization)bundle.Entry[1].Resource).Identifier[0].Value = "ZZZ99";
        var answer = await team.PostAsync("fhir", bundle);
        Assert.Equal(422, answer.Status);
        Assert.Contains("Bundle.entry[1]", answer.Outcome.Issue.Single().Expression.Single());
        Assert.Contains("not in the hub's reference data", answer.Outcome.Issue.Single().Diagnostics);
    }

    [Fact]
    public async Task a_record_referring_to_the_child_by_NHS_number_identifier_alone_is_matched_too()
    {
        var child = await ChildPlacedAwayAsync();
        var team = await Team();
        var immunisation = new Immunization
        {
            Identifier = [new Identifier(TeamIds, "IMM-logical-" + child.Nhs)],
            Status = Immunization.ImmunizationStatusCodes.Completed,
            VaccineCode = new CodeableConcept { Text = "MMR second dose" },
            Patient = new ResourceReference { Identifier = new Identifier(NhsNumber.System, child.Nhs) },
            Occurrence = new FhirDateTime("2016-06-01"),
        };
        var created = await team.PostAsync("fhir/Immunization", immunisation);
        Assert.True(created.Status == 201, created.ToString());
        Assert.Equal($"Patient/{child.Id}", created.As<Immunization>().Patient.Reference);
        // A single write is a submission too, and sending it again changes nothing.
        var again = await team.PostAsync("fhir/Immunization", immunisation);
        Assert.True(again.Status is 200 or 201, again.ToString());
        Assert.Single(await SearchAsync<Immunization>(team, $"Immunization?patient=Patient/{child.Id}"));
        Assert.Single(await SearchAsync<Provenance>(team, $"Provenance?patient=Patient/{child.Id}"));
    }
}

public sealed class SqliteProviderSubmissionTests(SqliteHubFixture f) : ProviderSubmissionTests(f), IClassFixture<SqliteHubFixture>;
public sealed class PostgresProviderSubmissionTests(PostgresHubFixture f) : ProviderSubmissionTests(f), IClassFixture<PostgresHubFixture>;
