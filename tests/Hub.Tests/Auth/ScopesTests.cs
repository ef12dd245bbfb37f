using Hub.Api.Auth;

namespace Hub.Tests.Auth;

public sealed class ScopesTests
{
    static Caller With(string scope, string orgType = OrgTypes.Icb) =>
        new("QSL", orgType, null, "direct-care", orgType == OrgTypes.YoungPerson ? "9434765919" : null, Scopes.Parse(scope), null);

    [Theory]
    // SMART v2
    [InlineData("system/*.cruds", "Patient", 'c', true)]
    [InlineData("system/*.cruds", "Observation", 'd', true)]
    [InlineData("system/*.rs", "Patient", 'r', true)]
    [InlineData("system/*.rs", "Patient", 's', true)]
    [InlineData("system/*.rs", "Patient", 'c', false)]
    [InlineData("system/*.rs", "Patient", 'u', false)]
    [InlineData("system/*.rs", "Patient", 'd', false)]
    [InlineData("system/Patient.rs", "Patient", 'r', true)]
    [InlineData("system/Patient.rs", "Observation", 'r', false)]
    [InlineData("system/Patient.r", "Patient", 's', false)]
    [InlineData("system/Patient.cu", "Patient", 'u', true)]
    [InlineData("system/Observation.rs system/Patient.c", "Patient", 'c', true)]
    [InlineData("system/Observation.rs system/Patient.c", "Patient", 'r', false)]
    // SMART v1
    [InlineData("system/*.read", "Patient", 'r', true)]
    [InlineData("system/*.read", "Patient", 's', true)]
    [InlineData("system/*.read", "Patient", 'u', false)]
    [InlineData("system/*.write", "Patient", 'c', true)]
    [InlineData("system/*.write", "Patient", 'u', true)]
    [InlineData("system/*.write", "Patient", 'd', true)]
    [InlineData("system/*.write", "Patient", 'r', false)]
    [InlineData("system/*.*", "Consent", 'd', true)]
    [InlineData("system/Patient.read", "Patient", 's', true)]
    [InlineData("system/Patient.*", "Observation", 'r', false)]
    // contexts other than system, for anyone but a young person
    [InlineData("patient/*.rs", "Patient", 'r', false)]
    [InlineData("user/*.cruds", "Patient", 'r', false)]
    // not scopes the hub grants anything for
    [InlineData("", "Patient", 'r', false)]
    [InlineData("launch openid", "Patient", 'r', false)]
    [InlineData("system/*.sr", "Patient", 'r', false)]
    [InlineData("system/*.rr", "Patient", 'r', false)]
    [InlineData("system/*.x", "Patient", 'r', false)]
    [InlineData("system/patient.rs", "patient", 'r', false)]
    [InlineData("system/Observation.rs?category=laboratory", "Observation", 'r', false)]
    [InlineData("System/*.rs", "Patient", 'r', false)]
    public void allows_follows_smart_scopes(string scope, string resourceType, char interaction, bool allowed) =>
        Assert.Equal(allowed, Scopes.Allows(With(scope), resourceType, interaction));

    [Theory]
    [InlineData("patient/*.rs", "Patient", 'r', true)]
    [InlineData("patient/*.rs", "Patient", 'c', false)]
    [InlineData("patient/Consent.cr", "Consent", 'c', true)]
    [InlineData("patient/*.read", "Patient", 's', true)]
    [InlineData("system/*.cruds", "Patient", 'r', true)]
    [InlineData("user/*.rs", "Patient", 'r', false)]
    public void young_person_patient_scopes_count_like_system_scopes(string scope, string resourceType, char interaction, bool allowed) =>
        Assert.Equal(allowed, Scopes.Allows(With(scope, OrgTypes.YoungPerson), resourceType, interaction));

    [Fact]
    public void an_unknown_interaction_is_a_programming_error() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Scopes.Allows(With("system/*.cruds"), "Patient", 'x'));

    [Theory]
    [InlineData("system/*.rs", "system/*.cruds", "system/*.rs")]
    [InlineData("system/*.cruds", "system/*.rs", "system/*.rs")]
    [InlineData("system/*.cruds", "system/Patient.rs", "system/Patient.rs")]
    [InlineData("system/Patient.cruds", "system/*.rs", "system/Patient.rs")]
    [InlineData("system/Patient.rs system/Encounter.rs", "system/Patient.rs", "system/Patient.rs")]
    [InlineData("system/*.read", "system/*.cruds", "system/*.rs")]
    [InlineData("system/*.*", "system/*.write", "system/*.cud")]
    [InlineData("system/Consent.cruds", "system/*.rs system/Consent.cu", "system/Consent.crus")]
    [InlineData("system/*.cruds", "system/*.r system/Patient.s", "system/*.r system/Patient.s")]
    [InlineData("system/*.d", "system/*.rs", "")]
    [InlineData("patient/*.rs", "system/*.rs", "")]
    [InlineData("launch system/*.rs", "launch system/*.rs", "launch system/*.rs")]
    [InlineData("launch", "system/*.rs", "")]
    [InlineData("system/Observation.rs?category=vital-signs", "system/*.rs", "")]
    [InlineData("system/Observation.rs?category=vital-signs", "system/Observation.rs?category=vital-signs", "system/Observation.rs?category=vital-signs")]
    public void intersect_narrows_what_was_asked_to_what_is_registered(string asked, string registered, string granted) =>
        Assert.Equal(granted, string.Join(' ', Scopes.Intersect(Scopes.Parse(asked), Scopes.Parse(registered))));

    [Fact]
    public void parse_splits_on_spaces_and_drops_blanks_and_repeats() =>
        Assert.Equal(["system/*.rs", "launch"], Scopes.Parse("  system/*.rs   launch system/*.rs "));
}
