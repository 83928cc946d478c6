using System.Text;
using System.Text.RegularExpressions;

namespace UncertaintyService.Data;

/// <summary>Where pre-training text came from and what was kept of it.</summary>
public sealed record CorpusSourceCount(string Source, int Documents, int HeldOut, long Characters);

/// <summary>
/// The base model's pre-training text: one document per line from WordNet's glosses, GCIDE's articles, the
/// Jargon File's entries and the spam task's training e-mails (their text only, never a label). Nothing the
/// evaluation splits are scored on gets in: WordNet glosses of wordnet-mcq's validation, test and ood senses
/// are left out by their definition, and every document of every source that shares a run of words with one
/// of those senses is left out by <see cref="HeldOutText"/>.
/// </summary>
/// <remarks>
/// The spam splits are disjoint by text by construction (<see cref="SpamTask"/>), and only the train split's
/// e-mails are read, so the spam task needs no run filter; mailing-list footers shared between a training and
/// a test e-mail are the list's text, not the test's.
/// </remarks>
public static partial class PretrainingCorpus
{
    public const string FileName = "pretraining-corpus.txt";

    public sealed record Source(string Name, IEnumerable<string> Documents);

    /// <summary>The four sources the data command fetches, in the order they are written.</summary>
    public static IReadOnlyList<Source> Sources(WordNetFiles wordnet, BuiltTask wordnetMcq, IReadOnlyList<DictdArticle> gcide,
        IReadOnlyList<string> jargon, BuiltTask spam) =>
    [
        new("wordnet-glosses", WordNetGlosses(wordnet, wordnetMcq)),
        new("gcide", gcide.Select(GcideSource.Document)),
        new("jargon-file", jargon),
        new("spam-train-emails", TrainingEmails(spam)),
    ];

    /// <summary>The held-out senses of wordnet-mcq (every split but train): what no document may quote.</summary>
    public static HeldOutText HeldOutSenses(BuiltTask wordnetMcq) => new(HeldOutDefinitions(wordnetMcq));

    /// <summary>Writes the kept documents, one per line (newlines inside a document become spaces), and counts them per source.</summary>
    public static IReadOnlyList<CorpusSourceCount> Write(string path, IEnumerable<Source> sources, HeldOutText heldOut)
    {
        var counts = new List<CorpusSourceCount>();
        var partial = path + ".partial";
        using (var writer = new StreamWriter(partial, append: false, new UTF8Encoding(false)))
        {
            foreach (var source in sources)
            {
                int kept = 0, dropped = 0;
                long characters = 0;
                foreach (var raw in source.Documents)
                {
                    var document = raw.Replace('\r', ' ').Replace('\n', ' ').Trim();
                    if (document.Length == 0) continue;
                    if (heldOut.Overlaps(document))
                    {
                        dropped++;
                        continue;
                    }
                    writer.Write(document);
                    writer.Write('\n');
                    kept++;
                    characters += document.Length;
                }
                counts.Add(new CorpusSourceCount(source.Name, kept, dropped, characters));
            }
        }
        // Written whole, then renamed: a corpus file is never half a corpus.
        File.Move(partial, path, overwrite: true);
        return counts;
    }

    // Every noun and verb gloss except the senses wordnet-mcq's validation, test and ood questions show.
    private static IEnumerable<string> WordNetGlosses(WordNetFiles files, BuiltTask wordnetMcq)
    {
        var heldOut = HeldOutDefinitions(wordnetMcq).ToHashSet(StringComparer.Ordinal);
        var names = files.LexicographerFileNames();
        return WordNetDataFile.Read(files.DataNoun, names).Concat(WordNetDataFile.Read(files.DataVerb, names))
            .Where(s => !heldOut.Contains(s.Definition.Trim()) && !s.Examples.Any(x => heldOut.Any(h => h.Contains(x, StringComparison.Ordinal))))
            .Select(s => s.Gloss);
    }

    private static IEnumerable<string> HeldOutDefinitions(BuiltTask wordnetMcq) =>
        wordnetMcq.Examples.Where(e => e.Split != TaskSplits.Train)
            .Select(e => SenseLine().Match(e.Prompt)).Where(m => m.Success).Select(m => m.Groups[1].Value.Trim());

    // The e-mail text of each training prompt: what the template put between "E-mail:\n" and the question.
    internal static IEnumerable<string> TrainingEmails(BuiltTask spam)
    {
        var template = spam.Definition.PromptTemplate;
        int slot = template.IndexOf("{email}", StringComparison.Ordinal);
        string before = template[..slot], after = template[(slot + "{email}".Length)..];
        return spam.Examples.Where(e => e.Split == TaskSplits.Train)
            .Select(e => e.Prompt[before.Length..^after.Length]);
    }

    [GeneratedRegex(@"Sense: (.*)\n")]
    private static partial Regex SenseLine();
}
