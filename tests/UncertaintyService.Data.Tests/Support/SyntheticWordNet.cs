using System.Globalization;

namespace UncertaintyService.Data.Tests.Support;

/// <summary>
/// Noun synset lines in the real data.noun format, generated so task tests have every category: each
/// sense's definition names its category and number, and every other sense has usage examples.
/// </summary>
internal static class SyntheticWordNet
{
    public static IReadOnlyList<WordNetSynset> Nouns(int perCategory) =>
        WordNetDataFile.Parse(Lines(perCategory), LexicographerFiles.Standard).ToList();

    public static IEnumerable<string> Lines(int perCategory)
    {
        yield return "  1 This software and database is being provided to you, the LICENSEE, by  ";
        var offset = 1000;
        foreach (var category in WordNetMcqTask.Categories)
        {
            var number = LexicographerFiles.Standard.ToList().IndexOf(category);
            for (var i = 0; i < perCategory; i++)
            {
                var examples = i % 2 == 0 ? $"; \"a {category} example {i}\"; \"another {category} usage {i}\"" : "";
                yield return Line(offset++, number, $"thing{i}", $"sense {i} filed under {category}{examples}");
            }
        }
    }

    public static string Line(int offset, int lexFileNumber, string word, string gloss, char type = 'n') =>
        string.Create(CultureInfo.InvariantCulture,
            $"{offset:00000000} {lexFileNumber:00} {type} 01 {word} 0 001 @ 00001740 {type} 0000 | {gloss}  ");
}
