using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Hub.Mappers.Ssda903.Reading;

/// <summary>Where each column of a table sits in a row's value array; one per table, shared by all its rows.</summary>
sealed class ColumnMap
{
    readonly Dictionary<string, int> positions;

    public ColumnMap(TableSpec table)
    {
        Table = table;
        Names = [.. table.ColumnNames];
        positions = new Dictionary<string, int>(Names.Count, StringComparer.Ordinal);
        for (var i = 0; i < Names.Count; i++) positions[Names[i]] = i;
        Child = IndexOf("CHILD");
    }

    public TableSpec Table { get; }
    public IReadOnlyList<string> Names { get; }
    public int Child { get; }
    public int IndexOf(string column) => positions.TryGetValue(column, out var i) ? i : -1;
}

/// <summary>
/// A row's values as SourceRow wants them (column → normalised value, every column of the table present, blank =
/// null) at the cost of one array per row rather than a dictionary.
/// </summary>
sealed class RowValues(ColumnMap map, string?[] values) : IReadOnlyDictionary<string, string?>
{
    public string? this[string key] => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException(key);
    public IEnumerable<string> Keys => map.Names;
    public IEnumerable<string?> Values => values;
    public int Count => values.Length;
    public bool ContainsKey(string key) => map.IndexOf(key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string? value)
    {
        var i = map.IndexOf(key);
        value = i >= 0 ? values[i] : null;
        return i >= 0;
    }

    public IEnumerator<KeyValuePair<string, string?>> GetEnumerator()
    {
        for (var i = 0; i < values.Length; i++) yield return new(map.Names[i], values[i]);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
