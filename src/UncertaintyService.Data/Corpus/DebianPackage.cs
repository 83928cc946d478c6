namespace UncertaintyService.Data;

/// <summary>A Debian package pinned to one version and .deb hash, downloaded with apt-get and unpacked with dpkg-deb.</summary>
public static class DebianPackage
{
    public static PinnedArchive Pinned(string name, string version, string debSha256) => new(
        // apt-get names the file with the epoch's colon escaped and no architecture choice for _all packages.
        ArchiveFileName: $"{name}_{version.Replace(":", "%3a")}_all.deb",
        Sha256: debSha256,
        // The unpacked folder carries the upstream version (no epoch), so two pins never share one.
        UnpackedName: $"{name}_{version[(version.IndexOf(':') + 1)..]}",
        Download: folder => Download(folder, name, version),
        Unpack: (deb, folder) => ExternalCommand.Run("dpkg-deb", ["-x", deb, folder], folder));

    // apt-get knows no package before the first `apt-get update` on a fresh machine, so a failed
    // download is retried once after one.
    private static void Download(string folder, string name, string version)
    {
        string[] download = ["download", $"{name}={version}"];
        try
        {
            ExternalCommand.Run("apt-get", download, folder);
        }
        catch (ExternalCommandException e) when (e.ExitCode is not null)
        {
            ExternalCommand.Run("apt-get", ["update"], folder);
            ExternalCommand.Run("apt-get", download, folder);
        }
    }
}
