using Hub.Api.Passport;
using Hub.Mappers.Passport;

namespace Hub.Tests.Passport;

/// <summary>The PDF writer: A4, DejaVu Sans embedded, text wrapped across pages, "Page n of N" on each; read back with poppler.</summary>
public sealed class PassportPdfTests
{
    static byte[] Pdf(PassportRequest request) => PassportPdf.Render(PassportBuilder.Build(request), PassportInputs.Now);

    [Fact]
    public void the_pdf_opens_as_a4_with_the_passports_text_and_numbered_pages()
    {
        var pdf = Pdf(PassportInputs.Request());
        Assert.Equal("%PDF-"u8.ToArray(), pdf[..5]);
        var read = PdfText.Read(pdf);
        Assert.InRange(read.Pages, 2, 6);
        for (var i = 1; i <= read.Pages; i++) Assert.Contains($"Page {i} of {read.Pages}", read.Text);
        Assert.Contains("Your health passport", read.Flat);
        Assert.Contains("NHS number 999 000 1006", read.Flat);
        Assert.Contains("You are registered with Demo Taunton Medical Practice (L85001).", read.Flat);
        Assert.Contains("Your last dental check was on 12 February 2025", read.Flat);
        Assert.Contains("Who has looked at your record", read.Flat);
        Assert.Contains("Asthma <mild> & well controlled", read.Flat);
        // The font is embedded (a TrueType font file in the PDF), so the reader needs nothing installed.
        var raw = System.Text.Encoding.Latin1.GetString(pdf);
        Assert.Contains("/FontFile2", raw);
        Assert.Contains("DejaVu", raw);
    }

    [Fact]
    public void long_lists_and_tables_flow_onto_further_pages_and_every_line_is_kept()
    {
        var looks = Enumerable.Range(0, 200).Select(i => new RecordAccess(PassportInputs.Now.AddDays(-i), i % 2 == 0 ? "QSL" : "933", i % 2 == 0 ? "icb" : "la", "direct-care")).ToList();
        var request = PassportInputs.Request(looks: looks);
        var passport = PassportBuilder.Build(request);
        // A paragraph far longer than a line, ending in a word that shows it was not cut off.
        var longText = string.Join(" ", Enumerable.Repeat("Your plan says what helps you stay well.", 40)) + " Endword.";
        passport = passport with { Sections = [.. passport.Sections, new PassportSection("extra", "A long part", [new PassportParagraph(longText)])] };
        var bytes = PassportPdf.Render(passport, PassportInputs.Now);
        var read = PdfText.Read(bytes);
        Assert.True(read.Pages >= 3, $"{read.Pages} pages");
        Assert.Contains($"Page {read.Pages} of {read.Pages}", read.Text);
        Assert.Contains("Endword.", read.Flat);
        Assert.Equal(40, System.Text.RegularExpressions.Regex.Matches(read.Flat, "stay well\\.").Count);
        // Twenty looks shown, each on its own row.
        Assert.Equal(PassportBuilder.AccessesShown, System.Text.RegularExpressions.Regex.Matches(read.Text, "To care for your health").Count);
    }

    [Fact]
    public void missing_fonts_fail_with_a_message_that_says_what_to_install()
    {
        var folder = Directory.CreateTempSubdirectory("no-fonts-").FullName;
        var e = Assert.Throws<FontsMissingException>(() => PassportPdf.Render(PassportBuilder.Build(PassportInputs.Request()), PassportInputs.Now, folder));
        Assert.Contains("fonts-dejavu-core", e.Message);
        Assert.Contains(folder, e.Message);
    }
}
