namespace Hub.Mappers.Ssda903.Reading;

/// <summary>Safety limits of the reader. A file or archive beyond them is a file-level error, never read whole.</summary>
public sealed record Ssda903ReaderOptions
{
    public const long GiB = 1L << 30, MiB = 1L << 20;

    /// <summary>The largest single file (or zip entry, uncompressed) the reader accepts.</summary>
    public long MaxFileBytes { get; init; } = 2 * GiB;

    /// <summary>The most a zip may expand to, all entries together.</summary>
    public long MaxZipUncompressedBytes { get; init; } = 2 * GiB;

    /// <summary>An entry that expands more than this many times its compressed size is a zip bomb…</summary>
    public double MaxCompressionRatio { get; init; } = 100;

    /// <summary>…once it expands beyond this size (small files of repeated text compress well and are harmless).</summary>
    public long CompressionRatioFloorBytes { get; init; } = 10 * MiB;

    /// <summary>The most entries a zip may hold.</summary>
    public int MaxZipEntries { get; init; } = 1000;

    /// <summary>The longest CSV record (one line, or several when quoted) in characters.</summary>
    public int MaxRecordChars { get; init; } = 1 << 20;

    public static Ssda903ReaderOptions Default { get; } = new();
}
