using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Tokenization;
using UncertaintyService.Data;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>A task's JSONL examples with its task.json, tokenized for one model.</summary>
public sealed class TaskFile
{
    private TaskFile(string path, TaskDefinition definition, IReadOnlyList<TaskExample> examples, string sha256)
    {
        Path = path;
        Definition = definition;
        Examples = examples;
        Sha256 = sha256;
    }

    public string Path { get; }
    public TaskDefinition Definition { get; }
    public IReadOnlyList<TaskExample> Examples { get; }

    /// <summary>sha256 of the JSONL bytes, recorded in calibration.json.</summary>
    public string Sha256 { get; }

    public IReadOnlyList<string> Splits => Examples.Select(e => e.Split).Distinct().ToList();

    /// <summary>Reads the JSONL at <paramref name="path"/> and the task.json beside it (or at <paramref name="taskJson"/>).</summary>
    public static TaskFile Load(string path, string? taskJson = null)
    {
        var definitionPath = taskJson ?? System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!, TaskDefinition.FileName);
        var definition = TaskDefinition.Load(definitionPath);
        var (examples, sha256) = JsonLinesFile.Read<TaskExample>(path, "a task example", example =>
            example is null ? "not a task example: null"
            : string.IsNullOrEmpty(example.Prompt) ? "field 'prompt': missing or empty"
            : !definition.Labels.Contains(example.Label) ? $"field 'label': {Quoted(example.Label)} is not one of {string.Join(", ", definition.Labels)} (task.json labels)"
            : KnownSplits.Problem(example.Split));
        return new TaskFile(path, definition, examples, sha256);
    }

    /// <summary>The examples of one split; with <paramref name="limit"/>, that many drawn by <see cref="TrainingSubset"/>.</summary>
    public IReadOnlyList<TaskExample> Split(string split, int? limit = null) =>
        TrainingSubset.Take(Examples.Where(e => e.Split == split).ToList(), limit, e => e.Prompt, Path, split);

    internal static string Quoted(string? value) => value is null ? "missing" : $"'{value}'";

    /// <summary>Token ids and class indices of examples, for a model's tokenizer.</summary>
    public (List<int[]> Prompts, List<int> Labels) Encode(PromptTokenizer tokenizer, IReadOnlyList<TaskExample> examples, int maxTokens)
    {
        var prompts = new List<int[]>(examples.Count);
        var labels = new List<int>(examples.Count);
        foreach (var example in examples)
        {
            var ids = tokenizer.EncodePrompt(example.Prompt);
            // Keep the end of an over-long prompt: the question and "Answer:" sit there.
            prompts.Add(ids.Length <= maxTokens ? ids : [ids[0], .. ids[^(maxTokens - 1)..]]);
            labels.Add(IndexOf(Definition.Labels, example.Label));
        }
        return (prompts, labels);
    }

    private static int IndexOf(IReadOnlyList<string> labels, string label)
    {
        for (int i = 0; i < labels.Count; i++) if (labels[i] == label) return i;
        throw new ArgumentException($"unknown label '{label}'");
    }
}
