using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Hub.Tests.Passport;

/// <summary>What poppler (pdfinfo, pdftotext) reads back from a PDF: proof that it opens, and its pages and text.</summary>
sealed record PdfText(int Pages, string Text)
{
    public static PdfText Read(byte[] pdf)
    {
        var file = Path.Combine(Path.GetTempPath(), $"passport-{Guid.NewGuid():N}.pdf");
        File.WriteAllBytes(file, pdf);
        try
        {
            var info = Run("pdfinfo", file);
            var pages = int.Parse(Regex.Match(info, @"^Pages:\s+(\d+)", RegexOptions.Multiline).Groups[1].Value);
            return new PdfText(pages, Run("pdftotext", "-layout", file, "-"));
        }
        finally { File.Delete(file); }
    }

    /// <summary>The text with each run of spaces and line breaks as one space, so a sentence wrapped over lines still matches.</summary>
    public string Flat => Regex.Replace(Text, @"\s+", " ");

    static string Run(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start (poppler-utils is needed)");
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} failed ({p.ExitCode}): {error}");
        return output.Result;
    }
}
