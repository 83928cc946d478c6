namespace UncertaintyService.Data;

/// <summary>
/// Where fetched packages and their unpacked contents live: outside the repository, so data never
/// lands in a commit and every checkout on the machine shares one download.
/// </summary>
public sealed record DataCache(string Root)
{
    /// <summary>Overrides the default location when set (CI, a bigger disk).</summary>
    public const string RootVariable = "UNCERTAINTY_SERVICE_DATA_CACHE";

    /// <summary>
    /// <see cref="RootVariable"/> when set, else <c>$XDG_CACHE_HOME/uncertainty-service/data</c>, else
    /// <c>~/.cache/uncertainty-service/data</c>.
    /// </summary>
    public static DataCache Default()
    {
        var explicitRoot = Environment.GetEnvironmentVariable(RootVariable);
        if (!string.IsNullOrWhiteSpace(explicitRoot)) return new DataCache(Path.GetFullPath(explicitRoot));

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var cacheHome = !string.IsNullOrWhiteSpace(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return new DataCache(Path.Combine(cacheHome, "uncertainty-service", "data"));
    }

    /// <summary>Downloaded archives (.deb, .tgz), kept so a re-extraction needs no network.</summary>
    public string DownloadsFolder => Path.Combine(Root, "downloads");

    /// <summary>The folder an archive is unpacked into; <paramref name="name"/> includes the pinned version.</summary>
    public string UnpackedFolder(string name) => Path.Combine(Root, name);
}
