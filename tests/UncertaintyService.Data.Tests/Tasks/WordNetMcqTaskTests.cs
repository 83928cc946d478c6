using System.Text.RegularExpressions;
using UncertaintyService.Data.Tests.Support;

namespace UncertaintyService.Data.Tests.Tasks;

public sealed partial class WordNetMcqTaskTests : IDisposable
{
    private static readonly IReadOnlyList<WordNetSynset> Nouns = SyntheticWordNet.Nouns(perCategory: 40);
    private static readonly SplitSizes Sizes = new(Validation: 50, Test: 100, Train: null, Ood: 100);
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private static BuiltTask Build(int seed = 7, SplitSizes? sizes = null, IEnumerable<WordNetSynset>? synsets = null) =>
        WordNetMcqTask.Build(synsets ?? Nouns, seed, sizes ?? Sizes);

    [Fact]
    public void SplitsHaveTheRequestedSizesAndTheInvariants()
    {
        var task = Build();

        TaskInvariants.Hold(task);
        Assert.Equal(1000 - 100 - 50 - 100, task.Examples.Count(e => e.Split == TaskSplits.Train));
        Assert.Equal(50, task.Examples.Count(e => e.Split == TaskSplits.Validation));
        Assert.Equal(100, task.Examples.Count(e => e.Split == TaskSplits.Test));
        Assert.Equal(100, task.Examples.Count(e => e.Split == TaskSplits.Ood));
    }

    [Fact]
    public void SameSeedGivesTheSameBytesAndAnotherSeedDoesNot()
    {
        var first = TaskInvariants.Bytes(Build(seed: 7), folder, "a");
        var again = TaskInvariants.Bytes(Build(seed: 7, synsets: Nouns.Reverse()), folder, "b"); // input order must not matter
        var other = TaskInvariants.Bytes(Build(seed: 8), folder, "c");

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void OptionsHoldTheRightCategoryExactlyOnceAndTheLabelPointsAtIt()
    {
        var task = Build();
        var categoryOfText = Nouns.ToDictionary(s => s.Definition, s => s.LexFileName);
        foreach (var s in Nouns.Where(s => s.Examples.Count > 0)) categoryOfText[WordNetMcqTask.ExamplesText(s)] = s.LexFileName;

        foreach (var example in task.Examples)
        {
            var match = Question().Match(example.Prompt);
            Assert.True(match.Success, example.Prompt);
            var right = WordNetMcqTask.DisplayName(categoryOfText[match.Groups["text"].Value]);
            string[] options = [match.Groups["a"].Value, match.Groups["b"].Value, match.Groups["c"].Value, match.Groups["d"].Value];

            Assert.Single(options, o => o == right);
            Assert.Equal(4, options.Distinct().Count());
            Assert.All(options, o => Assert.Contains("noun." + o, WordNetMcqTask.Categories));
            Assert.Equal(right, options[WordNetMcqTask.Letters.ToList().IndexOf(example.Label)]);
        }
    }

    [Fact]
    public void OodAsksAboutUsageExamplesOfSensesUsedInNoOtherSplit()
    {
        var task = Build();
        var ood = task.Examples.Where(e => e.Split == TaskSplits.Ood).Select(e => Question().Match(e.Prompt).Groups["text"].Value).ToList();
        var inDistribution = task.Examples.Where(e => e.Split != TaskSplits.Ood).Select(e => Question().Match(e.Prompt).Groups["text"].Value).ToHashSet();
        var oodSenses = Nouns.Where(s => s.Examples.Count > 0 && ood.Contains(WordNetMcqTask.ExamplesText(s))).ToList();

        Assert.Equal(100, oodSenses.Count);
        Assert.All(ood, text => Assert.StartsWith("\"a noun.", text));
        Assert.All(oodSenses, s => Assert.DoesNotContain(s.Definition, inDistribution));
    }

    [Fact]
    public void PromptFollowsTheTemplateExactly()
    {
        var dog = WordNetDataFile.ParseLine(RealWordNetLines.Dog, LexicographerFiles.Standard);
        var (options, answer) = WordNetMcqTask.Options(dog, seed: 7);
        var task = Build(synsets: [.. Nouns, dog]);

        var example = Assert.Single(task.Examples, e => e.Prompt.Contains("genus Canis"));

        Assert.Equal(
            "Which WordNet category does this noun sense belong to?\n" +
            "Sense: a member of the genus Canis (probably descended from the common wolf) that has been domesticated by man since prehistoric times; occurs in many breeds\n" +
            $"A. {WordNetMcqTask.DisplayName(options[0])}\nB. {WordNetMcqTask.DisplayName(options[1])}\n" +
            $"C. {WordNetMcqTask.DisplayName(options[2])}\nD. {WordNetMcqTask.DisplayName(options[3])}\nAnswer:",
            example.Prompt);
        Assert.Equal("noun.animal", options[answer]);
        Assert.Equal(WordNetMcqTask.Letters[answer], example.Label);
    }

    [Fact]
    public void AmbiguousDefinitionsAreDroppedAndRepeatedOnesKeptOnce()
    {
        List<WordNetSynset> extra =
        [
            Parse(90000001, "noun.plant", "one species"), Parse(90000002, "noun.animal", "one species"),
            Parse(90000003, "noun.plant", "a variety of aster"), Parse(90000004, "noun.plant", "a variety of aster"),
        ];

        var task = Build(synsets: [.. Nouns, .. extra]);

        Assert.DoesNotContain(task.Examples, e => e.Prompt.Contains("one species"));
        Assert.Single(task.Examples, e => e.Prompt.Contains("a variety of aster"));
    }

    [Fact]
    public void OnlyNounsOutsideNounTopsAreAsked()
    {
        List<WordNetSynset> extra =
        [
            Parse(90000001, "noun.Tops", "that which is perceived or known"),
            WordNetDataFile.ParseLine(RealWordNetLines.Breathe, LexicographerFiles.Standard),
        ];

        var task = Build(synsets: [.. Nouns, .. extra]);

        Assert.DoesNotContain(task.Examples, e => e.Prompt.Contains("perceived") || e.Prompt.Contains("lungs"));
        Assert.Equal(25, WordNetMcqTask.Categories.Count);
        Assert.DoesNotContain(task.Examples, e => e.Prompt.Contains(". Tops\n"));
    }

    [Fact]
    public void AskingForMoreTrainingDataKeepsTestAndValidationAsTheyWere()
    {
        string Held(BuiltTask t) => TaskWriter.ToJsonl(t.Examples.Where(e => e.Split is TaskSplits.Test or TaskSplits.Validation));

        var small = Build(sizes: Sizes with { Train = 100 });
        var all = Build();

        Assert.Equal(100, small.Examples.Count(e => e.Split == TaskSplits.Train));
        Assert.Equal(Held(all), Held(small));
    }

    [Fact]
    public void TooFewSensesForTheHeldOutSplitsIsAnError()
    {
        var ex = Assert.Throws<ArgumentException>(() => Build(sizes: new SplitSizes(Validation: 500, Test: 500, Ood: 0)));

        Assert.Contains("cannot fill test (500) and validation (500)", ex.Message);
    }

    [Fact]
    public void TaskDefinitionReadsTheLettersAsLabelTokens()
    {
        var definition = Build().Definition;

        Assert.Equal(["A", "B", "C", "D"], definition.Labels);
        Assert.Equal(["A", "B", "C", "D"], definition.LabelTokens);
        Assert.Equal("classification", definition.Kind);
        Assert.Contains("Seed 7", definition.Description);
    }

    private static WordNetSynset Parse(int offset, string category, string gloss) =>
        WordNetDataFile.ParseLine(
            SyntheticWordNet.Line(offset, LexicographerFiles.Standard.ToList().IndexOf(category), "x", gloss),
            LexicographerFiles.Standard);

    [GeneratedRegex(@"\AWhich WordNet category does this noun sense belong to\?\nSense: (?<text>.*)\nA\. (?<a>.*)\nB\. (?<b>.*)\nC\. (?<c>.*)\nD\. (?<d>.*)\nAnswer:\z")]
    private static partial Regex Question();
}
