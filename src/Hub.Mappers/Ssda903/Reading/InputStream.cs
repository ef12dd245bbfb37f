namespace Hub.Mappers.Ssda903.Reading;

/// <summary>A limit the input broke (size, zip expansion, record length): the file is rejected, never read further.</summary>
sealed class InputLimitException(string message) : Exception(message);

/// <summary>
/// A forward-only view of an input file that counts what it hands out against a byte limit, and lets the reader
/// look at the first bytes (BOM, XML or CSV, zip signature) before deciding how to read the rest.
/// </summary>
sealed class InputStream(Stream inner, long limit, string limitMessage) : Stream
{
    byte[] prefix = [];
    int prefixStart, prefixEnd;
    long handedOut;

    /// <summary>Up to <paramref name="count"/> first bytes, without consuming them.</summary>
    public ReadOnlySpan<byte> Peek(int count)
    {
        if (prefixEnd - prefixStart < count)
        {
            var grown = new byte[count];
            var have = prefixEnd - prefixStart;
            prefix.AsSpan(prefixStart, have).CopyTo(grown);
            while (have < count)
            {
                var n = inner.Read(grown, have, count - have);
                if (n == 0) break;
                have += n;
            }
            (prefix, prefixStart, prefixEnd) = (grown, 0, have);
        }
        return prefix.AsSpan(prefixStart, Math.Min(count, prefixEnd - prefixStart));
    }

    /// <summary>Drops bytes already peeked at (a byte order mark).</summary>
    public void Skip(int count) => prefixStart += Math.Min(count, prefixEnd - prefixStart);

    public override int Read(Span<byte> buffer)
    {
        int n;
        if (prefixStart < prefixEnd)
        {
            n = Math.Min(buffer.Length, prefixEnd - prefixStart);
            prefix.AsSpan(prefixStart, n).CopyTo(buffer);
            prefixStart += n;
        }
        else n = inner.Read(buffer);
        handedOut += n;
        if (handedOut > limit) throw new InputLimitException(limitMessage);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => handedOut; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
