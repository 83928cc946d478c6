using Microsoft.ML.Tokenizers;
using UncertaintyService.Data.Tests.Support;

namespace UncertaintyService.Data.Tests.Tasks;

/// <summary>
/// The service reads each class logit at one token following the prompt, so every label token must be
/// a single piece of the Llama 2 SentencePiece tokenizer (the one the repository ships), and appending
/// " token" to a prompt must end in exactly that piece.
/// </summary>
public sealed class LabelTokenTests
{
    private static readonly Lazy<Tokenizer> Llama2 = new(() =>
    {
        using var model = File.OpenRead(RepositoryFiles.Path("models/tokenizers/llama2/tokenizer.model"));
        return LlamaTokenizer.Create(model, addBeginningOfSentence: false, addEndOfSentence: false);
    });

    public static TheoryData<string> Tasks() => [WordNetMcqTask.Name, SpamTask.Name];

    private static TaskDefinitionFile Definition(string task) =>
        task == WordNetMcqTask.Name ? WordNetMcqTask.Definition(seed: 1) : SpamTask.Definition(seed: 1);

    [Theory]
    [MemberData(nameof(Tasks))]
    public void EveryLabelTokenIsOneDistinctLlama2Piece(string task)
    {
        var ids = Definition(task).LabelTokens.Select(token => Llama2.Value.EncodeToIds(token)).ToList();

        Assert.All(ids, piece => Assert.Single(piece));
        Assert.Equal(ids.Count, ids.Select(piece => piece[0]).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void AnsweredPromptEndsInTheLabelPiece(string task)
    {
        var definition = Definition(task);
        var prompt = definition.Fill(definition.PromptTemplate.Contains("{email}")
            ? [("email", "Cheap watches, click here")]
            : [("text", "a domesticated canine"), ("a", "animal"), ("b", "artifact"), ("c", "plant"), ("d", "food")]);

        foreach (var token in definition.LabelTokens)
        {
            var answered = Llama2.Value.EncodeToIds(prompt + " " + token);
            var promptOnly = Llama2.Value.EncodeToIds(prompt);
            Assert.Equal(promptOnly, answered.Take(answered.Count - 1));
            Assert.Equal(Llama2.Value.EncodeToIds(token)[0], answered[^1]);
        }
    }

    [Fact]
    public void SpamAndHamThemselvesWouldNotBeSafeLabelTokens()
    {
        // Why the spam task reads "yes"/"no": "spam" splits into "▁sp" + "am".
        Assert.Equal(2, Llama2.Value.EncodeToIds("spam").Count);
    }
}
