using UncertaintyService.Data;

namespace UncertaintyService.Cli.Tests;

/// <summary>A yes/no task whose answer is in the text ("The light is on ..."), written by the Data library's writer.</summary>
internal static class LightsTask
{
    /// <returns>The path of examples.jsonl (task.json beside it).</returns>
    public static string Write(string folder)
    {
        var examples = new List<TaskExample>();
        var random = new Random(5);
        foreach (var (split, count) in new[] { ("train", 24), ("validation", 8), ("test", 8), ("ood", 8) })
        {
            for (int i = 0; i < count; i++)
            {
                bool yes = random.Next(2) == 0;
                examples.Add(new TaskExample($"The light is {(yes ? "on" : "off")} number {i}. Is it on? Answer:", yes ? "on" : "off", split));
            }
        }
        var definition = new TaskDefinitionFile(["on", "off"], ["yes", "no"], "{text}", "test task");
        return TaskWriter.Write(folder, examples, definition).ExamplesPath;
    }
}
