using System.Net;
using System.Text.Json.Nodes;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

/// <summary>POST /v1/tokenize shows what /v1/classify feeds the model: ids as Google's SentencePiece gives them for the Llama 2 model.</summary>
public class TokenizeTests(SharedService service) : IClassFixture<SharedService>
{
    private readonly HttpClient client = service.Client;

    private async Task<JsonNode> Tokenize(object body)
    {
        var response = await client.PostJson("/v1/tokenize", body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.ReadNode();
    }

    private static int[] Ints(JsonNode? node) => node!.AsArray().Select(v => v!.GetValue<int>()).ToArray();

    [Fact]
    public async Task PromptsComeBackWithTheIdsSentencePieceGivesAndTheirPieces()
    {
        var body = await Tokenize(new { adapter = "multiple-choice", prompts = new[] { "Is this spam? Answer: A", "aaaa", "                    {" } });

        var prompts = body["prompts"]!.AsArray();
        // sp.encode(...) of python3-sentencepiece on Llama 2's tokenizer.model, after BOS (1).
        Assert.Equal([1, 1317, 445, 805, 314, 29973, 673, 29901, 319], Ints(prompts[0]!["ids"]));
        Assert.Equal([1, 263, 7340, 29874], Ints(prompts[1]!["ids"]));
        Assert.Equal([1, 462, 268, 426], Ints(prompts[2]!["ids"]));
        Assert.Equal(["<s>", "▁a", "aa", "a"], prompts[1]!["tokens"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal("tokenizer.model", body["tokenizer"]!.GetValue<string>());
    }

    [Fact]
    public async Task TemplateInputsAreFilledAndTheAdaptersLabelsShowTheirTokens()
    {
        var adapters = await (await client.GetAsync("/v1/adapters/yes-no")).ReadNode();
        var body = await Tokenize(new { adapter = "yes-no", inputs = new[] { new { question = "Is water wet?" } } });

        var prompt = body["prompts"]![0]!;
        Assert.Contains("Is water wet?", prompt["text"]!.GetValue<string>());
        Assert.Equal(Ints(prompt["ids"]).Length, prompt["tokens"]!.AsArray().Count);
        var labels = body["labels"]!.AsArray();
        Assert.Equal(adapters["labels"]!.AsArray().Select(l => l!.GetValue<string>()), labels.Select(l => l!["label"]!.GetValue<string>()));
        Assert.All(labels, l => Assert.StartsWith("▁", l!["token"]!.GetValue<string>())); // after "Answer:" and a space
    }

    [Fact]
    public async Task RequestLabelsAreReadAsTheOneTokenAfterThePrompt()
    {
        var body = await Tokenize(new { adapter = "multiple-choice", prompts = new[] { "Pick.\nAnswer:" }, labels = new[] { "A", "B" } });

        var labels = body["labels"]!.AsArray();
        Assert.Equal([319, 350], labels.Select(l => l!["id"]!.GetValue<int>()));
        Assert.Equal(["▁A", "▁B"], labels.Select(l => l!["token"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ALabelOfSeveralTokensIsRefusedNamingTheField()
    {
        var response = await client.PostJson("/v1/tokenize", new { adapter = "multiple-choice", prompts = new[] { "x" }, labels = new[] { "A", "definitely not" } });

        await response.AssertProblem(422, "labels", "'definitely not'");
    }

    [Fact]
    public async Task UnknownAdapterIs404AndMissingPromptsAre422()
    {
        await (await client.PostJson("/v1/tokenize", new { adapter = "nope", prompts = new[] { "x" } })).AssertProblem(404, "nope");
        await (await client.PostJson("/v1/tokenize", new { adapter = "yes-no" })).AssertProblem(422, "prompts");
    }
}
