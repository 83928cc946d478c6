using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Tests.Support;
using UncertaintyService.Core.Tokenization;
using UncertaintyService.Data;

namespace UncertaintyService.Core.Tests.Tokenization;

/// <summary>The Data library writes task.json without the core; the core's strict reader must accept what it writes.</summary>
public class DataTaskCompatibilityTests
{
    public static TheoryData<string> Tasks => ["wordnet-mcq", "spam"];

    [Theory]
    [MemberData(nameof(Tasks))]
    public void TaskJsonWrittenByTheDataLibraryLoadsAndItsLabelsAreSingleTokens(string name)
    {
        var definition = name == "spam" ? SpamTask.Definition(seed: 1) : WordNetMcqTask.Definition(seed: 1);
        using var folder = new TempFolder();
        var written = TaskWriter.Write(folder.Path, [new TaskExample("x", definition.Labels[0], TaskSplits.Train)], definition);

        var loaded = TaskDefinition.Load(written.DefinitionPath);
        Assert.Equal(definition.Labels, loaded.Labels);
        Assert.Equal(definition.LabelTokens, loaded.TokenTexts);
        Assert.Equal(definition.PromptTemplate, loaded.PromptTemplate);

        var tokenizer = PromptTokenizer.Load(RepositoryFiles.Path("models/tokenizers/llama2"));
        Assert.Equal(loaded.Labels.Count, tokenizer.LabelTokens(loaded.TokenTexts, loaded.LabelContext).Distinct().Count());
    }
}
