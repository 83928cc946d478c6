using System.Net;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

/// <summary>prediction=map answers with the logit mean's argmax and the predictive's probability of it.</summary>
public class PredictionChoiceTests(SharedService service) : IClassFixture<SharedService>
{
    [Fact]
    public async Task MapPredictionKeepsTheMapAnswerWithThePredictiveConfidence()
    {
        var prompts = Enumerable.Range(0, 12).Select(i => $"Question {i}: is it so?\nAnswer:").ToArray();
        var response = await service.Client.PostJson("/v1/classify", new { adapter = "multiple-choice", prompts, method = "laplace", prediction = "map", samples = 500, seed = 3 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        foreach (var result in (await response.ReadNode())["results"]!.AsArray())
        {
            var mean = result!["logit_mean"].Doubles();
            var labels = result["labels"]!.AsArray().Select(l => l!.GetValue<string>()).ToArray();
            int best = Array.IndexOf(mean, mean.Max());
            Assert.Equal(labels[best], result["prediction"]!.GetValue<string>());
            Assert.Equal(result["probabilities"]!["sampled_mean"].Doubles()[best], result["confidence"]!.GetValue<double>());
        }

        await (await service.Client.PostJson("/v1/classify", new { adapter = "multiple-choice", prompts, prediction = "mode" })).AssertProblem(422, "prediction");
    }
}
