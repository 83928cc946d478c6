namespace UncertaintyService.Data;

/// <summary>A task ready to write: its name (the folder name by convention), task.json and examples in file order.</summary>
public sealed record BuiltTask(string Name, TaskDefinitionFile Definition, IReadOnlyList<TaskExample> Examples)
{
    /// <summary>Writes <c>examples.jsonl</c> and <c>task.json</c> into <paramref name="folder"/>.</summary>
    public WrittenTask Write(string folder) => TaskWriter.Write(folder, Examples, Definition);

    /// <summary>How many examples each split has per label, splits in <see cref="TaskSplits.All"/> order, labels in task order.</summary>
    public IReadOnlyList<(string Split, string Label, int Count)> Counts() =>
        TaskSplits.All
            .SelectMany(split => Definition.Labels.Select(label =>
                (split, label, Examples.Count(e => e.Split == split && e.Label == label))))
            .Where(c => c.Item3 > 0)
            .ToList();

    /// <summary>Examples in <see cref="TaskSplits.All"/> order: train, validation, test, ood.</summary>
    internal static IReadOnlyList<TaskExample> InFileOrder(
        IEnumerable<TaskExample> train, IEnumerable<TaskExample> validation, IEnumerable<TaskExample> test, IEnumerable<TaskExample> ood) =>
        [.. train, .. validation, .. test, .. ood];
}
