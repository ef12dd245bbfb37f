using System.IO.Compression;

namespace Hub.Mappers.Ssda903.Reading;

/// <summary>
/// A return sent as a zip. Nothing is expanded until every entry has been checked: a path that leaves the
/// archive's folder, too many entries, or an entry (or the archive) that would expand beyond the limits or by a
/// bomb's ratio rejects the import. While reading, each entry is held to its declared size and the archive to
/// its total, so a lying header cannot expand further than the check allowed.
/// </summary>
static class ZipInput
{
    public const string BombMessage = "zip bomb";

    public static ZipArchive? Open(Stream zip, string name, Ssda903ReaderOptions options, out IReadOnlyList<ImportIssue> issues)
    {
        issues = [];
        try
        {
            var seekable = zip.CanSeek ? zip : Spool(zip, options.MaxFileBytes);
            return new ZipArchive(seekable, ZipArchiveMode.Read, leaveOpen: seekable == zip);
        }
        catch (Exception e) when (e is InvalidDataException or InputLimitException or IOException)
        {
            issues = [new ImportIssue(IssueSeverity.Error, name, null, null, null, e is InputLimitException ? e.Message : $"not a zip archive that can be read: {e.Message}")];
            return null;
        }
    }

    public static (List<InputFile> Files, List<ImportIssue> Issues) Entries(ZipArchive archive, string name, Ssda903ReaderOptions options)
    {
        var files = new List<InputFile>();
        var issues = new List<ImportIssue>();
        var entries = archive.Entries;
        if (entries.Count > options.MaxZipEntries)
        {
            issues.Add(Error(name, $"{BombMessage}: {entries.Count:N0} entries, over the limit of {options.MaxZipEntries:N0}"));
            return (files, issues);
        }
        long total = 0;
        foreach (var entry in entries)
        {
            var path = entry.FullName.Replace('\\', '/');
            if (EscapesFolder(path))
            {
                issues.Add(Error(entry.FullName, "the zip entry's path leads outside the archive's folder (.. or an absolute path); rejected"));
                continue;
            }
            if (path.EndsWith('/')) continue;
            total += entry.Length;
            if (entry.Length > options.MaxFileBytes)
                issues.Add(Error(entry.FullName, $"{BombMessage}: the entry expands to {Ssda903Reader.Size(entry.Length)}, over the limit of {Ssda903Reader.Size(options.MaxFileBytes)} for one file"));
            else if (entry.Length > options.CompressionRatioFloorBytes && entry.Length > options.MaxCompressionRatio * Math.Max(1, entry.CompressedLength))
                issues.Add(Error(entry.FullName, $"{BombMessage}: the entry expands {entry.Length / (double)Math.Max(1, entry.CompressedLength):N0} times, to {Ssda903Reader.Size(entry.Length)}"));
            else if (path.Split('/') is var parts && (parts[0] == "__MACOSX" || parts.Any(p => p.StartsWith('.'))))
                continue;
            else if (!Ssda903Reader.IsReturnFile(entry.Name))
                issues.Add(new ImportIssue(IssueSeverity.Warning, entry.FullName, null, null, null, "not a .csv or .xml file; skipped"));
            else files.Add(new InputFile(entry.FullName, Opener(entry, options), entry.Length));
        }
        if (total > options.MaxZipUncompressedBytes)
            issues.Add(Error(name, $"{BombMessage}: the entries expand to {Ssda903Reader.Size(total)}, over the limit of {Ssda903Reader.Size(options.MaxZipUncompressedBytes)}"));
        return (files, issues);
    }

    static Func<Stream> Opener(ZipArchiveEntry entry, Ssda903ReaderOptions options) =>
        () => new InputStream(entry.Open(), entry.Length, $"{BombMessage}: the entry expands beyond the {Ssda903Reader.Size(entry.Length)} its header declares");

    /// <summary>True for "..", rooted and drive-letter paths: never followed, even though nothing is written to disk.</summary>
    internal static bool EscapesFolder(string path) =>
        path.StartsWith('/') || (path.Length >= 2 && path[1] == ':') || path.Split('/').Any(p => p == "..");

    /// <summary>ZipArchive needs to seek; a forward-only upload goes to a temporary file that deletes itself.</summary>
    static FileStream Spool(Stream zip, long limit)
    {
        var temp = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        var buffer = new byte[1 << 16];
        int n;
        while ((n = zip.Read(buffer)) > 0)
        {
            if (temp.Length + n > limit)
            {
                temp.Dispose();
                throw new InputLimitException($"the zip is over the limit of {Ssda903Reader.Size(limit)}");
            }
            temp.Write(buffer, 0, n);
        }
        temp.Position = 0;
        return temp;
    }

    static ImportIssue Error(string file, string message) => new(IssueSeverity.Error, file, null, null, null, message);
}
