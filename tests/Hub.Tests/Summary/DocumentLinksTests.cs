using Hl7.Fhir.Model;
using Hub.Mappers.Summary;

namespace Hub.Tests.Summary;

/// <summary>The reference walk over the model must find every reference the JSON form holds, wherever it sits.</summary>
public sealed class DocumentLinksTests
{
    static Encounter WithReferencesEverywhere()
    {
        var status = new Code<Encounter.EncounterStatus>(Encounter.EncounterStatus.Finished);
        status.AddExtension("https://example.org/recorded-by", new ResourceReference("Practitioner/on-a-primitive"));
        return new Encounter
        {
            StatusElement = status,
            Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
            Subject = new ResourceReference("Patient/child"),
            Participant = [new Encounter.ParticipantComponent { Individual = new ResourceReference("Practitioner/in-a-list") }],
            ServiceProvider = new ResourceReference("Organization/RH5") { Identifier = new Identifier { Assigner = new ResourceReference("Organization/assigner") } },
            Contained = [new Location { Id = "room", ManagingOrganization = new ResourceReference("Organization/in-contained") }],
            Location = [new Encounter.LocationComponent { Location = new ResourceReference("#room") }],
        };
    }

    [Fact]
    public void the_walk_over_the_model_finds_the_references_the_json_holds()
    {
        var encounter = WithReferencesEverywhere();
        var overModel = DocumentLinks.ReferenceElements(encounter).Select(r => r.Reference).Order(StringComparer.Ordinal).ToList();
        var inJson = JsonReferences.In(encounter).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(inJson, overModel);
        Assert.Equal(7, overModel.Count);
    }

    [Fact]
    public void a_copy_linked_over_the_model_equals_one_linked_over_json_and_leaves_the_original_alone()
    {
        var encounter = WithReferencesEverywhere();
        LinkTarget AllLocal(string r) => r.StartsWith('#') ? new LinkTarget.Contained() : new LinkTarget.Local("urn:uuid:" + r.Replace('/', '-'));
        var linked = DocumentLinks.Linked(encounter, AllLocal);
        var json = DocumentLinks.ToJson(encounter);
        DocumentLinks.Rewrite(json, AllLocal);
        Assert.True(linked.IsExactly(DocumentLinks.FromJson(json)));
        Assert.Equal("Patient/child", encounter.Subject.Reference);

        // One reference that must go: the JSON path removes it and what it leaves empty.
        var hidden = DocumentLinks.Linked(encounter, r => r == "Practitioner/in-a-list" ? new LinkTarget.Hidden() : AllLocal(r));
        Assert.Empty(((Encounter)hidden).Participant);
        Assert.Equal("urn:uuid:Patient-child", ((Encounter)hidden).Subject.Reference);
    }
}
