using System.Text;

namespace UncertaintyService.Data;

/// <summary>One raw e-mail of the corpus.</summary>
/// <param name="Group">easy-ham-1, easy-ham-2, hard-ham-1, spam-1 or spam-2.</param>
/// <param name="FileName">e.g. <c>00001.7c53336b37003a9286aba55d2945844c.txt</c>: number and MD5 of the message.</param>
/// <param name="RawText">Headers and body exactly as received.</param>
public sealed record SpamAssassinEmail(string Group, string FileName, string RawText)
{
    public bool IsSpam => Group.StartsWith("spam", StringComparison.Ordinal);

    /// <summary>Unique within the corpus and stable: the key splits are hashed on.</summary>
    public string Id => $"{Group}/{FileName}";
}

/// <summary>
/// The unpacked corpus: <c>package/data/&lt;group&gt;/NNNNN.&lt;md5&gt;.txt</c> for the five groups
/// (2,500 + 1,400 easy ham, 250 hard ham, 500 + 1,396 spam: 6,046 e-mails).
/// </summary>
public sealed record SpamAssassinCorpus(string DataFolder)
{
    public static readonly IReadOnlyList<string> Groups = ["easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"];

    // Strict UTF-8 so that the ~500 e-mails in legacy 8-bit charsets fall back to Latin-1 instead of
    // turning into replacement characters.
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static SpamAssassinCorpus In(string unpackedFolder) => new(Path.Combine(unpackedFolder, "package", "data"));

    /// <summary>Every e-mail of <paramref name="group"/>, ordered by file name (ordinal), so runs agree on any file system.</summary>
    public IReadOnlyList<SpamAssassinEmail> Read(string group)
    {
        if (!Groups.Contains(group)) throw new ArgumentException($"'{group}' is not one of {string.Join(", ", Groups)}", nameof(group));
        var folder = Path.Combine(DataFolder, group);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"SpamAssassin group folder not found: {folder}");
        return Directory.GetFiles(folder, "*.txt")
            .Order(StringComparer.Ordinal)
            .Select(path => new SpamAssassinEmail(group, Path.GetFileName(path), Decode(File.ReadAllBytes(path))))
            .ToList();
    }

    internal static string Decode(byte[] bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.Latin1.GetString(bytes);
        }
    }
}
