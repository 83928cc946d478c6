using System.Net;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

public class AdminTests : IDisposable
{
    private readonly TestModelRoot models = new();

    private static HttpRequestMessage Admin(HttpMethod method, string path, object? body = null, string? key = ServiceFactory.AdminKey)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null) request.Headers.Add("X-Api-Key", key);
        if (body is not null) request.Content = Json.Body(System.Text.Json.JsonSerializer.Serialize(body));
        return request;
    }

    [Fact]
    public async Task AdminRoutesNeedTheKey()
    {
        await using var factory = new ServiceFactory(models);
        var client = await factory.ReadyClient();
        await (await client.SendAsync(Admin(HttpMethod.Delete, "/v1/adapters/yes-no", key: null))).AssertProblem(401, "X-Api-Key");
        await (await client.SendAsync(Admin(HttpMethod.Delete, "/v1/adapters/yes-no", key: "wrong"))).AssertProblem(401, "X-Api-Key");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/adapters/yes-no")).StatusCode);
    }

    [Fact]
    public async Task AdminRoutesAreOffWithoutAConfiguredKey()
    {
        await using var factory = new ServiceFactory(models, new Dictionary<string, string?> { ["UncertaintyService:Admin:ApiKey"] = "" });
        var client = await factory.ReadyClient();
        await (await client.SendAsync(Admin(HttpMethod.Delete, "/v1/adapters/yes-no"))).AssertProblem(403, "ApiKey");
    }

    [Fact]
    public async Task LoadServeAndUnloadAnAdapter()
    {
        await using var factory = new ServiceFactory(models);
        var client = await factory.ReadyClient();
        var path = models.CopyAdapter("yes-no", "extra");

        var created = await client.SendAsync(Admin(HttpMethod.Post, "/v1/adapters", new { bundle = "demo", id = "extra", path }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/v1/adapters/extra", created.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.OK, (await client.PostJson("/v1/classify", new { adapter = "extra", prompts = new[] { "?" } })).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(Admin(HttpMethod.Delete, "/v1/adapters/extra"))).StatusCode);
        await (await client.PostJson("/v1/classify", new { adapter = "extra", prompts = new[] { "?" } })).AssertProblem(404, "extra");
        await (await client.SendAsync(Admin(HttpMethod.Delete, "/v1/adapters/extra"))).AssertProblem(404, "extra");
    }

    [Theory]
    [InlineData("../outside", "path", "inside the model root")]
    [InlineData("/etc", "path", "inside the model root")]
    [InlineData("demo/adapters/missing", "path", "not a folder")]
    public async Task LoadingOnlyReadsFoldersUnderTheModelRoot(string path, string field, string problem)
    {
        await using var factory = new ServiceFactory(models);
        var client = await factory.ReadyClient();
        var response = await client.SendAsync(Admin(HttpMethod.Post, "/v1/adapters", new { bundle = "demo", id = "x", path }));
        await response.AssertProblem(422, field, problem);
    }

    [Fact]
    public async Task BadLoadRequestsNameTheField()
    {
        await using var factory = new ServiceFactory(models);
        var client = await factory.ReadyClient();
        await (await client.SendAsync(Admin(HttpMethod.Post, "/v1/adapters", new { id = "x", path = "demo/adapters/yes-no" }))).AssertProblem(422, "bundle");
        await (await client.SendAsync(Admin(HttpMethod.Post, "/v1/adapters", new { bundle = "demo", id = "../x", path = "demo/adapters/yes-no" }))).AssertProblem(422, "id");
        await (await client.SendAsync(Admin(HttpMethod.Post, "/v1/adapters", new { bundle = "nope", id = "x", path = "demo/adapters/yes-no" }))).AssertProblem(404, "nope");
    }

    [Fact]
    public async Task BrokenAdapterFolderIsRejectedAndTheOldVersionKeepsServing()
    {
        await using var factory = new ServiceFactory(models);
        var client = await factory.ReadyClient();
        var before = (await (await client.GetAsync("/v1/adapters/yes-no")).ReadNode())["sha256"]!.GetValue<string>();
        var path = models.CopyAdapter("yes-no", "broken");
        var weights = Path.Combine(models.Root, path, "adapter_model.safetensors");
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..100]);

        var response = await client.SendAsync(Admin(HttpMethod.Post, "/v1/adapters", new { bundle = "demo", id = "yes-no", path }));
        await response.AssertProblem(422, "adapter_model.safetensors");
        var after = (await (await client.GetAsync("/v1/adapters/yes-no")).ReadNode())["sha256"]!.GetValue<string>();
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task SwapUnderLoadIsAtomic()
    {
        await using var factory = new ServiceFactory(models);
        var client = await factory.ReadyClient();
        var oldHash = (await (await client.GetAsync("/v1/adapters/yes-no")).ReadNode())["sha256"]!.GetValue<string>();
        // The new version: another adapter's weights under the same id (same shapes, different values).
        var path = models.CopyAdapter("yes-no", "v2");
        File.Copy(Path.Combine(models.AdapterFolder("multiple-choice"), "adapter_model.safetensors"),
            Path.Combine(models.Root, path, "adapter_model.safetensors"), overwrite: true);
        File.Copy(Path.Combine(models.AdapterFolder("multiple-choice"), "kfac.safetensors"),
            Path.Combine(models.Root, path, "kfac.safetensors"), overwrite: true);

        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(async worker =>
        {
            var hashes = new List<string>();
            while (!stop.IsCancellationRequested)
            {
                var response = await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = new[] { $"q{worker}" }, samples = 50 });
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                hashes.Add((await response.ReadNode())["metadata"]!["adapter_sha256"]!.GetValue<string>());
            }
            return hashes;
        }).ToList();

        string? newHash = null;
        for (int i = 0; i < 6; i++)
        {
            var swap = await client.SendAsync(Admin(HttpMethod.Post, "/v1/adapters",
                new { bundle = "demo", id = "yes-no", path = i % 2 == 0 ? path : "demo/adapters/yes-no" }));
            Assert.Equal(HttpStatusCode.Created, swap.StatusCode);
            if (i == 0) newHash = (await swap.ReadNode())["sha256"]!.GetValue<string>();
            await Task.Delay(30);
        }
        stop.Cancel();
        var seen = (await Task.WhenAll(load)).SelectMany(h => h).ToList();

        Assert.NotEqual(oldHash, newHash);
        Assert.NotEmpty(seen);
        Assert.All(seen, h => Assert.True(h == oldHash || h == newHash, $"unexpected adapter version {h}"));
    }

    public void Dispose() => models.Dispose();
}
