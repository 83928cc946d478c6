using System.CommandLine;
using System.Text.RegularExpressions;
using Spectre.Console;
using UncertaintyService.Data;

namespace UncertaintyService.Cli.Commands;

/// <summary>
/// <c>data</c>: fetches WordNet 3.0, the SpamAssassin corpus and the VADER lexicon (pinned, sha256-checked,
/// cached outside the repository) and writes the wordnet-mcq and spam task folders, VADER preference
/// pairs and a gloss corpus for pre-training.
/// </summary>
internal static partial class DataCommand
{
    public const string CorpusFile = "wordnet-glosses.txt";

    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the task folders and the corpus.", Required = true };
        var cache = new Option<DirectoryInfo?>("--cache") { Description = $"Download cache (default ${DataCache.RootVariable} or ~/.cache/uncertainty-service/data)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the deterministic splits.", DefaultValueFactory = _ => 1234 };
        var command = new Command("data", "Fetch the real data sets and write the task files (wordnet-mcq, spam), VADER preference pairs and the gloss corpus.")
        {
            output, cache, seed,
        };
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(output)!.FullName;
            var dataCache = parse.GetValue(cache) is { } c ? new DataCache(c.FullName) : DataCache.Default();
            var wordnetFiles = WordNetSource.Fetch(dataCache, m => AnsiConsole.WriteLine(m));
            var wordnet = WordNetMcqTask.Build(wordnetFiles, parse.GetValue(seed));
            var spam = SpamTask.Build(SpamAssassinSource.Fetch(dataCache, m => AnsiConsole.WriteLine(m)), parse.GetValue(seed));

            var table = new Table().AddColumns("task", "split", "label", "examples");
            foreach (var task in new[] { wordnet, spam })
            {
                var written = task.Write(Path.Combine(folder, task.Name));
                AnsiConsole.MarkupLine($"[bold]{task.Name}[/]: {written.ExamplesPath} sha256 {written.ExamplesSha256}");
                foreach (var (split, label, n) in task.Counts()) table.AddRow(task.Name, split, label, n.ToString());
            }
            AnsiConsole.Write(table);

            // Preference pairs with human vote fractions, for reward models.
            var preferences = PreferenceWriter.Write(Path.Combine(folder, VaderPreferenceTask.Name),
                VaderPreferenceTask.Build(VaderLexicon.Read(VaderSource.Fetch(dataCache, m => AnsiConsole.WriteLine(m))), parse.GetValue(seed)));
            AnsiConsole.MarkupLine($"[bold]{VaderPreferenceTask.Name}[/]: {preferences.Path} sha256 {preferences.Sha256}");

            int lines = WriteCorpus(Path.Combine(folder, CorpusFile), wordnetFiles, wordnet);
            AnsiConsole.MarkupLine($"[bold]corpus[/]: {lines} glosses in {Path.Combine(folder, CorpusFile)}");
            return 0;
        });
        return command;
    }

    // Every noun and verb gloss except the definitions that appear in wordnet-mcq's validation, test and
    // ood questions, so pre-training never reads the text those splits are scored on.
    private static int WriteCorpus(string path, WordNetFiles files, BuiltTask wordnet)
    {
        var heldOut = wordnet.Examples.Where(e => e.Split != TaskSplits.Train)
            .Select(e => SenseLine().Match(e.Prompt)).Where(m => m.Success).Select(m => m.Groups[1].Value.Trim()).ToHashSet();
        var names = files.LexicographerFileNames();
        var glosses = WordNetDataFile.Read(files.DataNoun, names).Concat(WordNetDataFile.Read(files.DataVerb, names))
            .Where(s => !heldOut.Contains(s.Definition.Trim()) && !s.Examples.Any(x => heldOut.Any(h => h.Contains(x, StringComparison.Ordinal))))
            .Select(s => s.Gloss.Replace('\n', ' ').Trim())
            .Where(g => g.Length > 0)
            .ToList();
        File.WriteAllLines(path, glosses);
        return glosses.Count;
    }

    [GeneratedRegex(@"Sense: (.*)\n")]
    private static partial Regex SenseLine();
}
