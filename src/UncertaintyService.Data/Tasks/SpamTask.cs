namespace UncertaintyService.Data;

/// <summary>
/// <c>spam</c>: is an e-mail spam? Train, validation and test come from easy-ham-1 and spam-1; the
/// <c>ood</c> split from hard-ham-1 (ham that looks like spam) and spam-2 (spam collected later).
/// </summary>
/// <remarks>
/// The class logits are read from the tokens "yes" (spam) and "no" (ham): "spam" is two Llama 2
/// SentencePiece tokens ("▁sp", "am"), while "▁yes" and "▁no" are single pieces, as the test suite
/// checks against the tokenizer the repository ships.
/// </remarks>
public static class SpamTask
{
    public const string Name = "spam";
    public const string Spam = "spam";
    public const string Ham = "ham";

    public static readonly IReadOnlyList<string> InDistributionGroups = ["easy-ham-1", "spam-1"];
    public static readonly IReadOnlyList<string> OodGroups = ["hard-ham-1", "spam-2"];

    public static readonly SplitSizes DefaultSizes = new(Validation: 300, Test: 600);

    public const string PromptTemplate = "E-mail:\n{email}\nIs this e-mail spam? Answer:";

    /// <summary>Reads the four groups from the corpus and builds the task.</summary>
    public static BuiltTask Build(SpamAssassinCorpus corpus, int seed, SplitSizes? sizes = null, int maxCharacters = EmailText.DefaultMaxCharacters) =>
        Build(InDistributionGroups.SelectMany(corpus.Read), OodGroups.SelectMany(corpus.Read), seed, sizes, maxCharacters);

    public static BuiltTask Build(
        IEnumerable<SpamAssassinEmail> inDistribution,
        IEnumerable<SpamAssassinEmail> ood,
        int seed,
        SplitSizes? sizes = null,
        int maxCharacters = EmailText.DefaultMaxCharacters)
    {
        sizes ??= DefaultSizes;
        var definition = Definition(seed, maxCharacters);
        // The same text twice (a resent mail, a list digest cut at the same place) would sit in two
        // splits and leak; empty texts (base64-only mails) give the model nothing to read.
        var pool = Examples(inDistribution, definition, maxCharacters);
        var seen = pool.Select(x => x.Prompt).ToHashSet(StringComparer.Ordinal);
        var shifted = Examples(ood, definition, maxCharacters).Where(x => !seen.Contains(x.Prompt)).ToList();

        var ordered = DeterministicSplit.StratifiedOrder(pool, x => x.Id, x => x.Label, seed, "spam-split");
        var (train, validation, test) = DeterministicSplit.Slice(ordered, sizes);
        var oodOrdered = DeterministicSplit.StratifiedOrder(shifted, x => x.Id, x => x.Label, seed, "spam-ood")
            .Take(sizes.Ood ?? int.MaxValue);

        static IEnumerable<TaskExample> In(IEnumerable<Candidate> items, string split) =>
            items.Select(x => new TaskExample(x.Prompt, x.Label, split));
        return new BuiltTask(Name, definition, BuiltTask.InFileOrder(
            In(train, TaskSplits.Train), In(validation, TaskSplits.Validation), In(test, TaskSplits.Test), In(oodOrdered, TaskSplits.Ood)));
    }

    public static TaskDefinitionFile Definition(int seed, int maxCharacters = EmailText.DefaultMaxCharacters) => new(
        Labels: [Spam, Ham],
        LabelTokens: ["yes", "no"],
        PromptTemplate: PromptTemplate,
        Description:
            $"SpamAssassin public corpus (npm {SpamAssassinSource.PackageName} {SpamAssassinSource.Version}): is the e-mail spam? " +
            $"Bodies without headers, MIME parts or HTML tags, whitespace collapsed, cut to {maxCharacters} characters. " +
            "Label tokens: \"yes\" for spam, \"no\" for ham. Train/validation/test from easy-ham-1 and spam-1; " +
            $"ood from hard-ham-1 and spam-2. Seed {seed}.");

    private sealed record Candidate(string Id, string Prompt, string Label);

    private static List<Candidate> Examples(IEnumerable<SpamAssassinEmail> emails, TaskDefinitionFile definition, int maxCharacters)
    {
        var candidates = emails
            .OrderBy(e => e.Id, StringComparer.Ordinal)
            .Select(e => (Email: e, Text: EmailText.Clean(e.RawText, maxCharacters)))
            .Where(x => x.Text.Length > 0)
            .Select(x => new Candidate(x.Email.Id, definition.Fill([("email", x.Text)]), x.Email.IsSpam ? Spam : Ham));
        return DeterministicSplit.UniqueByText(candidates, x => x.Prompt, x => x.Label).ToList();
    }
}
