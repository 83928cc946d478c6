using System.Net;
using System.Text.Json.Nodes;
using UncertaintyService.Api.Tests.Support;
using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Api.Tests;

/// <summary>Selective prediction: results abstain below min_confidence, or below the test-split threshold that reached target_accuracy.</summary>
public sealed class AbstentionTests : IDisposable
{
    private readonly TestModelRoot models = new();

    public void Dispose() => models.Dispose();

    [Fact]
    public async Task ResultsBelowTheThresholdAbstainAndTheRuleIsReported()
    {
        // A calibration report for yes-no's laplace test split: right 9 times in 10 above 0.6, a coin below.
        new CalibrationReport
        {
            Splits = new Dictionary<string, IReadOnlyDictionary<string, CalibrationMetrics>>
            {
                ["test"] = new Dictionary<string, CalibrationMetrics>
                {
                    ["laplace"] = new() { Acc = 0.7, N = 100, Bins = [new(0.5, 0.6, 50, 0.55, 0.5), new(0.6, 0.7, 50, 0.65, 0.9)] },
                },
            },
        }.Save(Path.Combine(models.AdapterFolder("yes-no"), CalibrationReport.FileName));
        await using var factory = new ServiceFactory(models);
        var client = await factory.ReadyClient();
        var prompts = Enumerable.Range(0, 16).Select(i => $"Question {i}: is it?\nAnswer:").ToArray();

        async Task<JsonNode> Ask(object body)
        {
            var response = await client.PostJson("/v1/classify", body);
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            return await response.ReadNode();
        }

        var byConfidence = await Ask(new { adapter = "yes-no", prompts, method = "laplace", min_confidence = 0.55, seed = 1 });
        foreach (var r in byConfidence["results"]!.AsArray())
            Assert.Equal(r!["confidence"]!.GetValue<double>() < 0.55, r["abstain"]!.GetValue<bool>());
        Assert.Equal("min_confidence", byConfidence["metadata"]!["abstention"]!["rule"]!.GetValue<string>());

        var byTarget = await Ask(new { adapter = "yes-no", prompts, method = "laplace", target_accuracy = 0.85, seed = 1 });
        var abstention = byTarget["metadata"]!["abstention"]!;
        Assert.Equal(0.6, abstention["threshold"]!.GetValue<double>());
        Assert.Equal(0.5, abstention["test_coverage"]!.GetValue<double>(), 12);
        Assert.Equal(0.9, abstention["test_accuracy"]!.GetValue<double>(), 12);
        foreach (var r in byTarget["results"]!.AsArray())
            Assert.Equal(r!["confidence"]!.GetValue<double>() < 0.6, r["abstain"]!.GetValue<bool>());

        // No abstain field without a rule; the map method has no test bins; both rules at once is refused.
        Assert.Null((await Ask(new { adapter = "yes-no", prompts, method = "laplace" }))["results"]![0]!["abstain"]);
        await (await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts, method = "map", target_accuracy = 0.85 })).AssertProblem(422, "target_accuracy");
        await (await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts, min_confidence = 0.5, target_accuracy = 0.8 })).AssertProblem(422, "min_confidence");
        await (await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts, method = "laplace", target_accuracy = 0.99 })).AssertProblem(422, "no confidence threshold");
    }
}
