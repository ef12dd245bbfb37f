using System.Text;

namespace Hub.Mappers.Passport;

/// <summary>
/// The passport as one self-contained HTML page: semantic (a heading per part, tables with captions and header cells),
/// English (UK) for screen readers, high-contrast, and printable; no scripts, fonts or images from anywhere else.
/// </summary>
public static class PassportHtml
{
    /// <summary>Black on white text, a dark blue accent (contrast well above WCAG AA), A4 when printed.</summary>
    const string Style = """
        :root { color: #0b0c0c; background: #ffffff; font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; line-height: 1.5; }
        body { margin: 0 auto; max-width: 46rem; padding: 1.5rem; font-size: 1.1rem; }
        h1 { font-size: 2rem; margin: 0 0 0.5rem; color: #003078; }
        h2 { font-size: 1.4rem; margin: 2rem 0 0.5rem; padding-top: 0.5rem; border-top: 4px solid #003078; color: #003078; }
        p, li { max-width: 40rem; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
        dt { font-weight: bold; }
        dd { margin: 0; }
        table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; }
        caption { text-align: left; font-weight: bold; padding-bottom: 0.25rem; }
        th, td { text-align: left; vertical-align: top; padding: 0.4rem 0.5rem; border-bottom: 1px solid #505a5f; }
        th { background: #f3f2f1; }
        .withheld { font-style: italic; }
        footer { margin-top: 2rem; font-size: 0.9rem; color: #0b0c0c; border-top: 1px solid #505a5f; }
        @media print {
          @page { size: A4; margin: 18mm; }
          body { max-width: none; padding: 0; font-size: 11pt; }
          h2 { break-after: avoid; }
          tr, li { break-inside: avoid; }
        }
        """;

    public static string Render(HealthPassport passport)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Escape(passport.Title)).Append("</title>\n<style>\n").Append(Style).Append("\n</style>\n</head>\n<body>\n")
            .Append("<header>\n<h1>").Append(Escape(passport.Title)).Append("</h1>\n<p>").Append(Escape(passport.Lead)).Append("</p>\n</header>\n<main>\n");
        foreach (var s in passport.Sections)
        {
            html.Append("<section aria-labelledby=\"").Append(s.Id).Append("\">\n<h2 id=\"").Append(s.Id).Append("\">").Append(Escape(s.Heading)).Append("</h2>\n");
            foreach (var b in s.Blocks) Block(html, b, s.Withheld);
            html.Append("</section>\n");
        }
        html.Append("</main>\n<footer>\n");
        foreach (var n in passport.Notes) html.Append("<p>").Append(Escape(n)).Append("</p>\n");
        return html.Append("</footer>\n</body>\n</html>\n").ToString();
    }

    static void Block(StringBuilder html, PassportBlock block, bool withheld)
    {
        switch (block)
        {
            case PassportParagraph p:
                html.Append(withheld ? "<p class=\"withheld\">" : "<p>").Append(Escape(p.Text)).Append("</p>\n");
                break;
            case PassportList l:
                html.Append("<ul>\n");
                foreach (var i in l.Items) html.Append("<li>").Append(Escape(i)).Append("</li>\n");
                html.Append("</ul>\n");
                break;
            case PassportFacts f:
                html.Append("<dl>\n");
                foreach (var fact in f.Facts) html.Append("<dt>").Append(Escape(fact.Term)).Append("</dt><dd>").Append(Escape(fact.Value)).Append("</dd>\n");
                html.Append("</dl>\n");
                break;
            case PassportTable t:
                html.Append("<table>\n<caption>").Append(Escape(t.Caption)).Append("</caption>\n<thead><tr>");
                foreach (var c in t.Columns) html.Append("<th scope=\"col\">").Append(Escape(c)).Append("</th>");
                html.Append("</tr></thead>\n<tbody>\n");
                foreach (var row in t.Rows)
                {
                    html.Append("<tr>");
                    foreach (var cell in row) html.Append("<td>").Append(Escape(cell)).Append("</td>");
                    html.Append("</tr>\n");
                }
                html.Append("</tbody>\n</table>\n");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(block), block.GetType().Name, "No HTML for this kind of passport block");
        }
    }

    /// <summary>Text for element content and attribute values.</summary>
    public static string Escape(string text) => text
        .Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);
}
