using System.Text.RegularExpressions;
using UncertaintyService.Core.Formats;

namespace UncertaintyService.Core.Bundles;

/// <summary>
/// An adapter's <c>task.json</c>: what it predicts. For classification the class logits are the LM
/// head's next-token logits for <see cref="LabelTokens"/> (the labels' own text when absent) at the
/// end of the prompt; for a reward model the <c>score</c> head's single output.
/// </summary>
public sealed partial record TaskDefinition
{
    public const string FileName = "task.json";

    public static readonly IReadOnlySet<string> SupportedKinds = new HashSet<string> { "classification", "reward" };

    public string Kind { get; init; } = "classification";

    public string? Description { get; init; }

    /// <summary>Class names, in the order every response lists them.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>The token text each label's logit is read from (e.g. "A" for a multiple-choice answer).</summary>
    public IReadOnlyList<string>? LabelTokens { get; init; }

    /// <summary>A prompt with <c>{field}</c> placeholders that requests may fill instead of sending raw text.</summary>
    public string? PromptTemplate { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<string> TokenTexts => LabelTokens ?? Labels;

    /// <summary>The text label tokens are read after (<see cref="Tokenization.PromptTokenizer.LabelContext"/>).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string LabelContext => Tokenization.PromptTokenizer.LabelContext(PromptTemplate);

    /// <summary>The placeholders of <see cref="PromptTemplate"/>, in order of first appearance.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<string> TemplateFields =>
        PromptTemplate is null ? [] : Placeholder().Matches(PromptTemplate).Select(m => m.Groups[1].Value).Distinct().ToList();

    public static TaskDefinition Load(string path)
    {
        var task = StrictJson.Load<TaskDefinition>(path);
        task.Validate(path);
        return task;
    }

    public void Save(string path) => StrictJson.Save(path, this);

    public void Validate(string path)
    {
        void Require(bool ok, string key, string problem)
        {
            if (!ok) throw new BundleFormatException(path, key, problem);
        }

        Require(SupportedKinds.Contains(Kind), "kind", $"'{Kind}' is not one of {string.Join(", ", SupportedKinds)}");
        if (Kind == "classification")
            Require(Labels.Count >= 2, "labels", "a classification task needs at least two labels");
        else
            Require(PromptTemplate is null || TemplateFields.Order().SequenceEqual(RewardText.TemplateFields.Order()), "prompt_template",
                "a reward template has exactly the fields {prompt} and {response}");
        Require(Labels.All(l => !string.IsNullOrWhiteSpace(l)), "labels", "labels must be non-empty");
        Require(Labels.Distinct().Count() == Labels.Count, "labels", "labels must be distinct");
        Require(LabelTokens is null || LabelTokens.Count == Labels.Count, "label_tokens",
            $"has {LabelTokens?.Count} entries for {Labels.Count} labels");
        Require(LabelTokens is null || LabelTokens.Distinct().Count() == LabelTokens.Count, "label_tokens", "must be distinct");
    }

    /// <summary>The template with every placeholder replaced; the names of missing and unknown fields otherwise.</summary>
    public (string? Prompt, IReadOnlyList<string> Missing, IReadOnlyList<string> Unknown) Fill(IReadOnlyDictionary<string, string> fields)
    {
        if (PromptTemplate is null) return (null, [], fields.Keys.ToList());
        var expected = TemplateFields;
        var missing = expected.Where(f => !fields.ContainsKey(f)).ToList();
        var unknown = fields.Keys.Where(f => !expected.Contains(f)).ToList();
        if (missing.Count > 0 || unknown.Count > 0) return (null, missing, unknown);
        return (Placeholder().Replace(PromptTemplate, m => fields[m.Groups[1].Value]), [], []);
    }

    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex Placeholder();
}
