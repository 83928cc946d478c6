using System.CommandLine;
using Spectre.Console;
using UncertaintyService.Data;

namespace UncertaintyService.Cli.Commands;

/// <summary>
/// <c>data</c>: fetches WordNet 3.0, the SpamAssassin corpus, the VADER lexicon, GCIDE and the Jargon File
/// (pinned, sha256-checked, cached outside the repository) and writes the wordnet-mcq and spam task folders,
/// VADER preference pairs and the pre-training corpus.
/// </summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the task folders and the corpus.", Required = true };
        var cache = new Option<DirectoryInfo?>("--cache") { Description = $"Download cache (default ${DataCache.RootVariable} or ~/.cache/uncertainty-service/data)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the deterministic splits.", DefaultValueFactory = _ => 1234 };
        var command = new Command("data", "Fetch the real data sets and write the task files (wordnet-mcq, spam), VADER preference pairs and the pre-training corpus.")
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

            var sources = PretrainingCorpus.Sources(wordnetFiles, wordnet, GcideSource.Fetch(dataCache, m => AnsiConsole.WriteLine(m)),
                JargonSource.Fetch(dataCache, m => AnsiConsole.WriteLine(m)), spam);
            var corpusPath = Path.Combine(folder, PretrainingCorpus.FileName);
            var counts = PretrainingCorpus.Write(corpusPath, sources, PretrainingCorpus.HeldOutSenses(wordnet));
            var corpusTable = new Table().AddColumns("corpus source", "documents", "held out", "characters");
            foreach (var count in counts) corpusTable.AddRow(count.Source, count.Documents.ToString(), count.HeldOut.ToString(), count.Characters.ToString());
            AnsiConsole.Write(corpusTable);
            AnsiConsole.MarkupLine($"[bold]corpus[/]: {counts.Sum(count => count.Documents)} documents in {corpusPath} sha256 {Sha256File.Of(corpusPath)}");
            return 0;
        });
        return command;
    }
}
