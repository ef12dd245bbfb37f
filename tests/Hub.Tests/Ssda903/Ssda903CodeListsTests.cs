using Hub.Mappers.Ssda903;
using static Hub.Tests.Ssda903.Ssda903TestFiles;

namespace Hub.Tests.Ssda903;

public sealed class Ssda903CodeListsTests
{
    public static TheoryData<string> Sources() => ["fixture", "profiles"];

    static CodeLists Codes(string source) => source == "fixture" ? FixtureCodes : ProfileCodes;

    [Theory]
    [MemberData(nameof(Sources))]
    public void every_field_the_checker_uses_is_loaded(string source)
    {
        string[] fields =
        [
            Ssda903Field.LegalStatus, Ssda903Field.PlacementType, Ssda903Field.PlacementProvider, Ssda903Field.ReasonNewEpisode,
            Ssda903Field.ReasonEpisodeCeased, Ssda903Field.CategoryOfNeed, Ssda903Field.ReasonPlaceChange, Ssda903Field.Ethnicity,
            Ssda903Field.Sex, Ssda903Field.SdqReason, Ssda903Field.InTouch, Ssda903Field.Activity, Ssda903Field.Accommodation,
            Ssda903Field.ReviewCode, Ssda903Field.MissingType, Ssda903Field.PreviousPermanence, Ssda903Field.ReasonPlacedCeased,
            Ssda903Field.AdopterSex, Ssda903Field.AdopterLegalStatus, Ssda903Field.SwReason, Ssda903Field.UpnUnknown,
        ];
        Assert.DoesNotContain(fields, f => !Codes(source).Has(f));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void codes_are_valid_by_collection_year(string source)
    {
        var codes = Codes(source);
        Assert.False(codes.IsValid(Ssda903Field.PlacementType, "K3", 2024));
        Assert.True(codes.IsValid(Ssda903Field.PlacementType, "K3", 2025));
        Assert.True(codes.IsValid(Ssda903Field.PlacementType, "Z1", 2025));
        Assert.False(codes.IsValid(Ssda903Field.PlacementType, "Z1", 2026));
        Assert.False(codes.IsValid(Ssda903Field.PlacementType, "Z11", 2025));
        Assert.True(codes.IsValid(Ssda903Field.PlacementType, "Z11", 2026));
        Assert.True(codes.IsValid(Ssda903Field.Sex, "1", 2024));
        Assert.False(codes.IsValid(Ssda903Field.Sex, "1", 2025));
        Assert.False(codes.IsValid(Ssda903Field.Sex, "M", 2024));
        Assert.True(codes.IsValid(Ssda903Field.Sex, "M", 2025));
        Assert.True(codes.IsValid(Ssda903Field.LegalStatus, "c2", 2019));
        Assert.False(codes.IsValid(Ssda903Field.LegalStatus, "C9", 2019));
        Assert.False(codes.IsValid(Ssda903Field.LegalStatus, null, 2019));
        Assert.True(codes.IsKnown(Ssda903Field.PlacementType, "K3"));
        Assert.False(codes.IsKnown(Ssda903Field.PlacementType, "K9"));
    }

    [Fact]
    public void display_comes_from_the_code_system()
    {
        Assert.Equal("Male", FixtureCodes.Display(Ssda903Field.Sex, "1"));
        Assert.NotNull(ProfileCodes.Display(Ssda903Field.PlacementType, "K3"));
        Assert.Null(ProfileCodes.Display(Ssda903Field.PlacementType, "K9"));
    }

    [Fact]
    public void an_unknown_field_is_a_programming_error()
    {
        Assert.False(FixtureCodes.Has("favourite-colour"));
        Assert.Throws<InvalidOperationException>(() => FixtureCodes.IsValid("favourite-colour", "BLUE", 2019));
    }
}
