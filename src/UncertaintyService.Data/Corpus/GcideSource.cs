using System.Text.RegularExpressions;

namespace UncertaintyService.Data;

/// <summary>
/// The GNU Collaborative International Dictionary of English (Webster's 1913 with later additions) from
/// Debian's <c>dict-gcide</c> package, pinned to one version and .deb hash, as plain text for pre-training.
/// </summary>
public static partial class GcideSource
{
    public const string PackageName = "dict-gcide";

    /// <summary>From <c>apt-cache policy dict-gcide</c> on Debian bookworm.</summary>
    public const string DebianVersion = "0.48.5+nmu2";

    /// <summary>SHA-256 of <c>dict-gcide_0.48.5+nmu2_all.deb</c>, equal to the one in Debian's Packages index.</summary>
    public const string DebSha256 = "7b0af5cfde3cbdef5e9d6e78f92ec335ced7c2790f37a40f49bebc6f7347ac0f";

    public static readonly PinnedArchive Archive = DebianPackage.Pinned(PackageName, DebianVersion, DebSha256);

    /// <summary>Downloads (once), verifies and unpacks the package; returns its articles.</summary>
    public static IReadOnlyList<DictdArticle> Fetch(DataCache cache, Action<string>? log = null) => Articles(Archive.Fetch(cache, log));

    public static IReadOnlyList<DictdArticle> Articles(string unpackedFolder)
    {
        var dictd = Path.Combine(unpackedFolder, "usr", "share", "dictd");
        return DictdDatabase.Read(Path.Combine(dictd, "gcide.index"), Path.Combine(dictd, "gcide.dict.dz"));
    }

    /// <summary>
    /// An article as one line of prose: pronunciations (<c>\Ab*do"men\</c>) and cross-reference braces removed,
    /// source tags (<c>[1913 Webster]</c>) dropped, and every paragraph that came from WordNet left out, because
    /// WordNet's glosses are what the wordnet-mcq task is scored on. Empty when nothing is left.
    /// </summary>
    public static string Document(DictdArticle article)
    {
        var kept = new List<string>();
        foreach (var paragraph in article.Text.Split(["\n\n", "\n \n"], StringSplitOptions.None))
        {
            var lines = paragraph.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            // A WordNet tag can sit anywhere in a paragraph and have other text after it on its line.
            if (lines.Any(l => l.Contains("[WordNet", StringComparison.Ordinal))) continue;
            var text = SourceTag().Replace(string.Join(' ', lines), " ");
            text = Pronunciation().Replace(text, "").Replace("{", "").Replace("}", "");
            text = Spaces().Replace(text, " ").Trim();
            if (text.Length > 0) kept.Add(text);
        }
        return string.Join(' ', kept);
    }

    // "[1913 Webster]", "[WordNet 1.5 +PJC]", "[Webster 1913 Suppl.]", "[PJC]": where a paragraph came from.
    [GeneratedRegex(@"\[[^\]]*(Webster|PJC)[^\]]*\]")]
    private static partial Regex SourceTag();

    [GeneratedRegex(@"\\[^\\\n]*\\")]
    private static partial Regex Pronunciation();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
