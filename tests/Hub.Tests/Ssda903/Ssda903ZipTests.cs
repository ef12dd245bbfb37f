using System.IO.Compression;
using System.Text;
using Hub.Mappers.Ssda903;
using Hub.Mappers.Ssda903.Reading;
using static Hub.Tests.Ssda903.Ssda903TestFiles;

namespace Hub.Tests.Ssda903;

public sealed class Ssda903ZipTests
{
    const string Header = HeaderColumns + "\n1001,1,01/05/2005,WBRI,A123456789012,,\n";

    static MemoryStream Zip(params (string Name, byte[] Content)[] entries)
    {
        var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, content) in entries)
            {
                using var entry = zip.CreateEntry(name, CompressionLevel.SmallestSize).Open();
                entry.Write(content);
            }
        stream.Position = 0;
        return stream;
    }

    static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void a_zip_is_read_with_its_subfolders_and_mac_clutter_skipped()
    {
        using var zip = Zip(("2019/header.csv", Text(Header)), ("2019/episodes.csv", Text(EpisodeColumns + "\n1001,01/04/2018,S,C2,N1,U4,PR1,,,,,,\n")),
            ("__MACOSX/2019/._header.csv", [0, 5, 22, 7]), ("2019/.DS_Store", [0, 0, 0, 1]));
        var ret = Ssda903Reader.ReadZip("933", 2019, zip);
        Assert.Empty(ret.Issues);
        Assert.Equal("2019/episodes.csv", Assert.Single(ret.Of(Ssda903Tables.Episodes)).File);
    }

    [Fact]
    public void a_forward_only_zip_stream_is_spooled_and_read()
    {
        using var zip = Zip(("header.csv", Text(Header)));
        var ret = Ssda903Reader.ReadZip("933", 2019, new ForwardOnly(zip));
        Assert.Single(ret.Of(Ssda903Tables.Header));
    }

    [Theory]
    [InlineData("../header.csv")]
    [InlineData("return/../../header.csv")]
    [InlineData("/etc/header.csv")]
    [InlineData("C:/temp/header.csv")]
    [InlineData("..\\..\\header.csv")]
    public void a_zip_entry_leading_outside_the_folder_is_a_file_level_error(string path)
    {
        using var zip = Zip(("header.csv", Text(Header)), (path, Text(Header)));
        var ret = Ssda903Reader.ReadZip("933", 2019, zip);
        var issue = Assert.Single(ret.Issues, i => i.FileLevel);
        Assert.Equal(path, issue.File);
        Assert.Contains("outside the archive's folder", issue.Message);
        Assert.Single(ret.Of(Ssda903Tables.Header));
    }

    [Fact]
    public void a_zip_bomb_is_rejected_before_anything_is_expanded()
    {
        // 12 MiB of one repeated line compresses over 1000:1.
        var line = Text("1001,1,01/05/2005,WBRI,A123456789012,,\n");
        var bomb = new byte[12 * 1024 * 1024];
        for (var i = 0; i < bomb.Length; i++) bomb[i] = line[i % line.Length];
        using var zip = Zip(("header.csv", Text(Header)), ("reviews.csv", bomb));
        Assert.True(zip.Length < 200_000);
        var ret = Ssda903Reader.ReadZip("933", 2019, zip);
        var issue = Assert.Single(ret.Issues);
        Assert.True(issue.FileLevel);
        Assert.Equal("reviews.csv", issue.File);
        Assert.StartsWith("zip bomb: the entry expands", issue.Message);
        Assert.Empty(ret.Rows);
    }

    [Fact]
    public void a_zip_expanding_beyond_the_total_limit_is_rejected()
    {
        using var zip = Zip(("header.csv", Text(Header)), ("episodes.csv", Text(EpisodeColumns + "\n")));
        var ret = Ssda903Reader.ReadZip("933", 2019, zip, new Ssda903ReaderOptions { MaxZipUncompressedBytes = 100 }, "upload.zip");
        var issue = Assert.Single(ret.Issues);
        Assert.Equal(("upload.zip", true), (issue.File, issue.FileLevel));
        Assert.StartsWith("zip bomb: the entries expand", issue.Message);
    }

    [Fact]
    public void a_zip_entry_over_the_file_limit_is_rejected()
    {
        using var zip = Zip(("header.csv", Text(Header + new string(' ', 2000))));
        var ret = Ssda903Reader.ReadZip("933", 2019, zip, new Ssda903ReaderOptions { MaxFileBytes = 1000 });
        Assert.Contains("over the limit", Assert.Single(ret.Issues, i => i.FileLevel).Message);
    }

    [Fact]
    public void something_that_is_not_a_zip_is_a_file_level_error()
    {
        var ret = Ssda903Reader.ReadZip("933", 2019, new MemoryStream(Text(Header)), name: "upload.zip");
        Assert.Equal("upload.zip", Assert.Single(ret.Issues, i => i.FileLevel).File);
    }

    /// <summary>A request body: no seeking, no length.</summary>
    sealed class ForwardOnly(Stream inner) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
