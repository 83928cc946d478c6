using System.Net;
using System.Text.Json.Nodes;
using UncertaintyService.Api.Tests.Support;
using UncertaintyService.Core.Synthetic;

namespace UncertaintyService.Api.Tests;

/// <summary>A service over the generated bundle plus a generated reward adapter, started once for the reward tests.</summary>
public sealed class RewardService : IAsyncLifetime
{
    public TestModelRoot Models { get; } = new();
    public ServiceFactory Factory { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        RewardDemoAdapter.Write(Models.Bundle, "reward", seed: 9);
        Factory = new ServiceFactory(Models);
        Client = await Factory.ReadyClient();
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        Models.Dispose();
    }
}

public class RewardTests(RewardService service) : IClassFixture<RewardService>
{
    private const string Prompt = "Which word is more positive?";
    private readonly HttpClient client = service.Client;

    private async Task<JsonNode> Ok(string path, object body)
    {
        var response = await client.PostJson(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    [Fact]
    public async Task PairsCarryTheJointGaussianAndEveryProbabilityFollowsItsFormula()
    {
        var body = await Ok("/v1/reward", new
        {
            adapter = "reward",
            pairs = new[] { new { prompt = Prompt, chosen = "wonderful", rejected = "dreadful" }, new { prompt = Prompt, chosen = "ok", rejected = "awful day" } },
            samples = 4000,
            seed = 3,
        });
        foreach (var pair in body["pairs"]!.AsArray())
        {
            double Get(string name) => pair![name]!.GetValue<double>();
            double m = Get("chosen_reward_mean") - Get("rejected_reward_mean");
            double s2 = Get("chosen_reward_variance") + Get("rejected_reward_variance") - 2 * Get("reward_covariance");
            Assert.True(Get("chosen_reward_variance") > 0 && Get("rejected_reward_variance") > 0);
            Assert.True(Get("reward_covariance") != 0, "two texts through the same posterior should covary");
            Assert.Equal(m, Get("difference_mean"), 12);
            Assert.Equal(s2, Get("difference_variance"), 12);
            Assert.Equal(1 / (1 + Math.Exp(-m)), Get("p_map"), 12);
            Assert.Equal(1 / (1 + Math.Exp(-m / Math.Sqrt(1 + Math.PI / 8 * s2))), Get("p_chosen_preferred_probit"), 12);
            Assert.Equal(NormalCdf(m / Math.Sqrt(s2)), Get("p_reward_higher"), 6);
            // 4,000 draws: the Monte Carlo mean is within a few standard errors of the probit approximation's neighbourhood.
            Assert.InRange(Get("p_chosen_preferred"), Get("p_chosen_preferred_probit") - 0.02, Get("p_chosen_preferred_probit") + 0.02);
        }
        Assert.Equal("laplace", body["metadata"]!["method"]!.GetValue<string>());
        Assert.Equal(4, body["metadata"]!["batch_texts"]!.GetValue<int>());

        var again = await Ok("/v1/reward", new
        {
            adapter = "reward",
            pairs = new[] { new { prompt = Prompt, chosen = "wonderful", rejected = "dreadful" } },
            samples = 4000,
            seed = 3,
        });
        // Same seed, same draws; the pair's batch of two texts instead of four pads differently, so float32 rounding may move the moments a little.
        Assert.Equal(body["pairs"]![0]!["p_chosen_preferred"]!.GetValue<double>(), again["pairs"]![0]!["p_chosen_preferred"]!.GetValue<double>(), 1e-6);
    }

    [Fact]
    public async Task ItemsAgreeWithThePairsAndTheOpenRlhfAlias()
    {
        var items = await Ok("/v1/reward", new { adapter = "reward", items = new[] { new { prompt = Prompt, response = "wonderful" }, new { prompt = Prompt, response = "dreadful" } } });
        var pairs = await Ok("/v1/reward", new { adapter = "reward", pairs = new[] { new { prompt = Prompt, chosen = "wonderful", rejected = "dreadful" } }, approximation = "probit" });
        var alias = await Ok("/v1/reward/reward/get_reward", new { query = new[] { $"{Prompt} wonderful", $"{Prompt} dreadful" }, prompts = new[] { Prompt, Prompt } });

        var means = items["items"]!.AsArray().Select(i => i!["reward_mean"]!.GetValue<double>()).ToArray();
        var variances = items["items"]!.AsArray().Select(i => i!["reward_variance"]!.GetValue<double>()).ToArray();
        Close(means, alias["rewards"].Doubles());
        Close(means, alias["scores"].Doubles());
        Close(variances, alias["reward_variances"].Doubles());
        var pair = pairs["pairs"]![0]!;
        Assert.Equal(means[0], pair["chosen_reward_mean"]!.GetValue<double>(), 5);
        Assert.Equal(variances[1], pair["rejected_reward_variance"]!.GetValue<double>(), 5);
        Assert.Equal(pair["p_chosen_preferred_probit"]!.GetValue<double>(), pair["p_chosen_preferred"]!.GetValue<double>());
        Assert.Null(pair["p_chosen_preferred_std"]);
        Assert.Equal(0, pairs["metadata"]!["samples"]!.GetValue<int>());

        var map = await Ok("/v1/reward", new { adapter = "reward", method = "map", items = new[] { new { prompt = Prompt, response = "wonderful" } } });
        Assert.Equal(0, map["items"]![0]!["reward_variance"]!.GetValue<double>());
        Assert.Equal(means[0], map["items"]![0]!["reward_mean"]!.GetValue<double>(), 5);
    }

    [Theory]
    [InlineData("blob", 4)]
    [InlineData("swag", 4)]
    [InlineData("ensemble", 4)]
    [InlineData("svgd", 3)]
    [InlineData("mc_dropout", 4)]
    public async Task EverySampledMethodServesRewardsFromItsOwnWeightSamples(string method, int samples)
    {
        var pairs = new[] { new { prompt = Prompt, chosen = "wonderful", rejected = "dreadful" }, new { prompt = Prompt, chosen = "fine", rejected = "bad" } };
        var body = await Ok("/v1/reward", new { adapter = "reward", method, samples, seed = 5, pairs });
        foreach (var pair in body["pairs"]!.AsArray())
        {
            double Get(string name) => pair![name]!.GetValue<double>();
            Assert.True(Get("chosen_reward_variance") > 0 && Get("rejected_reward_variance") > 0, $"{method}: weight samples spread the rewards");
            Assert.Equal(Get("chosen_reward_mean") - Get("rejected_reward_mean"), Get("difference_mean"), 12);
            Assert.InRange(Get("p_chosen_preferred"), 1e-9, 1 - 1e-9);
            Assert.NotNull(pair!["p_chosen_preferred_std"]);
        }
        var metadata = body["metadata"]!;
        Assert.Equal(method, metadata["method"]!.GetValue<string>());
        Assert.Equal(samples, metadata["samples"]!.GetValue<int>());
        Assert.Null(metadata["prior_precision"]);

        // Same seed, same draws; an item drawn from the seed of pair 0 scores its chosen text with those same weights.
        var again = await Ok("/v1/reward", new { adapter = "reward", method, samples, seed = 5, pairs });
        Assert.Equal(Json.WithoutPredictionIds(body["pairs"]!), Json.WithoutPredictionIds(again["pairs"]!));
        var item = await Ok("/v1/reward", new { adapter = "reward", method, samples, seed = 5, items = new[] { new { prompt = Prompt, response = "wonderful" } } });
        Assert.Equal(body["pairs"]![0]!["chosen_reward_mean"]!.GetValue<double>(), item["items"]![0]!["reward_mean"]!.GetValue<double>(), 5);
        Assert.Equal(body["pairs"]![0]!["chosen_reward_variance"]!.GetValue<double>(), item["items"]![0]!["reward_variance"]!.GetValue<double>(), 5);
    }

    [Fact]
    public async Task AnEnsembleCannotGiveMoreSamplesThanMembersNorItsMeanWeights()
    {
        foreach (int samples in new[] { 0, 5 })
        {
            var response = await client.PostJson("/v1/reward", new { adapter = "reward", method = "ensemble", samples, items = new[] { new { prompt = Prompt, response = "ok" } } });
            await response.AssertProblem(422, "samples");
        }
    }

    public static TheoryData<string, string[]> BadRequests => new()
    {
        { """{"adapter":"reward","items":[{"prompt":"p","response":"r"}],"pairs":[{"prompt":"p","chosen":"a","rejected":"b"}]}""", ["items", "exactly one"] },
        { """{"adapter":"reward"}""", ["items"] },
        { """{"adapter":"reward","pairs":[{"prompt":"p","chosen":"a"}]}""", ["pairs[0].rejected", "non-empty"] },
        { """{"adapter":"reward","pairs":[{"prompt":"p","chosen":"same","rejected":"same"}]}""", ["pairs[0].rejected", "same text"] },
        { """{"adapter":"reward","pairs":[{"prompt":"p","chosen":"a","rejected":"b"},null]}""", ["pairs[1]", "object"] },
        { """{"adapter":"reward","pairs":[{"chosen":"a","rejected":"b"}]}""", ["pairs[0].prompt", "required"] },
        { """{"adapter":"reward","pairs":[]}""", ["pairs", "1..16"] },
        { """{"adapter":"reward","items":[{"prompt":"p","response":""}],"approximation":"exact","samples":0}""", ["items[0].response", "approximation", "samples"] },
        { """{"adapter":"yes-no","items":[{"prompt":"p","response":"r"}]}""", ["adapter", "/v1/classify"] },
        { """{"adapter":"reward","items":[{"prompt":"p","response":"r"}],"method":"swa"}""", ["method", "swa"] },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRewardRequestsAre422NamingTheField(string json, string[] named)
    {
        var response = await client.PostAsync("/v1/reward", Json.Body(json));
        await response.AssertProblem(422, named);
    }

    [Fact]
    public async Task MalformedUnknownAndMisdirectedRequestsAreProblemsNeverServerErrors()
    {
        await (await client.PostAsync("/v1/reward", Json.Body("""{"adapter":"reward","pairs":[{"prompt":"p","chosen":"a","rejected":"b","extra":1}]}""")))
            .AssertProblem(400, "extra");
        await (await client.PostAsync("/v1/reward", Json.Body("""{"adapter":"reward","pairs":{"prompt":"p"}}"""))).AssertProblem(400, "$.pairs");
        await (await client.PostAsync("/v1/reward", Json.Body("""{"adapter":"nope","items":[{"prompt":"p","response":"r"}]}"""))).AssertProblem(404, "nope");
        await (await client.PostAsync("/v1/reward/reward/get_reward", Json.Body("""{"prompts":["p"]}"""))).AssertProblem(422, "query");
        await (await client.PostAsync("/v1/reward/reward/get_reward", Json.Body("""{"query":["ok",""]}"""))).AssertProblem(422, "query[1]");
        await (await client.PostAsync("/v1/reward/yes-no/get_reward", Json.Body("""{"query":["ok"]}"""))).AssertProblem(422, "adapter");
    }

    [Theory]
    [InlineData("mean", null)]
    [InlineData("lower_bound", 2.0)]
    [InlineData("uncertainty_weighted", 0.5)]
    public async Task TheRiskSettingGivesTheScoreItNamesBesideMeanAndVariance(string risk, double? coefficient)
    {
        var body = await Ok("/v1/reward", new
        {
            adapter = "reward", method = "laplace", risk, risk_coefficient = coefficient,
            items = new[] { new { prompt = Prompt, response = "wonderful" } },
            pairs = (object?)null,
        });
        var item = body["items"]![0]!;
        double m = item["reward_mean"]!.GetValue<double>(), v = item["reward_variance"]!.GetValue<double>();
        double expected = risk switch { "lower_bound" => m - 2.0 * Math.Sqrt(v), "uncertainty_weighted" => m - 0.5 * v, _ => m };
        Assert.True(v > 0);
        Assert.Equal(expected, item["score"]!.GetValue<double>(), 12);
        Assert.Equal(risk, body["metadata"]!["risk"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheOpenRlhfAliasLogsTheVarianceInExtraLogsAndTakesTheRiskFromItsQueryString()
    {
        var plain = await Ok("/v1/reward/reward/get_reward", new { query = new[] { $"{Prompt} wonderful", $"{Prompt} dreadful" } });
        var means = plain["extra_logs"]!["reward_mean"].Doubles();
        var variances = plain["extra_logs"]!["reward_variance"].Doubles();
        Assert.Equal(plain["rewards"].Doubles(), means);
        Assert.Equal(variances.Select(Math.Sqrt), plain["extra_logs"]!["reward_std"].Doubles());

        var cautious = await Ok("/v1/reward/reward/get_reward?risk=lower_bound&risk_coefficient=1.5", new { query = new[] { $"{Prompt} wonderful", $"{Prompt} dreadful" } });
        Assert.Equal(means.Select((mu, i) => mu - 1.5 * Math.Sqrt(variances[i])).ToArray(), cautious["rewards"].Doubles(), new Tolerance(1e-9));
        Assert.Equal(cautious["rewards"].Doubles(), cautious["scores"].Doubles());

        await (await client.PostJson("/v1/reward/reward/get_reward?risk=optimistic", new { query = new[] { "x" } })).AssertProblem(422, "risk");
    }


    [Fact]
    public async Task TokenizeShowsTheFilledRewardTemplateAndRefusesLabels()
    {
        var body = await Ok("/v1/tokenize", new { adapter = "reward", inputs = new[] { new { prompt = Prompt, response = "wonderful" } } });
        Assert.Equal($"{Prompt} wonderful", body["prompts"]![0]!["text"]!.GetValue<string>());
        Assert.Null(body["labels"]);

        var refused = await client.PostJson("/v1/tokenize", new { adapter = "reward", prompts = new[] { "x" }, labels = new[] { "A", "B" } });
        await refused.AssertProblem(422, "labels", "reward");
    }

    [Fact]
    public async Task AdaptersListTheRewardAdapterAndTheOpenApiDocumentHasBothRoutes()
    {
        await Ok("/v1/reward", new { adapter = "reward", items = new[] { new { prompt = Prompt, response = "fine" } } });
        var adapters = (await (await client.GetAsync("/v1/adapters")).ReadNode()).AsArray();
        Assert.Contains(adapters, a => a!["id"]!.GetValue<string>() == "reward" && a["kind"]!.GetValue<string>() == "reward");
        var paths = (await (await client.GetAsync("/swagger/v1/swagger.json")).ReadNode())["paths"]!.AsObject();
        Assert.True(paths.ContainsKey("/v1/reward"));
        Assert.True(paths.ContainsKey("/v1/reward/{adapter}/get_reward"));
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("route=\"/v1/reward\"", metrics);
    }

    // The same texts in another request: the same numbers up to float32 batching differences.
    private static void Close(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], 1e-6 * Math.Max(1, Math.Abs(expected[i])));
    }

    private static double NormalCdf(double x)
    {
        // Abramowitz-Stegun 7.1.26 is too coarse for 1e-6; integrate the density instead (Simpson, 20,000 steps).
        double lower = Math.Min(x, -10), h = (x - lower) / 20000, sum = 0;
        for (int i = 0; i <= 20000; i++)
        {
            double t = lower + i * h, w = i is 0 or 20000 ? 1 : i % 2 == 1 ? 4 : 2;
            sum += w * Math.Exp(-t * t / 2);
        }
        return sum * h / 3 / Math.Sqrt(2 * Math.PI);
    }
}
