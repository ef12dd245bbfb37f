using System.Reflection;
using System.Text.Json;
using Hub.Consent.Relationships;
using Hub.Consent.Vocabulary;

namespace Hub.Consent.Policy;

/// <summary>
/// The hub's information-sharing policy: reference/consent.md §3.3–§3.5 as data (Policy/policy.v1.json), loaded and
/// validated once at start. A bad file fails with an <see cref="InvalidDataException"/> naming the row and field.
/// </summary>
public sealed class ConsentPolicy
{
    public const string EmbeddedName = "policy.v1.json";

    public required string Id { get; init; }
    public required string Version { get; init; }
    public required IReadOnlyDictionary<string, Purpose> PurposeCodes { get; init; }
    public required IReadOnlyDictionary<Purpose, string> PurposeV3 { get; init; }
    /// <summary>Every security label code the policy speaks of, with its system.</summary>
    public required IReadOnlyDictionary<string, string> LabelSystems { get; init; }
    public required IReadOnlyDictionary<DataClass, DataClassDefinition> DataClasses { get; init; }
    public required IReadOnlyDictionary<string, string> Masks { get; init; }
    public required IReadOnlyDictionary<string, LegalStatus> LegalStatusCodes { get; init; }
    public required IReadOnlyList<PreCheck> PreChecks { get; init; }
    public required IReadOnlyList<AuthorityRule> ConsentAuthority { get; init; }
    public required IReadOnlyList<RecordingRule> Recording { get; init; }
    public required IReadOnlyList<TableRow> Rows { get; init; }

    public PreCheck Check(string id) => PreChecks.Single(p => p.Id == id);

    public Purpose? PurposeOf(string? code) => code is not null && PurposeCodes.TryGetValue(code, out var p) ? p : null;

    public string CodeOf(Purpose p) => PurposeCodes.First(kv => kv.Value == p).Key;

    /// <summary>The SSDA903 legal status code (C2, V2 …) as consent authority sees it.</summary>
    public LegalStatus LegalStatusOf(string? ssda903Code) =>
        ssda903Code is not null && LegalStatusCodes.TryGetValue(ssda903Code.Trim().ToUpperInvariant(), out var s) ? s : LegalStatus.None;

    /// <summary>The data class a label belongs to, if any (SEX → D3, LOCIS → D4 …).</summary>
    public DataClass? ClassOfLabel(string code) =>
        DataClasses.Values.FirstOrDefault(d => d.Labels.Contains(code))?.Class;

    static ConsentPolicy? _shipped;

    /// <summary>The policy shipped inside this library.</summary>
    public static ConsentPolicy Shipped => _shipped ??= LoadEmbedded();

    public static ConsentPolicy LoadEmbedded()
    {
        var asm = typeof(ConsentPolicy).Assembly;
        var name = asm.GetManifestResourceNames().Single(n => n.EndsWith(EmbeddedName, StringComparison.Ordinal));
        using var s = asm.GetManifestResourceStream(name)!;
        using var r = new StreamReader(s);
        return Parse(r.ReadToEnd(), EmbeddedName);
    }

    public static ConsentPolicy Load(string path) => Parse(File.ReadAllText(path), Path.GetFileName(path));

    public static ConsentPolicy Parse(string json, string fileName)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new InvalidDataException($"{fileName}: not valid JSON: {e.Message}", e); }
        using (doc) return new PolicyReader(fileName).Read(doc.RootElement);
    }
}
