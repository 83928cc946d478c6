namespace UncertaintyService.Data;

/// <summary>
/// <c>wordnet-mcq</c>: given a noun sense's definition, pick its WordNet lexicographer category (the
/// <c>noun.*</c> file the lexicographers filed it in) among four. The <c>ood</c> split asks the same
/// question about senses shown only through their quoted usage examples; those senses are in no other split.
/// </summary>
public static class WordNetMcqTask
{
    public const string Name = "wordnet-mcq";

    public static readonly IReadOnlyList<string> Letters = ["A", "B", "C", "D"];

    // noun.Tops is left out: its ~50 senses are the unique beginners (entity, abstraction, ...) whose
    // "category" is a bookkeeping file, not a meaning a reader could infer from a definition.
    public static readonly IReadOnlyList<string> Categories =
        LexicographerFiles.Standard.Where(n => n.StartsWith("noun.", StringComparison.Ordinal) && n != "noun.Tops").ToList();

    public static readonly SplitSizes DefaultSizes = new(Validation: 500, Test: 1000, Train: 4000, Ood: 1000);

    public const string PromptTemplate =
        "Which WordNet category does this noun sense belong to?\nSense: {text}\nA. {a}\nB. {b}\nC. {c}\nD. {d}\nAnswer:";

    /// <summary>Reads <c>data.noun</c> and builds the task.</summary>
    public static BuiltTask Build(WordNetFiles files, int seed, SplitSizes? sizes = null) =>
        Build(WordNetDataFile.Read(files.DataNoun, files.LexicographerFileNames()), seed, sizes);

    public static BuiltTask Build(IEnumerable<WordNetSynset> synsets, int seed, SplitSizes? sizes = null)
    {
        sizes ??= DefaultSizes;
        var nouns = synsets
            .Where(s => s.SynsetType == 'n' && Categories.Contains(s.LexFileName) && s.Definition.Length > 0)
            .OrderBy(s => s.Offset, StringComparer.Ordinal)
            .ToList();
        // A definition shared by senses of different categories ("one species") cannot be answered: drop it.
        var defined = DeterministicSplit.UniqueByText(nouns, s => s.Definition, s => s.LexFileName);
        var definitions = defined.Select(s => s.Definition).ToHashSet(StringComparer.Ordinal);

        var exemplified = DeterministicSplit.UniqueByText(
                defined.Where(s => s.Examples.Count > 0), ExamplesText, s => s.LexFileName)
            .Where(s => !definitions.Contains(ExamplesText(s)))
            .ToList();
        var oodOrder = DeterministicSplit.StratifiedOrder(exemplified, s => s.Offset, s => s.LexFileName, seed, "wordnet-ood");
        var oodSenses = oodOrder.Take(sizes.Ood ?? int.MaxValue).ToList();
        var oodOffsets = oodSenses.Select(s => s.Offset).ToHashSet(StringComparer.Ordinal);

        var inDistribution = DeterministicSplit.StratifiedOrder(
            defined.Where(s => !oodOffsets.Contains(s.Offset)), s => s.Offset, s => s.LexFileName, seed, "wordnet-split");
        var (train, validation, test) = DeterministicSplit.Slice(inDistribution, sizes);

        var definition = Definition(seed);
        TaskExample Ask(WordNetSynset s, string text, string split) => Question(definition, s, text, split, seed);
        return new BuiltTask(Name, definition, BuiltTask.InFileOrder(
            train.Select(s => Ask(s, s.Definition, TaskSplits.Train)),
            validation.Select(s => Ask(s, s.Definition, TaskSplits.Validation)),
            test.Select(s => Ask(s, s.Definition, TaskSplits.Test)),
            oodSenses.Select(s => Ask(s, ExamplesText(s), TaskSplits.Ood))));
    }

    /// <summary>The usage examples as the ood prompt shows them: each in its quotes, separated by "; ".</summary>
    public static string ExamplesText(WordNetSynset synset) => string.Join("; ", synset.Examples.Select(e => $"\"{e}\""));

    /// <summary>How a category appears as an option: <c>noun.artifact</c> reads "artifact".</summary>
    public static string DisplayName(string category) => category["noun.".Length..];

    /// <summary>
    /// The four options for a sense: its own category and three others, chosen and placed by hashes of
    /// the seed and the sense's offset, so each sense always gets the same question for a seed.
    /// </summary>
    public static (IReadOnlyList<string> Options, int Answer) Options(WordNetSynset synset, int seed)
    {
        var others = StableHash.Shuffle(Categories.Where(c => c != synset.LexFileName), c => c, seed, "distractors/" + synset.Offset);
        var answer = StableHash.Index(seed, "answer", synset.Offset, Letters.Count);
        var options = others.Take(Letters.Count - 1).ToList();
        options.Insert(answer, synset.LexFileName);
        return (options, answer);
    }

    public static TaskDefinitionFile Definition(int seed) => new(
        Labels: Letters,
        LabelTokens: Letters,
        PromptTemplate: PromptTemplate,
        Description:
            $"WordNet 3.0 noun senses (Debian {WordNetSource.PackageName} {WordNetSource.DebianVersion}): pick the sense's lexicographer " +
            "category (its noun.* file; noun.Tops excluded) among four, from its definition. The ood split shows the sense's " +
            $"quoted usage examples instead of its definition. Seed {seed}.");

    private static TaskExample Question(TaskDefinitionFile definition, WordNetSynset synset, string text, string split, int seed)
    {
        var (options, answer) = Options(synset, seed);
        var prompt = definition.Fill(
        [
            ("text", text),
            ("a", DisplayName(options[0])), ("b", DisplayName(options[1])),
            ("c", DisplayName(options[2])), ("d", DisplayName(options[3])),
        ]);
        return new TaskExample(prompt, Letters[answer], split);
    }
}
