using PdfSharp.Fonts;

namespace Hub.Api.Passport;

/// <summary>
/// DejaVu Sans for the passport PDF, from Debian's fonts-dejavu-core. PDFsharp's Core build has no font of its own on Linux
/// and asks this resolver for every face; the font is embedded in each PDF, so readers need nothing installed.
/// </summary>
public sealed class PassportFonts : IFontResolver
{
    public const string Family = "DejaVu Sans";
    public const string DefaultFolder = "/usr/share/fonts/truetype/dejavu";
    const string Regular = "DejaVuSans.ttf", Bold = "DejaVuSans-Bold.ttf";

    readonly string folder;
    readonly Dictionary<string, byte[]> faces = new(StringComparer.Ordinal);

    PassportFonts(string folder) => this.folder = folder;

    static readonly Lock Gate = new();
    static PassportFonts? installed;

    /// <summary>
    /// The resolver, installed once per process (PDFsharp holds one, globally, and refuses a second after first use). Fails
    /// with a message that says what to install when the font files are not there.
    /// </summary>
    public static PassportFonts Install(string? configuredFolder)
    {
        var folder = string.IsNullOrWhiteSpace(configuredFolder) ? DefaultFolder : configuredFolder;
        // Checked on every call, installed or not: a host whose fonts went missing says so instead of reusing stale ones.
        var missing = new[] { Regular, Bold }.Where(f => !File.Exists(Path.Combine(folder, f))).ToList();
        if (missing.Count > 0)
            throw new FontsMissingException($"The passport PDF needs DejaVu Sans ({string.Join(", ", missing)}) in {folder}: " +
                "install the Debian package fonts-dejavu-core, or set Hub:Passport:FontFolder to a folder that has them");
        lock (Gate)
        {
            if (installed is not null) return installed;
            var fonts = new PassportFonts(folder);
            foreach (var f in new[] { Regular, Bold }) fonts.faces[f] = File.ReadAllBytes(Path.Combine(folder, f));
            GlobalFontSettings.FontResolver = fonts;
            return installed = fonts;
        }
    }

    // Italic is never used; bold is the only style the passport asks for.
    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) =>
        string.Equals(familyName, Family, StringComparison.OrdinalIgnoreCase) ? new FontResolverInfo(bold ? Bold : Regular) : null;

    public byte[]? GetFont(string faceName) => faces.TryGetValue(faceName, out var bytes) ? bytes : null;

    public override string ToString() => $"DejaVu Sans from {folder}";
}

/// <summary>The PDF fonts are not installed: a fault of the host, said plainly.</summary>
public sealed class FontsMissingException(string message) : Exception(message);
