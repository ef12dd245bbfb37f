namespace Hub.Mappers.Passport;

/// <summary>
/// The young person's health passport (issue 6 part 3, contract §8) as plain text blocks, before any format: the HTML page
/// and the PDF are both drawn from this, so they cannot say different things.
/// </summary>
/// <param name="Title">The document's heading.</param>
/// <param name="Lead">One paragraph under the heading: what this is.</param>
/// <param name="Sections">In reading order.</param>
/// <param name="Notes">Small print at the end: when it was made, where the tables come from.</param>
public sealed record HealthPassport(string Title, string Lead, IReadOnlyList<PassportSection> Sections, IReadOnlyList<string> Notes);

/// <summary>One part of the passport. A withheld part keeps its heading and says only that it is not shown.</summary>
public sealed record PassportSection(string Id, string Heading, IReadOnlyList<PassportBlock> Blocks, bool Withheld = false);

/// <summary>What a section is made of: the few shapes both renderers know how to draw.</summary>
public abstract record PassportBlock;

public sealed record PassportParagraph(string Text) : PassportBlock;

public sealed record PassportList(IReadOnlyList<string> Items) : PassportBlock;

/// <summary>Label and value pairs ("Date of birth", "4 May 2010").</summary>
public sealed record PassportFacts(IReadOnlyList<PassportFact> Facts) : PassportBlock;

public sealed record PassportFact(string Term, string Value);

/// <summary>A table with a caption (read out by screen readers) and column headings.</summary>
public sealed record PassportTable(string Caption, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows) : PassportBlock;
