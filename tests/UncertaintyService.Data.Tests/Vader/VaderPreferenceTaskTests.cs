using System.Text.Json;
using System.Text.Json.Nodes;

namespace UncertaintyService.Data.Tests.Vader;

public sealed class VaderPreferenceTaskTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private static readonly PreferenceSplitSizes SmallSizes = new(Train: 40, Validation: 10, Test: 20, Ood: 15);

    private static readonly int[] AllOnes = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    private static readonly int[] AllZeros = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    // By hand: x's five 0s each beat y's -1 and tie its 0 (5 wins, 5 ties); x's four 1s each beat y's 0 and -1
    // and tie its eight 1s (8 wins, 32 ties); x's 2 beats all ten. 23 wins + 37 ties / 2 = 41.5 of 100.
    private static readonly int[] MixedX = [0, 0, 0, 0, 0, 1, 1, 1, 1, 2];
    private static readonly int[] MixedY = [1, 1, 1, 1, 1, 1, 1, 1, 0, -1];

    [Fact]
    public void PreferenceFractionMatchesHandComputation()
    {
        Assert.Equal(1.0, VaderPreferenceTask.PreferenceFraction(AllOnes, AllZeros));
        Assert.Equal(0.0, VaderPreferenceTask.PreferenceFraction(AllZeros, AllOnes));
        Assert.Equal(0.5, VaderPreferenceTask.PreferenceFraction(AllOnes, AllOnes));
        Assert.Equal(0.415, VaderPreferenceTask.PreferenceFraction(MixedX, MixedY));
        Assert.Equal(0.585, VaderPreferenceTask.PreferenceFraction(MixedY, MixedX));
    }

    [Fact]
    public void PairIsOrientedToTheMajorityChoice()
    {
        VaderEntry[] entries = [Entry("calm", MixedX), Entry("fine", MixedY)];

        var pair = Assert.Single(VaderPreferenceTask.Build(entries, seed: 1, new PreferenceSplitSizes(1, 0, 0, 0)));

        Assert.Equal(new PreferencePair(VaderPreferenceTask.Prompt, "fine", "calm", 0.585, TaskSplits.Train), pair);
    }

    [Fact]
    public void EveryPairPrefersChosenByItsOwnRatings()
    {
        var entries = SyntheticLexicon();
        var ratings = entries.ToDictionary(e => e.Token, e => e.Ratings);

        var pairs = VaderPreferenceTask.Build(entries, seed: 7, SmallSizes);

        Assert.All(pairs, p =>
        {
            Assert.InRange(p.Preference, 0.5 + 1e-12, 1.0);
            Assert.Equal(VaderPreferenceTask.PreferenceFraction(ratings[p.Chosen], ratings[p.Rejected]), p.Preference);
            Assert.Equal(VaderPreferenceTask.Prompt, p.Prompt);
        });
    }

    [Fact]
    public void TiesAtOneHalfAreNeverKept()
    {
        VaderEntry[] entries = [Entry("calm", AllOnes), Entry("fine", AllOnes)];

        var ex = Assert.Throws<ArgumentException>(() => VaderPreferenceTask.Build(entries, seed: 1, new PreferenceSplitSizes(1, 0, 0, 0)));

        Assert.Contains("found only 0 of 1 train/validation/test pairs", ex.Message);
    }

    [Fact]
    public void SplitsHaveTheirSizesAndShareNoTokenPair()
    {
        var pairs = VaderPreferenceTask.Build(SyntheticLexicon(), seed: 7, SmallSizes);

        var bySplit = pairs.GroupBy(p => p.Split).ToDictionary(g => g.Key, g => g.Select(Unordered).ToList());
        Assert.Equal([TaskSplits.Train, TaskSplits.Validation, TaskSplits.Test, TaskSplits.Ood], pairs.Select(p => p.Split).Distinct());
        Assert.Equal([40, 10, 20, 15], TaskSplits.All.Select(s => bySplit[s].Count));
        Assert.Equal(pairs.Count, pairs.Select(Unordered).Distinct().Count());
        Assert.True(pairs.SelectMany(p => new[] { p.Chosen, p.Rejected }).Distinct().Count() < 2 * pairs.Count); // tokens recur
    }

    [Fact]
    public void OodPairsAndOnlyThoseHaveAnEmoticonOrSlangToken()
    {
        var pairs = VaderPreferenceTask.Build(SyntheticLexicon(), seed: 7, SmallSizes);

        Assert.All(pairs, p => Assert.Equal(
            p.Split == TaskSplits.Ood,
            !VaderPreferenceTask.IsDictionaryWord(p.Chosen) || !VaderPreferenceTask.IsDictionaryWord(p.Rejected)));
    }

    [Theory]
    [InlineData("abandon", true)]
    [InlineData(":)", false)]
    [InlineData("<3", false)]
    [InlineData("can't", false)]
    [InlineData("fed up", false)]
    [InlineData("Hello", false)]
    [InlineData("abc\n", false)]
    [InlineData("", false)]
    public void DictionaryWordsAreLowercaseLettersOnly(string token, bool isWord) =>
        Assert.Equal(isWord, VaderPreferenceTask.IsDictionaryWord(token));

    [Fact]
    public void TokensListedTwiceAreLeftOut()
    {
        var entries = SyntheticLexicon().Append(Entry("word03", AllOnes)).Append(Entry("aad", AllZeros)).ToList();

        var pairs = VaderPreferenceTask.Build(entries, seed: 7, SmallSizes);

        Assert.DoesNotContain(pairs, p => p.Chosen is "aad" or "word03" || p.Rejected is "aad" or "word03");
    }

    [Fact]
    public void SameSeedGivesTheSameBytesAndAnotherSeedDifferent()
    {
        var entries = SyntheticLexicon();

        var first = PreferenceWriter.Write(folder.Folder("a"), VaderPreferenceTask.Build(entries, seed: 7, SmallSizes));
        var shuffledInput = PreferenceWriter.Write(folder.Folder("b"), VaderPreferenceTask.Build(entries.AsEnumerable().Reverse(), seed: 7, SmallSizes));
        var otherSeed = PreferenceWriter.Write(folder.Folder("c"), VaderPreferenceTask.Build(entries, seed: 8, SmallSizes));

        Assert.Equal(File.ReadAllBytes(first.Path), File.ReadAllBytes(shuffledInput.Path));
        Assert.Equal(first.Sha256, shuffledInput.Sha256);
        Assert.NotEqual(first.Sha256, otherSeed.Sha256);
        Assert.Equal(Sha256File.Of(first.Path), first.Sha256);
    }

    [Fact]
    public void LargerTrainOnlyAppends()
    {
        var entries = SyntheticLexicon();

        var small = VaderPreferenceTask.Build(entries, seed: 7, SmallSizes);
        var large = VaderPreferenceTask.Build(entries, seed: 7, SmallSizes with { Train = 60 });

        Assert.Equal(small.Where(p => p.Split == TaskSplits.Train), large.Where(p => p.Split == TaskSplits.Train).Take(40));
        Assert.Equal(small.Where(p => p.Split != TaskSplits.Train), large.Where(p => p.Split != TaskSplits.Train));
    }

    [Fact]
    public void WriterLinesAreJsonWithTheFiveKeysInOrder()
    {
        List<PreferencePair> pairs =
        [
            new(VaderPreferenceTask.Prompt, "( '}{' )", "\"q\\", 1.0, TaskSplits.Ood),
            new(VaderPreferenceTask.Prompt, "fine", "calm", 0.585, TaskSplits.Train),
        ];

        var lines = File.ReadAllText(PreferenceWriter.Write(folder.Path, pairs).Path).Split('\n');

        Assert.Equal(3, lines.Length);
        Assert.Equal("", lines[^1]);
        Assert.Equal("{\"prompt\":\"Which word is more positive?\",\"chosen\":\"fine\",\"rejected\":\"calm\",\"preference\":0.585,\"split\":\"train\"}", lines[1]);
        var parsed = JsonSerializer.Deserialize<JsonObject>(lines[0])!;
        Assert.Equal(["prompt", "chosen", "rejected", "preference", "split"], parsed.Select(p => p.Key));
        Assert.Equal("( '}{' )", (string)parsed["chosen"]!);
        Assert.Equal("\"q\\", (string)parsed["rejected"]!);
        Assert.Equal(1.0, (double)parsed["preference"]!);
        Assert.Contains("\"preference\":1.0,", lines[0]);
    }

    [Fact]
    public void WriterRefusesUnknownSplitsAndPreferencesOutsideTheOrientedRange()
    {
        Assert.Contains("dev", Assert.Throws<ArgumentException>(() =>
            PreferenceWriter.Write(folder.Path, [new PreferencePair("p", "a", "b", 0.9, "dev")])).Message);
        Assert.Contains("0.5", Assert.Throws<ArgumentException>(() =>
            PreferenceWriter.Write(folder.Path, [new PreferencePair("p", "a", "b", 0.5, TaskSplits.Test)])).Message);
    }

    private static VaderEntry Entry(string token, int[] ratings) =>
        new(token, VaderLexicon.Mean(ratings), VaderLexicon.PopulationStd(ratings), ratings);

    // 60 dictionary words "aaa".."acd" and 20 tokens with other characters, ratings spread over -4..4.
    private static List<VaderEntry> SyntheticLexicon()
    {
        var words = Enumerable.Range(0, 60).Select(i => $"a{(char)('a' + i / 26)}{(char)('a' + i % 26)}");
        var shifted = Enumerable.Range(0, 20).Select(i => $"word{i:00}" is var w && i % 2 == 0 ? w : $":-{i}");
        return words.Concat(shifted)
            .Select((token, i) => Entry(token, [.. Enumerable.Range(0, 10).Select(j => (i * 7 + j * (i % 3 + 1)) % 9 - 4)]))
            .ToList();
    }

    private static (string, string) Unordered(PreferencePair p) =>
        string.CompareOrdinal(p.Chosen, p.Rejected) < 0 ? (p.Chosen, p.Rejected) : (p.Rejected, p.Chosen);
}
