using System.Net;
using System.Text.Json.Nodes;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

/// <summary>
/// Swagger UI works as shown: every operation's request example (body and path parameters) is executed
/// against the service over the committed demo bundle, with the admin key where the operation declares
/// the API-key scheme, and must get the operation's documented success status.
/// </summary>
public class OpenApiExamplesTests
{
    private const string Key = "docs-example-key";

    [Fact]
    public async Task EveryOperationsExampleSucceedsOnTheDemoBundle()
    {
        var (process, output, client) = await ServiceProcess.Start(RepositoryFiles.Path("models"),
            new Dictionary<string, string> { ["UncertaintyService__Admin__ApiKey"] = Key });
        using var _ = process;
        using var __ = client;
        try
        {
            var document = JsonNode.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"))!;
            Assert.NotNull(document["components"]!["securitySchemes"]!["AdminApiKey"]);
            var operations = document["paths"]!.AsObject()
                .SelectMany(path => path.Value!.AsObject().Select(op => (Path: path.Key, Method: op.Key, Operation: op.Value!)))
                // Load before unload, so the unload example has its adapter.
                .OrderBy(o => o.Method == "delete" ? 1 : 0).ToList();
            Assert.True(operations.Count >= 12, $"{operations.Count} operations");
            var failures = new List<string>();
            foreach (var (path, method, operation) in operations)
            {
                string url = path;
                var query = new List<string>();
                foreach (var parameter in operation["parameters"]?.AsArray() ?? [])
                {
                    var example = parameter!["example"]?.GetValue<string>();
                    string name = parameter["name"]!.GetValue<string>();
                    if (example is null) { failures.Add($"{method} {path}: parameter {name} has no example"); continue; }
                    if (parameter["in"]!.GetValue<string>() == "query") query.Add($"{name}={Uri.EscapeDataString(example)}");
                    else url = url.Replace($"{{{name}}}", Uri.EscapeDataString(example));
                }
                if (query.Count > 0) url += "?" + string.Join("&", query);
                var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), url);
                if (operation["requestBody"]?["content"]?["application/json"]?["example"] is { } body)
                    request.Content = Json.Body(path == "/v1/outcomes" ? await WithARealPredictionId(client, document, body) : body.ToJsonString());
                else if (operation["requestBody"] is not null)
                    failures.Add($"{method} {path}: request body has no example");
                if (operation["security"] is not null) request.Headers.Add("X-Api-Key", Key);
                int expected = operation["responses"]!.AsObject().Select(r => int.Parse(r.Key)).Where(c => c is >= 200 and < 300).Min();
                var response = await client.SendAsync(request);
                if ((int)response.StatusCode != expected)
                    failures.Add($"{method} {path}: {(int)response.StatusCode}, documented {expected}: {await response.Content.ReadAsStringAsync()}");
            }
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    // An outcome needs a prediction the service answered: the classify example's, put in place of the example's placeholder id.
    private static async Task<string> WithARealPredictionId(HttpClient client, JsonNode document, JsonNode outcomes)
    {
        var classify = document["paths"]!["/v1/classify"]!["post"]!["requestBody"]!["content"]!["application/json"]!["example"]!;
        var answer = JsonNode.Parse(await (await client.PostAsync("/v1/classify", Json.Body(classify.ToJsonString()))).Content.ReadAsStringAsync())!;
        var body = outcomes.DeepClone();
        body["outcomes"]![0]!["prediction_id"] = (string)answer["results"]![0]!["prediction_id"]!;
        return body.ToJsonString();
    }
}
