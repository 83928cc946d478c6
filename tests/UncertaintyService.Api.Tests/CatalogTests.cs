using System.Net;
using System.Text.Json.Nodes;
using UncertaintyService.Api.Http;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

public class CatalogTests(SharedService service) : IClassFixture<SharedService>
{
    private readonly HttpClient client = service.Client;

    [Fact]
    public async Task ModelsListTheBaseWithItsAdapters()
    {
        var models = (await (await client.GetAsync("/v1/models")).ReadNode()).AsArray();
        var demo = Assert.Single(models)!;
        Assert.Equal("demo", demo["name"]!.GetValue<string>());
        Assert.Equal(32000, demo["vocab_size"]!.GetValue<int>());
        Assert.Equal("float32", demo["dtype"]!.GetValue<string>());
        Assert.Equal(["multiple-choice", "yes-no"], demo["adapters"]!.AsArray().Select(a => a!.GetValue<string>()));
    }

    [Fact]
    public async Task AdaptersListIdBaseKindMethodsAndLabels()
    {
        var adapters = (await (await client.GetAsync("/v1/adapters")).ReadNode()).AsArray();
        var yesNo = adapters.Single(a => a!["id"]!.GetValue<string>() == "yes-no")!;
        Assert.Equal("demo", yesNo["base"]!.GetValue<string>());
        Assert.Equal("classification", yesNo["kind"]!.GetValue<string>());
        Assert.Equal(["map", "laplace", "blob", "swag", "ensemble", "svgd", "mc_dropout"], yesNo["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(["yes", "no"], yesNo["labels"]!.AsArray().Select(m => m!.GetValue<string>()));
    }

    [Fact]
    public async Task AdapterDetailsCarryThePosterior()
    {
        var details = await (await client.GetAsync("/v1/adapters/multiple-choice")).ReadNode();
        var posterior = details["posterior"]!;
        Assert.Equal(1e4, posterior["prior_precision"]!.GetValue<double>());
        Assert.Equal(512, posterior["n_examples"]!.GetValue<long>());
        Assert.Equal("exact", posterior["fisher"]!.GetValue<string>());
        Assert.Equal(["question", "a", "b", "c", "d"], details["template_fields"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.True(details["lora"]!["parameter_count"]!.GetValue<long>() > 0);
    }

    [Fact]
    public async Task UnknownAdapterIs404()
    {
        await (await client.GetAsync("/v1/adapters/nope")).AssertProblem(404, "nope");
    }

    [Fact]
    public async Task HealthEndpointsAnswer()
    {
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var ready = await (await client.GetAsync("/health/ready")).ReadNode();
        Assert.Equal("Healthy", ready["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task MetricsExposeRequestsBatchesAndQueueDepth()
    {
        await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = new[] { "x" } });
        var text = await client.GetStringAsync("/metrics");
        Assert.Contains("uncertainty_requests_total", text);
        Assert.Contains("adapter=\"yes-no\"", text);
        Assert.Contains("uncertainty_batch_size", text);
        Assert.Contains("uncertainty_queue_depth", text);
        Assert.Contains("uncertainty_request_duration_seconds", text);
    }

    [Fact]
    public async Task SwaggerUiIsServed()
    {
        var response = await client.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task OpenApiDocumentsEveryRouteAndOnlyStatusesTheServiceProduces()
    {
        var document = await (await client.GetAsync("/swagger/v1/swagger.json")).ReadNode();
        var paths = document["paths"]!.AsObject();
        foreach (var route in new[] { "/v1/classify", "/v1/models", "/v1/adapters", "/v1/adapters/{id}" })
            Assert.True(paths.ContainsKey(route), $"{route} missing from the OpenAPI document");

        // Success codes, the error mapping's codes, and 415 from the framework's content-type check.
        var known = ProblemMapping.StatusCodes.Values.Concat([200, 201, 204, 415]).Select(s => s.ToString()).ToHashSet();
        foreach (var (path, item) in paths)
        {
            foreach (var (verb, operation) in item!.AsObject())
            {
                Assert.False(string.IsNullOrEmpty(operation!["summary"]?.GetValue<string>()), $"{verb} {path} has no summary");
                foreach (var (status, response) in operation["responses"]!.AsObject())
                {
                    Assert.True(known.Contains(status), $"{verb} {path} declares {status}, which nothing produces");
                    foreach (var (_, media) in response!["content"]?.AsObject() ?? [])
                        Assert.True(media!["example"] is not null, $"{verb} {path} {status} has no example");
                }
            }
        }
        var schemas = document["components"]!["schemas"]!.AsObject();
        Assert.Contains("ClassifyRequest", schemas.Select(s => s.Key));
        Assert.Equal("spam", schemas["ClassifyRequest"]!["properties"]!["adapter"]!["example"]!.GetValue<string>());
    }
}
