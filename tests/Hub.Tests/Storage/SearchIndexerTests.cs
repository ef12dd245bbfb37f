using Hl7.Fhir.Model;
using Hub.Api.Fhir;
using Hub.Api.Search;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Checking;
using Hub.Mappers.Ssda903.Mapping;
using Hub.Mappers.Ssda903.Reading;

namespace Hub.Tests.Storage;

/// <summary>
/// The indexer walks plain search paths over the model instead of running Firely's FhirPath evaluator; for every
/// search parameter the hub defines, both must index exactly the same values.
/// </summary>
public sealed class SearchIndexerTests
{
    static readonly SearchParameters Parameters = SearchParameters.Load(Path.Combine(AppContext.BaseDirectory, "fhir-profiles"));
    static readonly SearchIndexer Plain = new(Parameters), FhirPath = new(Parameters, plainPaths: false);

    static IEnumerable<Resource> Examples() =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "fhir-profiles", "examples"), "*.json").Select(f => FhirFormat.ParseJson(File.ReadAllText(f)));

    /// <summary>Everything the importer makes from the first synthetic year, as it makes it.</summary>
    static IEnumerable<Resource> Imported()
    {
        var ret = Ssda903Reader.ReadFolder("933", 2018, Path.Combine(Ssda903.Ssda903TestFiles.Synthetic, "2018"));
        var codes = CodeLists.Load(Path.Combine(AppContext.BaseDirectory, "fhir-profiles"));
        var quarantined = Ssda903Checker.Check(ret, codes).Where(i => i.Severity == IssueSeverity.Error && i.Child is not null).Select(i => i.Child).ToHashSet();
        var ctx = new MappingContext("933", 2018, "QSL", prefix => prefix == "TA" ? "QSL" : "QE1", (field, code) => codes.IsValid(field, code, 2018));
        var today = new DateOnly(2018, 6, 1);
        foreach (var child in ChildRecord.Group(ret).Where(c => !quarantined.Contains(c.ChildId)))
        {
            var mapped = ChildMapper.Map(child, "p" + child.ChildId, ctx);
            var status = CareStatus.Of(child.BirthDate, mapped.Episodes.Select(ChildMapper.FactsOf).ToList(), "QSL", today);
            IEnumerable<Resource> all = [mapped.Patient, .. mapped.Episodes, .. mapped.Observations, .. ChildMapper.Flags(child.ChildId, "p" + child.ChildId, status, ctx, today)];
            foreach (var r in all) yield return r;
        }
    }

    static string Describe(IndexEntries e) => string.Join("\n",
        e.Tokens.Select(t => $"token {t.Param} {t.System}|{t.Code}")
            .Concat(e.References.Select(r => $"ref {r.Param} {r.TargetType}/{r.TargetId}"))
            .Concat(e.Dates.Select(d => $"date {d.Param} {d.Start:O} {d.End:O}"))
            .Concat(e.Strings.Select(s => $"string {s.Param} {s.Value}"))
            .Order(StringComparer.Ordinal));

    [Fact]
    public void plain_paths_index_what_fhirpath_indexes_for_every_example_and_every_imported_resource()
    {
        var checkedCount = 0;
        var valuesSeen = 0;
        foreach (var r in Examples().Concat(Imported()))
        {
            var plain = Plain.Extract(r);
            Assert.Equal(Describe(FhirPath.Extract(r)), Describe(plain));
            valuesSeen += plain.Tokens.Count + plain.References.Count + plain.Dates.Count + plain.Strings.Count;
            checkedCount++;
        }
        Assert.True(checkedCount > 1000, $"only {checkedCount} resources compared");
        Assert.True(valuesSeen > checkedCount * 3, "the resources compared indexed almost nothing");
    }

    [Fact]
    public void a_reference_is_indexed_under_patient_only_when_it_names_a_patient()
    {
        var flag = new Flag { Id = "f1", Status = Flag.FlagStatus.Active, Code = new CodeableConcept("https://fhir.carehub.org.uk/CodeSystem/cla-flag", "looked-after"), Subject = new ResourceReference("Group/g1") };
        Assert.DoesNotContain(Plain.Extract(flag).References, r => r.Param == "patient");
        Assert.Contains(Plain.Extract(flag).References, r => r.Param == "subject" && r.TargetType == "Group");
        flag.Subject = new ResourceReference("https://elsewhere.example/fhir/Patient/p9/_history/2");
        Assert.Contains(Plain.Extract(flag).References, r => r.Param == "patient" && r.TargetId == "p9");
        Assert.Equal(Describe(FhirPath.Extract(flag)), Describe(Plain.Extract(flag)));
    }

    [Theory]
    [InlineData("Patient.identifier", "Patient", true)]
    [InlineData("Observation.subject.where(resolve() is Patient)", "Observation", true)]
    [InlineData("Observation.value.as(Quantity)", "Observation", false)]
    [InlineData("Patient.name | Patient.alias", "Patient", false)]
    [InlineData("Observation.code", "Patient", false)]
    [InlineData("Flag.subject.where(resolve() is Nonsense)", "Flag", false)]
    public void only_plain_paths_skip_fhirpath(string expression, string type, bool plain) =>
        Assert.Equal(plain, PlainPath.Of(expression, type) is not null);
}
