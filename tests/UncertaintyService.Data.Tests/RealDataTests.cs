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
}
