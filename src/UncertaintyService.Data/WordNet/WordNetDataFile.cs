using System.Globalization;

namespace UncertaintyService.Data;

/// <summary>
/// Parses WordNet's <c>data.noun</c>, <c>data.verb</c> (and <c>data.adj</c>, <c>data.adv</c>) files. A
/// line is <c>offset lex_filenum ss_type w_cnt [word lex_id]... p_cnt [ptr offset pos src/tgt]... [frames] | gloss</c>;
/// the license header's lines start with two spaces and are skipped.
/// </summary>
public static class WordNetDataFile
{
    private const string GlossSeparator = " | ";

    public static IReadOnlyList<WordNetSynset> Read(string path, IReadOnlyList<string> lexFileNames)
    {
        try
        {
            return Parse(File.ReadLines(path), lexFileNames).ToList();
        }
        catch (FormatException e)
        {
            throw new FormatException($"{path}: {e.Message}", e);
        }
    }

    public static IEnumerable<WordNetSynset> Parse(IEnumerable<string> lines, IReadOnlyList<string> lexFileNames)
    {
        var lineNumber = 0;
        foreach (var line in lines)
        {
            lineNumber++;
            if (line.StartsWith("  ", StringComparison.Ordinal) || line.Length == 0) continue;
            WordNetSynset synset;
            try
            {
                synset = ParseLine(line, lexFileNames);
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                throw new FormatException($"line {lineNumber} is not a WordNet synset line ({e.Message})", e);
            }
            yield return synset;
        }
    }

    /// <summary>One synset line; frames (verbs only) are read past, not kept.</summary>
    public static WordNetSynset ParseLine(string line, IReadOnlyList<string> lexFileNames)
    {
        var separator = line.IndexOf(GlossSeparator, StringComparison.Ordinal);
        var head = separator < 0 ? line : line[..separator];
        var gloss = separator < 0 ? "" : line[(separator + GlossSeparator.Length)..].Trim();
        var fields = head.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        var offset = fields[0];
        if (offset.Length != 8 || !offset.All(char.IsAsciiDigit)) throw new FormatException($"offset '{offset}' is not eight digits");
        var lexFileNumber = Number(fields[1], NumberStyles.None, "lex_filenum");
        if (lexFileNumber >= lexFileNames.Count)
            throw new FormatException($"lex_filenum {lexFileNumber} is past the {lexFileNames.Count} lexicographer files");
        var synsetType = Single(fields[2], "ss_type");

        var wordCount = Number(fields[3], NumberStyles.AllowHexSpecifier, "w_cnt");
        var words = new List<string>(wordCount);
        var next = 4;
        for (var i = 0; i < wordCount; i++, next += 2) words.Add(fields[next]);

        var pointerCount = Number(fields[next++], NumberStyles.None, "p_cnt");
        var pointers = new List<WordNetPointer>(pointerCount);
        for (var i = 0; i < pointerCount; i++, next += 4)
            pointers.Add(new WordNetPointer(fields[next], fields[next + 1], Single(fields[next + 2], "pos"), fields[next + 3]));

        return new WordNetSynset(offset, lexFileNumber, lexFileNames[lexFileNumber], synsetType, words, pointers, gloss);
    }

    private static int Number(string text, NumberStyles style, string field) =>
        int.TryParse(text, style, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"{field} '{text}' is not a number");

    private static char Single(string text, string field) =>
        text.Length == 1 ? text[0] : throw new FormatException($"{field} '{text}' is not one letter");
}
