using System.Net;
using System.Text.Json.Nodes;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

/// <summary>Temperature scaling is served like every other method once posterior.json lists it.</summary>
public sealed class TemperatureServingTests : IDisposable
{
    private readonly TestModelRoot models = new();

    public void Dispose() => models.Dispose();

    [Fact]
    public async Task TemperatureAnswersAreTheMapLogitsDividedByT()
    {
        var posterior = Path.Combine(models.AdapterFolder("yes-no"), "posterior.json");
        var json = JsonNode.Parse(File.ReadAllText(posterior))!;
        json["temperature"] = new JsonObject { ["value"] = 2.0, ["validation_nll"] = 0.6 };
        File.WriteAllText(posterior, json.ToJsonString());
        await using var factory = new ServiceFactory(models);
        var client = await factory.ReadyClient();

        async Task<JsonNode> Ask(string method)
        {
            var response = await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = new[] { "Is water wet?\nAnswer:" }, method });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await response.ReadNode())["results"]![0]!;
        }
        var map = await Ask("map");
        var scaled = await Ask("temperature");

        var mapLogits = map["logit_mean"].Doubles();
        Assert.Equal(mapLogits.Select(z => z / 2), scaled["logit_mean"].Doubles());
        double max = mapLogits.Max() / 2, sum = mapLogits.Sum(z => Math.Exp(z / 2 - max));
        Assert.Equal(mapLogits.Select(z => Math.Exp(z / 2 - max) / sum).ToArray(), scaled["probabilities"]!["map"].Doubles(), new Tolerance(1e-12));
        var adapters = await (await client.GetAsync("/v1/adapters/yes-no")).ReadNode();
        Assert.Contains("temperature", adapters["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
    }

}
