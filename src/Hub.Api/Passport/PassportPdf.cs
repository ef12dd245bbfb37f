using Hub.Mappers.Passport;
using PdfSharp.Drawing;
using PdfSharp.Pdf;

namespace Hub.Api.Passport;

/// <summary>
/// The passport as an A4 PDF: the same blocks as the HTML page, laid out top to bottom, text wrapped by measured width,
/// a new page whenever the next line would not fit, and "Page n of N" at the foot of every page.
/// </summary>
public sealed class PassportPdf
{
    const double Margin = 56, FooterHeight = 28; // points: about 20 mm, and room for the page number
    static readonly XColor Accent = XColor.FromArgb(0x00, 0x30, 0x78), Ink = XColor.FromArgb(0x0b, 0x0c, 0x0c), Rule = XColor.FromArgb(0x50, 0x5a, 0x5f);

    readonly PdfDocument document = new();
    readonly XFont body, bold, small, h1, h2;
    PdfPage page = null!;
    XGraphics gfx = null!;
    double y;

    PassportPdf()
    {
        body = new XFont(PassportFonts.Family, 10.5, XFontStyleEx.Regular);
        bold = new XFont(PassportFonts.Family, 10.5, XFontStyleEx.Bold);
        small = new XFont(PassportFonts.Family, 8.5, XFontStyleEx.Regular);
        h1 = new XFont(PassportFonts.Family, 20, XFontStyleEx.Bold);
        h2 = new XFont(PassportFonts.Family, 14, XFontStyleEx.Bold);
    }

    double Width => page.Width.Point - 2 * Margin;
    double Bottom => page.Height.Point - Margin - FooterHeight;

    /// <summary>The PDF's bytes. <paramref name="created"/> is written as the document's date, so the same passport is the same file.</summary>
    public static byte[] Render(HealthPassport passport, DateTimeOffset created, string? fontFolder = null)
    {
        PassportFonts.Install(fontFolder);
        return new PassportPdf().Write(passport, created);
    }

    byte[] Write(HealthPassport passport, DateTimeOffset created)
    {
        document.Info.Title = passport.Title;
        document.Info.Author = "CareHub";
        document.Info.Creator = "CareHub";
        document.Info.CreationDate = created.UtcDateTime;
        document.Info.ModificationDate = created.UtcDateTime;
        document.Language = "en-GB";
        NewPage();
        Text(passport.Title, h1, Accent, 0, after: 6);
        Text(passport.Lead, body, Ink, 0, after: 8);
        foreach (var s in passport.Sections)
        {
            // A heading never sits alone at the foot of a page.
            if (y + 3 * h2.Height > Bottom) NewPage();
            y += 8;
            gfx.DrawLine(new XPen(Accent, 2), Margin, y, Margin + Width, y);
            y += 6;
            Text(s.Heading, h2, Accent, 0, after: 4);
            foreach (var b in s.Blocks) Block(b);
        }
        y += 10;
        foreach (var n in passport.Notes) Text(n, small, Ink, 0, after: 4);
        gfx.Dispose();
        PageNumbers();
        using var stream = new MemoryStream();
        document.Save(stream, closeStream: false);
        return stream.ToArray();
    }

    void NewPage()
    {
        gfx?.Dispose();
        page = document.AddPage();
        page.Size = PdfSharp.PageSize.A4;
        gfx = XGraphics.FromPdfPage(page);
        y = Margin;
    }

    void Block(PassportBlock block)
    {
        switch (block)
        {
            case PassportParagraph p: Text(p.Text, body, Ink, 0, after: 5); break;
            case PassportList l:
                foreach (var item in l.Items) Text(item, body, Ink, 14, after: 3, bullet: true);
                y += 3;
                break;
            case PassportFacts f:
                var termWidth = f.Facts.Max(x => gfx.MeasureString(x.Term, bold).Width) + 12;
                foreach (var fact in f.Facts)
                {
                    var lines = Wrap(fact.Value, body, Width - termWidth);
                    EnsureRoom(body.Height);
                    gfx.DrawString(fact.Term, bold, new XSolidBrush(Ink), Margin, y, XStringFormats.TopLeft);
                    foreach (var line in lines)
                    {
                        EnsureRoom(body.Height);
                        gfx.DrawString(line, body, new XSolidBrush(Ink), Margin + termWidth, y, XStringFormats.TopLeft);
                        y += body.Height * 1.2;
                    }
                }
                y += 5;
                break;
            case PassportTable t: Table(t); break;
            default: throw new ArgumentOutOfRangeException(nameof(block), block.GetType().Name, "No PDF for this kind of passport block");
        }
    }

    /// <summary>Wrapped text from the left margin plus an indent; a bullet hangs in the indent.</summary>
    void Text(string text, XFont font, XColor colour, double indent, double after, bool bullet = false)
    {
        var brush = new XSolidBrush(colour);
        var first = true;
        foreach (var line in Wrap(text, font, Width - indent))
        {
            EnsureRoom(font.Height);
            if (bullet && first) gfx.DrawString("•", font, brush, Margin + indent - 10, y, XStringFormats.TopLeft);
            gfx.DrawString(line, font, brush, Margin + indent, y, XStringFormats.TopLeft);
            y += font.Height * 1.2;
            first = false;
        }
        y += after;
    }

    void Table(PassportTable t)
    {
        EnsureRoom(3 * body.Height);
        Text(t.Caption, bold, Ink, 0, after: 3);
        // Columns share the width by the longest text each holds, within limits, so dates stay narrow and names wide.
        var want = t.Columns.Select((c, i) => Math.Max(gfx.MeasureString(c, bold).Width,
            t.Rows.Select(r => i < r.Count ? gfx.MeasureString(r[i], body).Width : 0).DefaultIfEmpty(0).Max())).ToList();
        var widths = Share(want.Select(w => w + 8).ToList(), Width);
        void Row(IReadOnlyList<string> cells, XFont font, bool header)
        {
            var wrapped = cells.Select((c, i) => Wrap(c, font, widths[i] - 6)).ToList();
            var height = wrapped.Max(l => l.Count) * font.Height * 1.2 + 4;
            if (y + height > Bottom) { NewPage(); if (!header) Row(t.Columns, bold, header: true); }
            if (header) gfx.DrawRectangle(new XSolidBrush(XColor.FromArgb(0xf3, 0xf2, 0xf1)), Margin, y, Width, height);
            var x = Margin;
            for (var i = 0; i < wrapped.Count; i++)
            {
                var ly = y + 2;
                foreach (var line in wrapped[i]) { gfx.DrawString(line, font, new XSolidBrush(Ink), x + 3, ly, XStringFormats.TopLeft); ly += font.Height * 1.2; }
                x += widths[i];
            }
            y += height;
            gfx.DrawLine(new XPen(Rule, 0.5), Margin, y, Margin + Width, y);
        }
        Row(t.Columns, bold, header: true);
        foreach (var row in t.Rows) Row(row, body, header: false);
        y += 8;
    }

    /// <summary>
    /// Column widths: every column that fits within an equal share of what is left gets all it wants (dates stay on one
    /// line); the wide ones split the rest equally and wrap.
    /// </summary>
    static List<double> Share(List<double> want, double total)
    {
        var widths = new double[want.Count];
        var open = Enumerable.Range(0, want.Count).ToList();
        var left = total;
        while (open.Count > 0)
        {
            var fair = left / open.Count;
            var narrow = open.Where(i => want[i] <= fair).ToList();
            if (narrow.Count == 0) { foreach (var i in open) widths[i] = fair; break; }
            foreach (var i in narrow) { widths[i] = want[i]; left -= want[i]; open.Remove(i); }
        }
        // What the narrow columns leave over goes to the last column, so the table spans the page.
        widths[^1] += total - widths.Sum();
        return [.. widths];
    }

    void EnsureRoom(double height)
    {
        if (y + height > Bottom) NewPage();
    }

    /// <summary>Greedy word wrap by measured width; a word longer than the line is broken by characters.</summary>
    List<string> Wrap(string text, XFont font, double width)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = line.Length == 0 ? word : line + " " + word;
            if (gfx.MeasureString(candidate, font).Width <= width) { line = candidate; continue; }
            if (line.Length > 0) lines.Add(line);
            line = word;
            while (gfx.MeasureString(line, font).Width > width && line.Length > 1)
            {
                var cut = line.Length - 1;
                while (cut > 1 && gfx.MeasureString(line[..cut], font).Width > width) cut--;
                lines.Add(line[..cut]);
                line = line[cut..];
            }
        }
        if (line.Length > 0 || lines.Count == 0) lines.Add(line);
        return lines;
    }

    /// <summary>Drawn last, when the number of pages is known.</summary>
    void PageNumbers()
    {
        var count = document.PageCount;
        for (var i = 0; i < count; i++)
        {
            var p = document.Pages[i];
            using var g = XGraphics.FromPdfPage(p, XGraphicsPdfPageOptions.Append);
            g.DrawString($"Page {i + 1} of {count}", small, new XSolidBrush(Ink),
                new XRect(Margin, p.Height.Point - Margin, p.Width.Point - 2 * Margin, FooterHeight), XStringFormats.BottomCenter);
        }
    }
}
