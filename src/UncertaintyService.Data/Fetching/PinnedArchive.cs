namespace UncertaintyService.Data;

/// <summary>
/// One exactly pinned package: the archive a package tool downloads, its SHA-256, and how to unpack it.
/// </summary>
/// <param name="ArchiveFileName">The name the archive is kept under in <see cref="DataCache.DownloadsFolder"/>.</param>
/// <param name="UnpackedName">The cache folder it is unpacked into; carries the version so two pins never share one.</param>
/// <param name="Download">Runs the package tool in the given empty folder, leaving exactly one archive there.</param>
/// <param name="Unpack">Unpacks the archive (first argument) into the given empty folder.</param>
public sealed record PinnedArchive(
    string ArchiveFileName,
    string Sha256,
    string UnpackedName,
    Action<string> Download,
    Action<string, string> Unpack)
{
    // Written last into the unpacked folder: a folder without it is a half-finished unpack, redone.
    private const string CompleteMarker = ".unpacked-sha256";

    /// <summary>The unpacked folder when it is already complete in <paramref name="cache"/>; null otherwise. Never touches the network.</summary>
    public string? FindUnpacked(DataCache cache)
    {
        var folder = cache.UnpackedFolder(UnpackedName);
        var marker = Path.Combine(folder, CompleteMarker);
        return File.Exists(marker) && File.ReadAllText(marker).Trim() == Sha256 ? folder : null;
    }

    /// <summary>
    /// Downloads the archive unless the cache has it, verifies its SHA-256 (every time: it is cheap and
    /// catches a corrupted cache), unpacks it unless already unpacked, and returns the unpacked folder.
    /// </summary>
    public string Fetch(DataCache cache, Action<string>? log = null)
    {
        Directory.CreateDirectory(cache.DownloadsFolder);
        var archive = Path.Combine(cache.DownloadsFolder, ArchiveFileName);
        if (!File.Exists(archive))
        {
            log?.Invoke($"Downloading {ArchiveFileName}");
            DownloadInto(cache, archive);
        }
        Sha256File.Verify(archive, Sha256);

        if (FindUnpacked(cache) is { } done) return done;

        var folder = cache.UnpackedFolder(UnpackedName);
        var staging = folder + ".partial-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(staging);
        try
        {
            log?.Invoke($"Unpacking {ArchiveFileName} into {folder}");
            Unpack(archive, staging);
            File.WriteAllText(Path.Combine(staging, CompleteMarker), Sha256 + "\n");
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            Directory.Move(staging, folder);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        return folder;
    }

    // The tool downloads into a fresh folder so a failed or partial download never sits where a
    // later run would take it for the real archive.
    private void DownloadInto(DataCache cache, string archive)
    {
        var staging = Path.Combine(cache.DownloadsFolder, ".download-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        try
        {
            Download(staging);
            var files = Directory.GetFiles(staging);
            if (files.Length != 1)
                throw new DataFetchException(
                    $"Expected the download of {ArchiveFileName} to leave one file in {staging}; found {files.Length}.");
            File.Move(files[0], archive, overwrite: true);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }
}
