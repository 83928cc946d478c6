using Xunit.Abstractions;

namespace UncertaintyService.Data.Tests;

/// <summary>
/// Checks against the real data sets, but only when an earlier fetch left them in the cache: CI must not
/// depend on the network. xunit 2 has no skip-at-run-time, so without the cache these tests pass after
/// an early return, saying so on the test output.
/// </summary>
public sealed class RealDataTests(ITestOutputHelper output)
{
    private static readonly DataCache Cache = DataCache.Default();

    [Fact]
    public void CachedWordNetParsesAndBuildsTheTask()
    {
        if (WordNetSource.FindCached(Cache) is not { } files)
        {
            output.WriteLine($"WordNet is not in {Cache.Root}: nothing checked (fetch it once to run this test).");
            return;
        }
        Sha256File.Verify(Path.Combine(Cache.DownloadsFolder, WordNetSource.Archive.ArchiveFileName), WordNetSource.DebSha256);

        var nouns = WordNetDataFile.Read(files.DataNoun, files.LexicographerFileNames());
        var verbs = WordNetDataFile.Read(files.DataVerb, files.LexicographerFileNames());
        var task = WordNetMcqTask.Build(nouns, seed: 1234);

        Assert.Equal(82115, nouns.Count); // WordNet 3.0's noun synsets
        Assert.Equal(13767, verbs.Count);
        Assert.All(nouns, s => Assert.StartsWith("noun.", s.LexFileName));
        Assert.All(verbs, s => Assert.StartsWith("verb.", s.LexFileName));
        Support.TaskInvariants.Hold(task);
        Assert.Equal(4000 + 500 + 1000 + 1000, task.Examples.Count);
    }

    [Fact]
    public void CachedSpamAssassinHasEveryEmailAndBuildsTheTask()
    {
        if (SpamAssassinSource.FindCached(Cache) is not { } corpus)
        {
            output.WriteLine($"SpamAssassin is not in {Cache.Root}: nothing checked (fetch it once to run this test).");
            return;
        }
        Sha256File.Verify(Path.Combine(Cache.DownloadsFolder, SpamAssassinSource.Archive.ArchiveFileName), SpamAssassinSource.TarballSha256);

        var counts = SpamAssassinCorpus.Groups.ToDictionary(g => g, g => corpus.Read(g).Count);
        var task = SpamTask.Build(corpus, seed: 1234);

        Assert.Equal(new Dictionary<string, int>
        {
            ["easy-ham-1"] = 2500, ["easy-ham-2"] = 1400, ["hard-ham-1"] = 250, ["spam-1"] = 500, ["spam-2"] = 1396,
        }, counts);
        Support.TaskInvariants.Hold(task);
        Assert.All(task.Examples, e => Assert.InRange(e.Prompt.Length, 1, 1000 + SpamTask.PromptTemplate.Length));
    }

    [Fact]
    public void CachedVaderLexiconParsesAndBuildsThePreferencePairs()
    {
        if (VaderSource.FindCached(Cache) is not { } lexiconPath)
        {
            output.WriteLine($"vader-sentiment is not in {Cache.Root}: nothing checked (fetch it once to run this test).");
            return;
        }
        Sha256File.Verify(Path.Combine(Cache.DownloadsFolder, VaderSource.Archive.ArchiveFileName), VaderSource.TarballSha256);

        var entries = VaderLexicon.Read(lexiconPath);
        var mismatches = VaderLexicon.SummaryMismatches(entries);
        var pairs = VaderPreferenceTask.Build(entries, seed: 1234);

        Assert.Equal(7517, entries.Count);
        // The file's own slips: lmfao's mean and std, and repetitive's std printed as 0.06325 for 0.63246.
        Assert.Equal(["lmfao", "repetitive"], mismatches.Select(m => m.Entry.Token));
        Assert.Equal([2000, 500, 1000, 1000], TaskSplits.All.Select(s => pairs.Count(p => p.Split == s)));
        Assert.Equal(pairs.Count, pairs.Select(p => string.CompareOrdinal(p.Chosen, p.Rejected) < 0 ? (p.Chosen, p.Rejected) : (p.Rejected, p.Chosen)).Distinct().Count());
        Assert.All(pairs, p => Assert.InRange(p.Preference, 0.505, 1.0));
        // The file's bytes for seed 1234, as first written: a change here changes every reward-model run's data.
        Assert.Equal("226c1367f8f24de1539b304be4238105ef82f7527a6ed4c64b0100c68bf2d35d",
            Sha256File.OfBytes(System.Text.Encoding.UTF8.GetBytes(PreferenceWriter.ToJsonl(pairs))));

        foreach (var split in TaskSplits.All)
        {
            var values = pairs.Where(p => p.Split == split).Select(p => p.Preference).Order().ToList();
            double Quantile(double q) => values[(int)Math.Round(q * (values.Count - 1))];
            output.WriteLine($"{split}: {values.Count} pairs, preference mean {values.Average():0.000}, " +
                             $"q10 {Quantile(0.1):0.000} q25 {Quantile(0.25):0.000} median {Quantile(0.5):0.000} " +
                             $"q75 {Quantile(0.75):0.000} q90 {Quantile(0.9):0.000}, share at 1.0 {values.Count(v => v == 1.0) / (double)values.Count:0.000}");
            foreach (var p in pairs.Where(p => p.Split == split).Take(2))
                output.WriteLine($"  {PreferenceWriter.ToJsonl([p]).TrimEnd()}");
        }
    }

    [Fact]
    public void CachedGcideAndJargonFileParseIntoDocumentsWithoutWordNetText()
    {
        if (GcideSource.Archive.FindUnpacked(Cache) is not { } gcideFolder || JargonSource.Archive.FindUnpacked(Cache) is not { } jargonFolder)
        {
            output.WriteLine($"dict-gcide or jargon-text is not in {Cache.Root}: nothing checked (run the data command once to run this test).");
            return;
        }
        Sha256File.Verify(Path.Combine(Cache.DownloadsFolder, GcideSource.Archive.ArchiveFileName), GcideSource.DebSha256);

        var articles = GcideSource.Articles(gcideFolder);
        var documents = articles.Select(GcideSource.Document).Where(d => d.Length > 0).ToList();
        var jargon = JargonSource.Documents(Path.Combine(jargonFolder, "usr", "share", "doc", "jargon-text", "jargon.txt.gz"));

        Assert.Equal(126240, articles.Count);
        Assert.Equal(123875, documents.Count); // before the held-out filter, which leaves 123,786
        Assert.DoesNotContain(documents, d => d.Contains("[WordNet", StringComparison.Ordinal) || d.Contains("[1913 Webster]", StringComparison.Ordinal));
        Assert.Equal(2307, jargon.Count);
        Assert.StartsWith("goat file: A sacrificial file", jargon.Single(d => d.StartsWith("goat file:", StringComparison.Ordinal)));
    }
}
