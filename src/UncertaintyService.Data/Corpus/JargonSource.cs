using System.IO.Compression;
using System.Text.RegularExpressions;

namespace UncertaintyService.Data;

/// <summary>
/// The Jargon File 4.4.7 (hacker slang, much of it about mail, Usenet and programs: the register of the
/// SpamAssassin ham) from Debian's <c>jargon-text</c> package, pinned to one version and .deb hash.
/// </summary>
public static partial class JargonSource
{
    public const string PackageName = "jargon-text";

    /// <summary>From <c>apt-cache policy jargon-text</c> on Debian bookworm.</summary>
    public const string DebianVersion = "4.4.7-4.1";

    /// <summary>SHA-256 of <c>jargon-text_4.4.7-4.1_all.deb</c>, equal to the one in Debian's Packages index.</summary>
    public const string DebSha256 = "17d05997e30eb3d5d6713929b8e2f81b63a5f50073858ad2a06701c71f54dcdb";

    public static readonly PinnedArchive Archive = DebianPackage.Pinned(PackageName, DebianVersion, DebSha256);

    /// <summary>Downloads (once), verifies and unpacks the package; returns its entries as documents.</summary>
    public static IReadOnlyList<string> Fetch(DataCache cache, Action<string>? log = null) =>
        Documents(Path.Combine(Archive.Fetch(cache, log), "usr", "share", "doc", "jargon-text", "jargon.txt.gz"));

    /// <summary>
    /// Each glossary entry (from its <c>:headword:</c> line to the next) as one line of prose, cross-reference
    /// braces removed; the front matter before the first entry is not an entry and is left out.
    /// </summary>
    public static IReadOnlyList<string> Documents(string jargonTxtGz)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(jargonTxtGz), CompressionMode.Decompress));
        var documents = new List<string>();
        List<string>? entry = null;
        while (reader.ReadLine() is { } line)
        {
            var header = EntryHeader().Match(line);
            if (header.Success)
            {
                Flush();
                entry = [header.Groups[1].Value + ":" + header.Groups[2].Value];
            }
            else entry?.Add(line.Trim());
        }
        Flush();
        return documents;

        void Flush()
        {
            if (entry is null) return;
            var text = Spaces().Replace(string.Join(' ', entry).Replace("{", "").Replace("}", ""), " ").Trim();
            if (text.Length > 0) documents.Add(text);
        }
    }

    // "   :Godwin's Law: prov." -> headword, then its part of speech and pronunciation if any.
    [GeneratedRegex(@"^   :([^:]+):(.*)$")]
    private static partial Regex EntryHeader();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
