using System.Text.Json;
using System.Text.Json.Nodes;
using UncertaintyService.Data.Tests.Support;

namespace UncertaintyService.Data.Tests.Tasks;

public sealed class TaskWriterTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private static readonly TaskDefinitionFile Definition = new(["spam", "ham"], ["yes", "no"], "E-mail:\n{email}\nAnswer:", "A test task.");

    [Fact]
    public void LinesRoundTripThroughAJsonParserWithAwkwardCharacters()
    {
        List<TaskExample> examples =
        [
            new("quote \" backslash \\ newline \n tab \t bell \u0007 café \U0001F600 <b>&amp;</b>", "spam", TaskSplits.Train),
            new("plain", "ham", TaskSplits.Ood),
        ];

        var written = TaskWriter.Write(folder.Path, examples, Definition);

        var lines = File.ReadAllText(written.ExamplesPath).Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Equal("", lines[^1]); // every line ends with \n, and there is no blank line
        var parsed = lines[..^1].Select(l => JsonSerializer.Deserialize<JsonObject>(l)!).ToList();
        Assert.Equal(examples.Select(e => e.Prompt), parsed.Select(p => (string)p["prompt"]!));
        Assert.Equal(["prompt", "label", "split"], parsed[0].Select(p => p.Key));
        Assert.Equal("{\"prompt\":\"plain\",\"label\":\"ham\",\"split\":\"ood\"}", lines[1]);
        Assert.Contains("café \U0001F600 <b>&amp;</b>", lines[0]); // written as is, not \u-escaped
        Assert.Contains("\\u0007", lines[0]);
    }

    [Fact]
    public void ReturnedHashIsTheSha256OfTheJsonlBytes()
    {
        var written = TaskWriter.Write(folder.Path, [new TaskExample("p", "spam", TaskSplits.Test)], Definition);

        Assert.Equal(Sha256File.Of(written.ExamplesPath), written.ExamplesSha256);
        Assert.Equal(Path.Combine(folder.Path, "examples.jsonl"), written.ExamplesPath);
    }

    [Fact]
    public void TaskJsonHasExactlyTheKeysTheServiceReads()
    {
        var written = TaskWriter.Write(folder.Path, [new TaskExample("p", "spam", TaskSplits.Test)], Definition);

        var json = File.ReadAllText(written.DefinitionPath);
        var root = JsonNode.Parse(json)!.AsObject();
        Assert.Equal(["kind", "labels", "label_tokens", "prompt_template", "description"], root.Select(p => p.Key));
        Assert.Equal("classification", (string)root["kind"]!);
        Assert.Equal(Path.Combine(folder.Path, "task.json"), written.DefinitionPath);
        Assert.DoesNotContain("\r", json);
        Assert.Equal(Definition with { }, TaskDefinitionFile.FromJson(json), new DefinitionComparer());
    }

    [Fact]
    public void UnknownLabelOrSplitIsRefused()
    {
        Assert.Contains("maybe", Assert.Throws<ArgumentException>(() =>
            TaskWriter.Write(folder.Path, [new TaskExample("p", "maybe", TaskSplits.Test)], Definition)).Message);
        Assert.Contains("dev", Assert.Throws<ArgumentException>(() =>
            TaskWriter.Write(folder.Path, [new TaskExample("p", "spam", "dev")], Definition)).Message);
    }

    [Fact]
    public void TemplateFillsEachPlaceholderOnce()
    {
        var filled = Definition.Fill([("email", "literally {email}")]);

        Assert.Equal("E-mail:\nliterally {email}\nAnswer:", filled);
        Assert.Throws<ArgumentException>(() => Definition.Fill([]));
    }

    // Records compare lists by reference; task files compare by content.
    private sealed class DefinitionComparer : IEqualityComparer<TaskDefinitionFile>
    {
        public bool Equals(TaskDefinitionFile? x, TaskDefinitionFile? y) =>
            x is not null && y is not null && x.Kind == y.Kind && x.Labels.SequenceEqual(y.Labels) && x.LabelTokens.SequenceEqual(y.LabelTokens)
            && x.PromptTemplate == y.PromptTemplate && x.Description == y.Description;

        public int GetHashCode(TaskDefinitionFile obj) => obj.PromptTemplate.GetHashCode(StringComparison.Ordinal);
    }
}
