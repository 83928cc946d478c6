using System.Net;
using System.Text.Json.Nodes;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

/// <summary>
/// Requests for different adapters (two classification, one reward), methods, label sets and sample
/// counts sent at once share forward passes, and each gets the answer it gets alone.
/// </summary>
public class MixedBatchTests(RewardService service) : IClassFixture<RewardService>
{
    private const string Prompt = "Which word is more positive?";
    private readonly HttpClient client = service.Client;

    // Texts per adapter: yes-no 4, multiple-choice 3, reward 5; a batch of more than 5 texts mixes adapters.
    private static readonly (string Path, object Body)[] Requests =
    [
        ("/v1/classify", new { adapter = "yes-no", method = "laplace", seed = 1, samples = 500, prompts = new[] { "Is it raining?\nAnswer:", "Is water wet?\nAnswer:" } }),
        ("/v1/classify", new { adapter = "yes-no", method = "blob", seed = 2, samples = 4, prompts = new[] { "Is the sky green?\nAnswer:" } }),
        ("/v1/classify", new { adapter = "yes-no", method = "mc_dropout", seed = 3, samples = 3, prompts = new[] { "Is it late?\nAnswer:" } }),
        ("/v1/classify", new { adapter = "multiple-choice", method = "map", prompts = new[] { "Pick one.\nAnswer:", "Which is red?\nAnswer:" } }),
        ("/v1/classify", new { adapter = "multiple-choice", method = "laplace", seed = 4, samples = 500, labels = new[] { "A", "B" }, prompts = new[] { "Two options.\nAnswer:" } }),
        ("/v1/reward", new { adapter = "reward", method = "map", items = new[] { new { prompt = Prompt, response = "lovely" } } }),
        ("/v1/reward", new { adapter = "reward", method = "ensemble", samples = 4, seed = 5, pairs = new[] { new { prompt = Prompt, chosen = "great", rejected = "awful" } } }),
        ("/v1/reward", new { adapter = "reward", method = "laplace", samples = 500, seed = 6, pairs = new[] { new { prompt = Prompt, chosen = "good", rejected = "bad" } } }),
    ];

    [Fact]
    public async Task EveryRequestGetsItsAnswerAloneWhateverItIsBatchedWith()
    {
        var alone = new List<JsonNode>();
        foreach (var (path, body) in Requests)
            alone.Add(await Ok(path, body));

        bool mixed = false;
        for (int round = 0; round < 8 && !mixed; round++)
        {
            var together = await Task.WhenAll(Requests.Select(r => Ok(r.Path, r.Body)));
            for (int i = 0; i < Requests.Length; i++)
                AssertSameNumbers(alone[i], together[i], $"request {i}");
            mixed = together.Any(r => (r["metadata"]!["batch_prompts"] ?? r["metadata"]!["batch_texts"])!.GetValue<int>() > 5);
        }
        Assert.True(mixed, "no batch mixed adapters in 8 rounds of concurrent requests");
    }

    private async Task<JsonNode> Ok(string path, object body)
    {
        var response = await client.PostJson(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    // Every number of the results (not the metadata, whose timings and batch sizes differ) agrees to float32 rounding.
    private static void AssertSameNumbers(JsonNode expected, JsonNode actual, string what)
    {
        var a = Numbers(expected["results"] ?? expected["items"] ?? expected["pairs"]).ToList();
        var b = Numbers(actual["results"] ?? actual["items"] ?? actual["pairs"]).ToList();
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
            Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5 * (1 + Math.Abs(a[i])), $"{what}, number {i}: {b[i]} alone {a[i]}");
    }

    private static IEnumerable<double> Numbers(JsonNode? node) => node switch
    {
        JsonArray array => array.SelectMany(Numbers),
        JsonObject obj => obj.OrderBy(p => p.Key).SelectMany(p => Numbers(p.Value)),
        JsonValue value when value.TryGetValue<double>(out var d) => [d],
        _ => [],
    };
}
