using System.Net;
using System.Text.Json.Nodes;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

/// <summary>One adapter with every sampled posterior (the generated yes-no adapter) serves each through /v1/classify.</summary>
public class SampledMethodsTests(SharedService service) : IClassFixture<SharedService>
{
    private readonly HttpClient client = service.Client;
    private static readonly string[] Prompts = ["Question: Is the sky blue?\nAnswer:", "Question: Is fire cold?\nAnswer:"];

    private async Task<JsonNode> Classify(string method, int? samples, ulong seed)
    {
        var response = await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = Prompts, method, samples, seed });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadNode();
    }

    [Theory]
    [InlineData("blob", 8)]
    [InlineData("swag", 8)]
    [InlineData("ensemble", 4)]
    [InlineData("svgd", 3)]
    [InlineData("mc_dropout", 8)]
    public async Task EachMethodAnswersWithSampleMomentsAndAveragedProbabilities(string method, int samples)
    {
        var body = await Classify(method, samples, seed: 5);
        foreach (var result in body["results"]!.AsArray())
        {
            var mean = result!["logit_mean"].Doubles();
            var covariance = result["logit_covariance"].Matrix();
            Assert.Equal(covariance[0][1], covariance[1][0]);
            Assert.True(covariance[0][0] > 0 && covariance[1][1] > 0, "samples disagree");
            Assert.True(covariance[0][0] * covariance[1][1] >= covariance[0][1] * covariance[0][1] * (1 - 1e-12), "PSD");
            var p = result["probabilities"]!;
            foreach (var name in new[] { "map", "sampled_mean", "probit" })
                Assert.Equal(1.0, p[name].Doubles().Sum(), 10);
            double softmax0 = 1 / (1 + Math.Exp(mean[1] - mean[0]));
            Assert.Equal(softmax0, p["map"].Doubles()[0], 12);
            var u = result["uncertainty"]!;
            Assert.Equal(u["total_entropy"]!.GetValue<double>(), u["aleatoric"]!.GetValue<double>() + u["epistemic"]!.GetValue<double>(), 10);
            Assert.True(u["epistemic"]!.GetValue<double>() > 0);
        }
        var metadata = body["metadata"]!;
        Assert.Equal(method, metadata["method"]!.GetValue<string>());
        Assert.Equal(samples, metadata["samples"]!.GetValue<int>());
        Assert.Null(metadata["prior_precision"]);
        Assert.Equal(0, metadata["timings_ms"]!["gradients"]!.GetValue<double>());

        var again = await Classify(method, samples, seed: 5);
        Assert.Equal(Json.WithoutPredictionIds(body["results"]!), Json.WithoutPredictionIds(again["results"]!));
        if (method is not ("ensemble" or "svgd"))
        {
            var other = await Classify(method, samples, seed: 6);
            Assert.NotEqual(body["results"]![0]!["logit_mean"]!.ToJsonString(), other["results"]![0]!["logit_mean"]!.ToJsonString());
        }
    }

    [Fact]
    public async Task ZeroSamplesServesTheMeanWeightsAlone()
    {
        var body = await Classify("blob", 0, seed: 1);
        var result = body["results"]![0]!;
        Assert.All(result["logit_covariance"].Matrix().SelectMany(r => r), v => Assert.Equal(0, v));
        Assert.Equal(0, result["uncertainty"]!["epistemic"]!.GetValue<double>());
        Assert.Equal(0, body["metadata"]!["samples"]!.GetValue<int>());
    }

    [Fact]
    public async Task DefaultSamplesComeFromPosteriorJson()
    {
        var body = await Classify("swag", samples: null, seed: 1);
        Assert.Equal(4, body["metadata"]!["samples"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("ensemble", 0, "1..4")]
    [InlineData("ensemble", 5, "4 members")]
    [InlineData("svgd", 4, "3 members")]
    [InlineData("blob", 65, "0..64")]
    [InlineData("mc_dropout", -1, "0..64")]
    public async Task SampleCountsTheMethodCannotGiveAre422(string method, int samples, string words)
    {
        var response = await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = Prompts, method, samples });
        var problem = await response.AssertProblem(422, "samples");
        Assert.Contains(words.Split(' ')[0], problem.ToJsonString());
    }

    [Fact]
    public async Task AMethodTheAdapterLacksIs422NamingTheAvailableOnes()
    {
        var response = await client.PostJson("/v1/classify", new { adapter = "multiple-choice", prompts = Prompts, method = "swag" });
        var problem = await response.AssertProblem(422, "method");
        Assert.Contains("map, laplace", problem.ToJsonString());
    }

    [Fact]
    public async Task AdapterDetailsDescribeEverySampledPosterior()
    {
        var details = await (await client.GetAsync("/v1/adapters/yes-no")).ReadNode();
        var sampled = details["sampled_posteriors"]!.AsArray().ToDictionary(s => s!["method"]!.GetValue<string>());
        Assert.Equal(["blob", "swag", "ensemble", "svgd", "mc_dropout"], sampled.Keys);
        Assert.Equal("blob.safetensors", sampled["blob"]!["file"]!.GetValue<string>());
        Assert.Equal("square", sampled["blob"]!["details"]!["sigma_mapping"]!.GetValue<string>());
        Assert.Equal(4, sampled["ensemble"]!["max_samples"]!.GetValue<int>());
        Assert.Equal("svgd", sampled["svgd"]!["details"]!["training"]!.GetValue<string>());
        Assert.Equal("0.1", sampled["mc_dropout"]!["details"]!["dropout"]!.GetValue<string>());
        Assert.Equal("3", sampled["swag"]!["details"]!["deviation_columns"]!.GetValue<string>());
    }
}
