using System.Net;
using System.Text.Json.Nodes;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

public class ClassifyTests(SharedService service) : IClassFixture<SharedService>
{
    private readonly HttpClient client = service.Client;

    private async Task<JsonNode> Classify(object body)
    {
        var response = await client.PostJson("/v1/classify", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadNode();
    }

    [Fact]
    public async Task LaplaceResponseSatisfiesEveryInvariant()
    {
        var body = await Classify(new
        {
            adapter = "multiple-choice",
            prompts = new[] { "Which is a fruit?\nA. apple\nB. brick\nC. cloud\nD. door\nAnswer:", "Pick one.\nAnswer:", "x" },
            seed = 11, samples = 2000,
        });
        var results = body["results"]!.AsArray();
        Assert.Equal(3, results.Count);
        foreach (var result in results)
        {
            var labels = result!["labels"]!.AsArray().Select(l => l!.GetValue<string>()).ToArray();
            Assert.Equal(["A", "B", "C", "D"], labels);
            var mean = result["logit_mean"].Doubles();
            var covariance = result["logit_covariance"].Matrix();
            AssertSymmetricPsdWithPositiveTrace(covariance);
            Assert.Equal(Enumerable.Range(0, 4).Select(i => covariance[i][i]), result["logit_variance"].Doubles());

            var p = result["probabilities"]!;
            foreach (var name in new[] { "map", "sampled_mean", "probit" })
                Assert.Equal(1.0, p[name].Doubles().Sum(), 10);
            AssertClose(Softmax(mean), p["map"].Doubles(), 1e-12);
            AssertClose(Softmax(mean.Select((m, i) => m / Math.Sqrt(1 + Math.PI / 8 * covariance[i][i])).ToArray()), p["probit"].Doubles(), 1e-12);
            Assert.All(p["sampled_std"].Doubles(), s => Assert.True(s >= 0));

            var u = result["uncertainty"]!;
            double total = u["total_entropy"]!.GetValue<double>(), aleatoric = u["aleatoric"]!.GetValue<double>(), epistemic = u["epistemic"]!.GetValue<double>();
            Assert.Equal(total, aleatoric + epistemic, 10);
            Assert.Equal(-p["sampled_mean"].Doubles().Sum(x => x * Math.Log(x)), total, 10);
            var sampled = p["sampled_mean"].Doubles();
            Assert.Equal(labels[Array.IndexOf(sampled, sampled.Max())], result["prediction"]!.GetValue<string>());
            Assert.Equal(sampled.Max(), result["confidence"]!.GetValue<double>(), 12);
        }
        var metadata = body["metadata"]!;
        Assert.Equal("multiple-choice", metadata["adapter"]!.GetValue<string>());
        Assert.Equal(64, metadata["adapter_sha256"]!.GetValue<string>().Length);
        Assert.Equal("laplace", metadata["method"]!.GetValue<string>());
        Assert.Equal(1e4, metadata["prior_precision"]!.GetValue<double>());
        Assert.Equal(2000, metadata["samples"]!.GetValue<int>());
        Assert.Equal(11UL, metadata["seed"]!.GetValue<ulong>());
        foreach (var phase in new[] { "queue", "forward", "gradients", "covariance", "sampling", "total" })
            Assert.True(metadata["timings_ms"]![phase]!.GetValue<double>() >= 0);
    }

    [Fact]
    public async Task TheSameSeedGivesTheSameSamplesAndAnotherSeedOthers()
    {
        object Request(int seed) => new { adapter = "yes-no", inputs = new[] { new { question = "Is water wet?" } }, seed, samples = 300 };
        var a = (await Classify(Request(5)))["results"]![0]!["probabilities"]!["sampled_mean"].Doubles();
        var b = (await Classify(Request(5)))["results"]![0]!["probabilities"]!["sampled_mean"].Doubles();
        var c = (await Classify(Request(6)))["results"]![0]!["probabilities"]!["sampled_mean"].Doubles();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public async Task TemplateInputsGiveTheSameAnswerAsTheFilledPrompt()
    {
        var filled = await Classify(new { adapter = "yes-no", prompts = new[] { "Question: Is fire cold?\nAnswer:" }, seed = 3 });
        var templated = await Classify(new { adapter = "yes-no", inputs = new[] { new { question = "Is fire cold?" } }, seed = 3 });
        Assert.Equal(filled["results"]![0]!["logit_mean"].Doubles(), templated["results"]![0]!["logit_mean"].Doubles());
        Assert.Equal(filled["results"]![0]!["probabilities"]!["sampled_mean"].Doubles(),
            templated["results"]![0]!["probabilities"]!["sampled_mean"].Doubles());
    }

    [Fact]
    public async Task MapMethodHasNoSpreadAndNoEpistemicPart()
    {
        var result = (await Classify(new { adapter = "yes-no", prompts = new[] { "Is it?" }, method = "map" }))["results"]![0]!;
        Assert.All(result["logit_covariance"].Matrix().SelectMany(r => r), v => Assert.Equal(0, v));
        var p = result["probabilities"]!;
        Assert.Equal(p["map"].Doubles(), p["sampled_mean"].Doubles());
        Assert.Equal(p["map"].Doubles(), p["probit"].Doubles());
        Assert.Equal(0, result["uncertainty"]!["epistemic"]!.GetValue<double>());
    }

    [Fact]
    public async Task LabelsOverrideTheAdaptersLabels()
    {
        var result = (await Classify(new { adapter = "yes-no", prompts = new[] { "Colour?" }, labels = new[] { "red", "green", "blue" } }))["results"]![0]!;
        Assert.Equal(["red", "green", "blue"], result["labels"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal(3, result["logit_covariance"].Matrix().Length);
    }

    [Theory]
    [InlineData("diag", false, true)]
    [InlineData("none", false, false)]
    public async Task CovarianceModeControlsWhatIsReturned(string mode, bool matrix, bool variance)
    {
        var result = (await Classify(new { adapter = "yes-no", prompts = new[] { "Is it?" }, covariance = mode }))["results"]![0]!;
        Assert.Equal(matrix, result["logit_covariance"] is not null);
        Assert.Equal(variance, result["logit_variance"] is not null);
    }

    [Fact]
    public async Task ProbitApproximationPicksPredictionFromProbit()
    {
        var result = (await Classify(new { adapter = "multiple-choice", prompts = new[] { "?" }, approximation = "probit" }))["results"]![0]!;
        var probit = result["probabilities"]!["probit"].Doubles();
        Assert.Equal(probit.Max(), result["confidence"]!.GetValue<double>(), 12);
    }

    [Fact]
    public async Task ConcurrentRequestsAreBatchedAndEachGetsItsOwnAnswer()
    {
        var prompts = Enumerable.Range(0, 12).Select(i => $"Question: number {i}?\nAnswer:").ToArray();
        var alone = await Task.WhenAll(prompts.Select(p => Classify(new { adapter = "yes-no", prompts = new[] { p }, method = "map" })));
        var together = await Task.WhenAll(prompts.Select(p => Classify(new { adapter = "yes-no", prompts = new[] { p }, method = "map" })));
        for (int i = 0; i < prompts.Length; i++)
            AssertClose(alone[i]["results"]![0]!["logit_mean"].Doubles(), together[i]["results"]![0]!["logit_mean"].Doubles(), 1e-5);
        Assert.Contains(together.Concat(alone), r => r["metadata"]!["batch_prompts"]!.GetValue<int>() > 1);
    }

    private static double[] Softmax(double[] x)
    {
        double max = x.Max();
        var e = x.Select(v => Math.Exp(v - max)).ToArray();
        return e.Select(v => v / e.Sum()).ToArray();
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"[{i}] {expected[i]} vs {actual[i]}");
    }

    private static void AssertSymmetricPsdWithPositiveTrace(double[][] m)
    {
        int n = m.Length;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                Assert.Equal(m[i][j], m[j][i]);
        Assert.True(Enumerable.Range(0, n).Sum(i => m[i][i]) > 0);
        // PSD: a Cholesky factorisation of m + tiny jitter exists.
        var l = new double[n, n];
        double scale = Enumerable.Range(0, n).Max(i => m[i][i]);
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double sum = m[i][j] + (i == j ? 1e-9 * scale : 0);
                for (int k = 0; k < j; k++) sum -= l[i, k] * l[j, k];
                if (i == j)
                {
                    Assert.True(sum > 0, $"covariance is not positive semi-definite (pivot {sum})");
                    l[i, i] = Math.Sqrt(sum);
                }
                else
                    l[i, j] = sum / l[j, j];
            }
    }
}
