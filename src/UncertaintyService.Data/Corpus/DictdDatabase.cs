using System.IO.Compression;
using System.Text;

namespace UncertaintyService.Data;

/// <summary>One article of a dictd database: the first headword its index gives it, and its text.</summary>
public sealed record DictdArticle(string Headword, string Text);

/// <summary>
/// A dictd database (<c>name.index</c> beside <c>name.dict.dz</c>): the index's lines are
/// <c>headword TAB offset TAB length</c> with offset and length in dictd's base-64 digits, pointing into the
/// uncompressed <c>.dict</c> text (dictzip is gzip with an extra header field, so gzip reads it whole).
/// </summary>
public static class DictdDatabase
{
    private const string Digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// <summary>
    /// Every article once (several headwords can point at one article), in file order; the database's own
    /// <c>00-database-*</c> entries are not articles and are left out.
    /// </summary>
    public static IReadOnlyList<DictdArticle> Read(string indexPath, string dictDzPath)
    {
        byte[] text;
        using (var gzip = new GZipStream(File.OpenRead(dictDzPath), CompressionMode.Decompress))
        using (var buffer = new MemoryStream())
        {
            gzip.CopyTo(buffer);
            text = buffer.ToArray();
        }
        var articles = new SortedDictionary<long, DictdArticle>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(indexPath, Encoding.UTF8))
        {
            lineNumber++;
            var fields = line.Split('\t');
            if (fields.Length != 3)
                throw new FormatException($"{indexPath}:{lineNumber}: expected 'headword<TAB>offset<TAB>length', got '{line}'");
            if (fields[0].StartsWith("00-database", StringComparison.Ordinal) || fields[0].StartsWith("00database", StringComparison.Ordinal))
                continue;
            long offset = Number(fields[1], indexPath, lineNumber), length = Number(fields[2], indexPath, lineNumber);
            if (offset + length > text.Length)
                throw new FormatException($"{indexPath}:{lineNumber}: '{fields[0]}' points past the end of {dictDzPath} ({offset} + {length} > {text.Length})");
            if (!articles.ContainsKey(offset))
                articles[offset] = new DictdArticle(fields[0], Encoding.UTF8.GetString(text, (int)offset, (int)length));
        }
        return [.. articles.Values];
    }

    /// <summary>A dictd base-64 number: most significant digit first.</summary>
    public static long Number(string digits, string path = "", int lineNumber = 0)
    {
        long value = 0;
        foreach (char c in digits)
        {
            int d = Digits.IndexOf(c);
            if (d < 0 || value > long.MaxValue >> 6)
                throw new FormatException($"{path}:{lineNumber}: '{digits}' is not a dictd base-64 number");
            value = value << 6 | (uint)d;
        }
        return value;
    }
}
