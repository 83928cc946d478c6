namespace UncertaintyService.Data;

/// <summary>
/// WordNet 3.0 from Debian's <c>wordnet-base</c> package, pinned to one exact version and .deb hash.
/// When Debian drops this version from its archive the fetch fails loudly; update the pin and hash together.
/// </summary>
public static class WordNetSource
{
    public const string PackageName = "wordnet-base";

    /// <summary>From <c>apt-cache policy wordnet-base</c> on Debian bookworm.</summary>
    public const string DebianVersion = "1:3.0-37";

    /// <summary>SHA-256 of <c>wordnet-base_1%3a3.0-37_all.deb</c>, equal to the one in Debian's Packages index.</summary>
    public const string DebSha256 = "61060d960f9ada8fa120872312eccd3ecebfbab8c4579e4f5a74e1cf67620752";

    public static readonly PinnedArchive Archive = DebianPackage.Pinned(PackageName, DebianVersion, DebSha256);

    /// <summary>Downloads (once), verifies and unpacks the package; returns its database files.</summary>
    public static WordNetFiles Fetch(DataCache cache, Action<string>? log = null) =>
        WordNetFiles.In(Archive.Fetch(cache, log));

    /// <summary>The database files if the cache already holds them unpacked; null otherwise (no network).</summary>
    public static WordNetFiles? FindCached(DataCache cache) =>
        Archive.FindUnpacked(cache) is { } folder ? WordNetFiles.In(folder) : null;
}

/// <summary>The WordNet database files of an unpacked <c>wordnet-base</c> package.</summary>
public sealed record WordNetFiles(string DataNoun, string DataVerb, string? Lexnames)
{
    public static WordNetFiles In(string unpackedFolder)
    {
        var dict = Path.Combine(unpackedFolder, "usr", "share", "wordnet");
        var lexnames = Path.Combine(dict, "lexnames");
        return new WordNetFiles(
            Path.Combine(dict, "data.noun"),
            Path.Combine(dict, "data.verb"),
            File.Exists(lexnames) ? lexnames : null);
    }

    /// <summary>The 45 lexicographer file names: from <see cref="Lexnames"/> when the package has it (Debian's does not).</summary>
    public IReadOnlyList<string> LexicographerFileNames() =>
        Lexnames is null ? LexicographerFiles.Standard : LexicographerFiles.Parse(File.ReadLines(Lexnames));
}
