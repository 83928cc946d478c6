using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace UncertaintyService.Api.Tests.Support;

internal static class Json
{
    public static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    public static Task<HttpResponseMessage> PostJson(this HttpClient client, string path, object body) =>
        client.PostAsync(path, Body(JsonSerializer.Serialize(body)));

    public static async Task<JsonNode> ReadNode(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidDataException("empty body");

    public static double[] Doubles(this JsonNode? node) => node!.AsArray().Select(v => v!.GetValue<double>()).ToArray();

    public static double[][] Matrix(this JsonNode? node) => node!.AsArray().Select(r => r.Doubles()).ToArray();

    /// <summary>Results as JSON text with each prediction_id left out: ids are new for every answer, the numbers must not be.</summary>
    public static string WithoutPredictionIds(JsonNode results)
    {
        var copy = results.DeepClone().AsArray();
        foreach (var result in copy) result!.AsObject().Remove("prediction_id");
        return copy.ToJsonString();
    }

    /// <summary>Asserts a ProblemDetails response with the status, and that its text names every given word.</summary>
    public static async Task<JsonNode> AssertProblem(this HttpResponseMessage response, int status, params string[] named)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        foreach (var word in named)
            Assert.Contains(word, text, StringComparison.Ordinal);
        var node = JsonNode.Parse(text)!;
        Assert.Equal(status, node["status"]!.GetValue<int>());
        return node;
    }
}
