using UncertaintyService.Data.Tests.Support;

namespace UncertaintyService.Data.Tests.Fetching;

/// <summary>The download-verify-unpack flow, with stand-in tools so no network or package tool is needed.</summary>
public sealed class PinnedArchiveTests : IDisposable
{
    private readonly TempFolder folder = new();
    private int downloads;
    private int unpacks;

    public void Dispose() => folder.Dispose();

    private const string Content = "abc";
    private const string ContentSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    private DataCache Cache => new(folder.File("cache"));

    private PinnedArchive Pin(string sha256 = ContentSha256, string downloaded = Content) => new(
        ArchiveFileName: "thing-1.0.tgz",
        Sha256: sha256,
        UnpackedName: "thing_1.0",
        Download: dir =>
        {
            downloads++;
            File.WriteAllText(Path.Combine(dir, "whatever-the-tool-calls-it.tgz"), downloaded);
        },
        Unpack: (archive, dir) =>
        {
            unpacks++;
            File.WriteAllText(Path.Combine(dir, "content.txt"), File.ReadAllText(archive));
        });

    [Fact]
    public void FirstFetchDownloadsVerifiesAndUnpacksLaterFetchesReuseTheCache()
    {
        var pin = Pin();
        Assert.Null(pin.FindUnpacked(Cache));

        var unpacked = pin.Fetch(Cache);
        var again = pin.Fetch(Cache);

        Assert.Equal(Path.Combine(Cache.Root, "thing_1.0"), unpacked);
        Assert.Equal(unpacked, again);
        Assert.Equal(unpacked, pin.FindUnpacked(Cache));
        Assert.Equal(Content, File.ReadAllText(Path.Combine(unpacked, "content.txt")));
        Assert.True(File.Exists(Path.Combine(Cache.DownloadsFolder, "thing-1.0.tgz")));
        Assert.Equal((1, 1), (downloads, unpacks));
        Assert.Empty(Directory.GetDirectories(Cache.DownloadsFolder)); // no staging folder left behind
    }

    [Fact]
    public void ChangedDownloadIsRejectedAndNeverUnpacked()
    {
        var pin = Pin(downloaded: "tampered");

        var ex = Assert.Throws<ChecksumMismatchException>(() => pin.Fetch(Cache));

        Assert.Equal(Path.Combine(Cache.DownloadsFolder, "thing-1.0.tgz"), ex.FilePath);
        Assert.Equal(ContentSha256, ex.ExpectedSha256);
        Assert.Equal(0, unpacks);
        Assert.Null(pin.FindUnpacked(Cache));
    }

    [Fact]
    public void CorruptedCachedArchiveIsCaughtOnTheNextFetch()
    {
        var pin = Pin();
        pin.Fetch(Cache);
        File.WriteAllText(Path.Combine(Cache.DownloadsFolder, "thing-1.0.tgz"), "bit rot");

        Assert.Throws<ChecksumMismatchException>(() => pin.Fetch(Cache));
        Assert.Equal(1, downloads);
    }

    [Fact]
    public void HalfFinishedUnpackIsRedone()
    {
        var pin = Pin();
        pin.Fetch(Cache);
        File.Delete(Path.Combine(Cache.UnpackedFolder("thing_1.0"), ".unpacked-sha256"));

        Assert.Null(pin.FindUnpacked(Cache));
        pin.Fetch(Cache);

        Assert.Equal((1, 2), (downloads, unpacks));
        Assert.NotNull(pin.FindUnpacked(Cache));
    }

    [Fact]
    public void FailedDownloadLeavesNoArchive()
    {
        var pin = Pin() with { Download = _ => throw new ExternalCommandException("npm pack x", 1, "npm error 404") };

        var ex = Assert.Throws<ExternalCommandException>(() => pin.Fetch(Cache));

        Assert.Contains("npm pack x", ex.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Cache.DownloadsFolder));
    }

    [Fact]
    public void DefaultCacheIsUnderTheUsersCacheFolderAndOutsideTheRepository()
    {
        // Only checked when the override is unset: tests must not change process-wide environment.
        if (Environment.GetEnvironmentVariable(DataCache.RootVariable) is not null) return;

        var root = DataCache.Default().Root;

        Assert.EndsWith(Path.Combine("uncertainty-service", "data"), root);
        Assert.Equal(Path.Combine(root, "downloads"), DataCache.Default().DownloadsFolder);
    }
}
