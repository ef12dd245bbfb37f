using Hl7.Fhir.Model;
using Hub.Api.Conformance;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Checking;
using Hub.Mappers.Ssda903.Mapping;
using Hub.Mappers.Ssda903.Reading;

namespace Hub.Tests.Ssda903Import;

/// <summary>
/// The import writes what the mapper makes without validating it at run time (it would cost the national-scale import
/// its time budget); instead every resource mapped from both synthetic years is proven here to conform to its profile.
/// </summary>
public sealed class MappedResourcesConformTests
{
    static readonly ProfileValidator Validator = new(Path.Combine(AppContext.BaseDirectory, "fhir-profiles"));

    [Theory]
    [InlineData("2018")]
    [InlineData("2019")]
    public void every_resource_mapped_from_a_synthetic_year_conforms_to_its_profile(string year)
    {
        var ret = Ssda903Reader.ReadFolder("933", int.Parse(year), Path.Combine(Ssda903.Ssda903TestFiles.Synthetic, year));
        var codes = CodeLists.Load(Path.Combine(AppContext.BaseDirectory, "fhir-profiles"));
        var quarantined = Ssda903Checker.Check(ret, codes).Where(i => i.Severity == IssueSeverity.Error && i.Child is not null).Select(i => i.Child).ToHashSet();
        var ctx = new MappingContext("933", int.Parse(year), "QSL", prefix => prefix == "TA" ? "QSL" : null, (field, code) => codes.IsValid(field, code, int.Parse(year)));
        var today = new DateOnly(2019, 6, 1);
        var failures = new List<string>();
        var checkedCount = 0;
        foreach (var child in ChildRecord.Group(ret).Where(c => !quarantined.Contains(c.ChildId)))
        {
            var mapped = ChildMapper.Map(child, "p" + child.ChildId, ctx);
            var status = CareStatus.Of(child.BirthDate, mapped.Episodes.Select(ChildMapper.FactsOf).ToList(), "QSL", today);
            IEnumerable<Resource> all = [mapped.Patient, .. mapped.Episodes, .. mapped.Observations, .. ChildMapper.Flags(child.ChildId, "p" + child.ChildId, status, ctx, today)];
            foreach (var r in all)
            {
                r.Id ??= "x" + checkedCount;
                checkedCount++;
                var errors = Validator.Validate(r).Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal).ToList();
                if (errors.Count > 0 && failures.Count < 20)
                    failures.Add($"{r.TypeName} of CHILD {child.ChildId}: {string.Join("; ", errors.Select(e => (e.Details?.Text ?? e.Diagnostics) + " @ " + string.Join(",", e.Expression)))}");
            }
        }
        Assert.True(checkedCount > 1000, $"only {checkedCount} resources were mapped");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
