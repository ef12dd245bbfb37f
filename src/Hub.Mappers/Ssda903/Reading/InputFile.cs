namespace Hub.Mappers.Ssda903.Reading;

/// <summary>
/// One file of a return: a CSV table or the EXPSSDA903 XML. <paramref name="Open"/> is called once per read;
/// <paramref name="Length"/> is its size in bytes as declared by the source (negative when unknown).
/// </summary>
public sealed record InputFile(string Name, Func<Stream> Open, long Length)
{
    /// <summary>A file on disk, named by its file name.</summary>
    public static InputFile FromPath(string path, string? name = null) =>
        new(name ?? Path.GetFileName(path), () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan), new FileInfo(path).Length);

    /// <summary>Bytes held in memory (tests, small uploads).</summary>
    public static InputFile FromBytes(string name, byte[] bytes) => new(name, () => new MemoryStream(bytes, writable: false), bytes.LongLength);
}
