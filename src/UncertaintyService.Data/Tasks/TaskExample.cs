namespace UncertaintyService.Data;

/// <summary>One line of a task's JSONL file: <c>{"prompt": ..., "label": ..., "split": ...}</c>.</summary>
public sealed record TaskExample(string Prompt, string Label, string Split);

/// <summary>The split names a task file uses; <see cref="Ood"/> is a shifted distribution never trained on.</summary>
public static class TaskSplits
{
    public const string Train = "train";
    public const string Validation = "validation";
    public const string Test = "test";
    public const string Ood = "ood";

    public static readonly IReadOnlyList<string> All = [Train, Validation, Test, Ood];
}

/// <summary>
/// How many examples each split takes. Null takes everything left: for <see cref="Train"/> the
/// in-distribution pool after test and validation, for <see cref="Ood"/> the whole shifted pool.
/// </summary>
public sealed record SplitSizes(int Validation, int Test, int? Train = null, int? Ood = null);
