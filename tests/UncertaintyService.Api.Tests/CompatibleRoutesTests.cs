using System.Net;
using System.Text.Json.Nodes;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

/// <summary>
/// The compatible routes in the shapes their originals document: vLLM's POST /classify (docs.vllm.ai
/// "Classification API": model and input, a string or a list; data of index, label, probs, num_classes;
/// usage) and Text Embeddings Inference's POST /predict (inputs, a string or a list; a list of
/// {score, label} per input, most probable first; raw_scores), answered as /v1/classify answers.
/// </summary>
public class CompatibleRoutesTests(SharedService service) : IClassFixture<SharedService>
{
    private readonly HttpClient client = service.Client;

    private async Task<JsonNode> Ok(string path, object body)
    {
        var response = await client.PostJson(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    [Fact]
    public async Task VllmClassifyAnswersInVllmsShapeWithTheSameProbabilitiesAsV1Classify()
    {
        var vllm = await Ok("/classify", new { model = "yes-no", input = new[] { "Is water wet?\nAnswer:", "Is fire cold?\nAnswer:" } });
        var native = await Ok("/v1/classify", new { adapter = "yes-no", prompts = new[] { "Is water wet?\nAnswer:", "Is fire cold?\nAnswer:" }, method = "map" });

        Assert.StartsWith("classify-", vllm["id"]!.GetValue<string>());
        Assert.Equal("list", vllm["object"]!.GetValue<string>());
        Assert.Equal("yes-no", vllm["model"]!.GetValue<string>());
        Assert.True(vllm["created"]!.GetValue<long>() > 1_700_000_000);
        var data = vllm["data"]!.AsArray();
        Assert.Equal(2, data.Count);
        for (int i = 0; i < 2; i++)
        {
            var item = data[i]!;
            Assert.Equal(i, item["index"]!.GetValue<int>());
            var probs = item["probs"].Doubles();
            Assert.Equal(item["num_classes"]!.GetValue<int>(), probs.Length);
            Assert.Equal(1.0, probs.Sum(), 9);
            var labels = item["uncertainty"]!["labels"]!.AsArray().Select(l => l!.GetValue<string>()).ToArray();
            Assert.Equal(labels[Array.IndexOf(probs, probs.Max())], item["label"]!.GetValue<string>());
            // The MAP probabilities beside them are /v1/classify's for the same text.
            Assert.Equal(native["results"]![i]!["probabilities"]!["map"].Doubles(), item["uncertainty"]!["probs_map"].Doubles());
            Assert.True(item["uncertainty"]!["epistemic"]!.GetValue<double>() >= 0);
        }
        var usage = vllm["usage"]!;
        Assert.Equal(usage["prompt_tokens"]!.GetValue<int>(), usage["total_tokens"]!.GetValue<int>());
        Assert.Equal(0, usage["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task VllmClassifyTakesOneStringAndRefusesTokenIds()
    {
        var one = await Ok("/classify", new { model = "yes-no", input = "Is water wet?\nAnswer:" });
        Assert.Single(one["data"]!.AsArray());

        await (await client.PostJson("/classify", new { model = "yes-no", input = new[] { 1, 2, 3 } })).AssertProblem(422, "input");
        await (await client.PostJson("/classify", new { model = "nope", input = "x" })).AssertProblem(404, "nope");
    }

    [Fact]
    public async Task TeiPredictGivesScoredLabelsMostProbableFirst()
    {
        var single = (await Ok("/tei/yes-no/predict", new { inputs = "Is water wet?\nAnswer:" })).AsArray();
        var scores = single.Select(x => x!["score"]!.GetValue<double>()).ToArray();
        Assert.Equal(scores.OrderByDescending(x => x), scores);
        Assert.Equal(1.0, scores.Sum(), 9);
        Assert.All(single, x => Assert.False(string.IsNullOrEmpty(x!["label"]!.GetValue<string>())));

        var batch = (await Ok("/tei/yes-no/predict", new { inputs = new[] { "a", "b", "c" } })).AsArray();
        Assert.Equal(3, batch.Count);
        Assert.All(batch, list => Assert.Equal(single.Count, list!.AsArray().Count));

        var raw = (await Ok("/tei/yes-no/predict", new { inputs = "Is water wet?\nAnswer:", raw_scores = true })).AsArray();
        Assert.NotEqual(1.0, raw.Sum(x => x!["score"]!.GetValue<double>()), 6);
    }
}
