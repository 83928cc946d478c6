namespace UncertaintyService.Data.Tests.Support;

/// <summary>Properties every task file must have, whatever the task.</summary>
internal static class TaskInvariants
{
    public static void Hold(BuiltTask task)
    {
        var bySplit = task.Examples.GroupBy(e => e.Split).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(TaskSplits.All.Order(), bySplit.Keys.Order());

        foreach (var (split, examples) in bySplit)
            Assert.True(task.Definition.Labels.All(l => examples.Any(e => e.Label == l)), $"a label is missing from {split}");

        var promptsInSeveralSplits = task.Examples.GroupBy(e => e.Prompt).Where(g => g.Select(e => e.Split).Distinct().Count() > 1).ToList();
        Assert.Empty(promptsInSeveralSplits);
        Assert.Equal(task.Examples.Count, task.Examples.Select(e => e.Prompt).Distinct().Count());

        // File order: all of train, then validation, test, ood.
        var order = task.Examples.Select(e => TaskSplits.All.ToList().IndexOf(e.Split)).ToList();
        Assert.Equal(order.Order(), order);
    }

    public static byte[] Bytes(BuiltTask task, TempFolder folder, string name)
    {
        var written = task.Write(folder.File(name));
        return [.. File.ReadAllBytes(written.ExamplesPath), .. File.ReadAllBytes(written.DefinitionPath)];
    }
}
