namespace Hub.Mappers.Ssda903.Reading;

/// <summary>
/// RFC 4180 records from a text stream, one at a time, without a string per field: fields are spans over a reused
/// buffer. Accepts CRLF, LF or CR line ends, quoted fields (with "" for a quote and line breaks inside), and a
/// leading byte order mark.
/// </summary>
sealed class CsvRecordReader(TextReader reader, int maxRecordChars)
{
    readonly char[] buffer = new char[1 << 16];
    int bufferPos, bufferLength;
    char[] record = new char[512];
    int recordLength;
    int[] fieldStarts = new int[32], fieldEnds = new int[32];
    bool started;

    public int FieldCount { get; private set; }
    public bool SawByteOrderMark { get; private set; }
    public bool SawCrLf { get; private set; }
    public bool SawUnclosedQuote { get; private set; }

    /// <summary>0 for the first record (the column names), then 1, 2 … whether blank or not.</summary>
    public int RecordIndex { get; private set; } = -1;

    public ReadOnlySpan<char> this[int field] => record.AsSpan(fieldStarts[field], fieldEnds[field] - fieldStarts[field]);

    /// <summary>True when the record is one empty field (a blank line).</summary>
    public bool IsBlank => FieldCount == 1 && fieldEnds[0] == fieldStarts[0];

    public bool Read()
    {
        FieldCount = 0;
        recordLength = 0;
        var c = Next();
        if (!started)
        {
            started = true;
            if (c == '\uFEFF') { SawByteOrderMark = true; c = Next(); }
        }
        if (c < 0) return false;
        RecordIndex++;
        while (true)
        {
            var start = recordLength;
            if (c == '"')
            {
                while (true)
                {
                    c = Next();
                    if (c < 0) { SawUnclosedQuote = true; break; }
                    if (c == '"')
                    {
                        c = Next();
                        if (c != '"') break;
                    }
                    Append((char)c);
                }
            }
            if (c >= 0 && c != ',' && c != '\n' && c != '\r')
            {
                Append((char)c);
                c = ScanToDelimiter();
            }
            EndField(start);
            if (c == ',') { c = Next(); continue; }
            if (c == '\r' && Peek() == '\n') { Next(); SawCrLf = true; }
            return true;
        }
    }

    void EndField(int start)
    {
        if (FieldCount == fieldStarts.Length)
        {
            Array.Resize(ref fieldStarts, FieldCount * 2);
            Array.Resize(ref fieldEnds, FieldCount * 2);
        }
        fieldStarts[FieldCount] = start;
        fieldEnds[FieldCount] = recordLength;
        FieldCount++;
    }

    /// <summary>Appends the rest of an unquoted field a buffer at a time; returns the delimiter that ends it, or -1.</summary>
    int ScanToDelimiter()
    {
        while (bufferPos < bufferLength || Fill())
        {
            var rest = buffer.AsSpan(bufferPos, bufferLength - bufferPos);
            var end = rest.IndexOfAny(',', '\n', '\r');
            Append(end < 0 ? rest : rest[..end]);
            if (end < 0) { bufferPos = bufferLength; continue; }
            bufferPos += end + 1;
            return rest[end];
        }
        return -1;
    }

    void Append(ReadOnlySpan<char> chars)
    {
        while (recordLength + chars.Length > record.Length)
        {
            if (record.Length >= maxRecordChars)
                throw new InputLimitException($"a record longer than {maxRecordChars:N0} characters (is this a CSV file?)");
            Array.Resize(ref record, Math.Min(record.Length * 2, maxRecordChars));
        }
        chars.CopyTo(record.AsSpan(recordLength));
        recordLength += chars.Length;
    }

    void Append(char c)
    {
        if (recordLength == record.Length)
        {
            if (record.Length >= maxRecordChars)
                throw new InputLimitException($"a record longer than {maxRecordChars:N0} characters (is this a CSV file?)");
            Array.Resize(ref record, Math.Min(record.Length * 2, maxRecordChars));
        }
        record[recordLength++] = c;
    }

    int Next()
    {
        if (bufferPos == bufferLength && !Fill()) return -1;
        return buffer[bufferPos++];
    }

    int Peek()
    {
        if (bufferPos == bufferLength && !Fill()) return -1;
        return buffer[bufferPos];
    }

    bool Fill()
    {
        bufferLength = reader.Read(buffer, 0, buffer.Length);
        bufferPos = 0;
        return bufferLength > 0;
    }
}
