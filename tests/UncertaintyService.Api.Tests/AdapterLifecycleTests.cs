using System.Net;
using Microsoft.Extensions.DependencyInjection;
using UncertaintyService.Api.Serving;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

/// <summary>Unloaded and replaced adapter versions free their tensors once no request uses them.</summary>
[Collection(nameof(LiveTensorCount))]
public class AdapterLifecycleTests : IDisposable
{
    private readonly TestModelRoot models = new();

    private static HttpRequestMessage Admin(HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Api-Key", ServiceFactory.AdminKey);
        if (body is not null) request.Content = Json.Body(System.Text.Json.JsonSerializer.Serialize(body));
        return request;
    }

    [Fact]
    public async Task LoadSwapAndUnloadCyclesReturnToTheBaselineTensorCount()
    {
        await using var factory = new ServiceFactory(models);
        var client = await factory.ReadyClient();
        var path = models.CopyAdapter("yes-no", "extra");

        // Load, serve every kind of method, replace while serving, serve the new version, unload.
        async Task Cycle()
        {
            for (int version = 0; version < 2; version++)
            {
                Assert.Equal(HttpStatusCode.Created,
                    (await client.SendAsync(Admin(HttpMethod.Post, "/v1/adapters", new { bundle = "demo", id = "extra", path }))).StatusCode);
                foreach (var method in new[] { "map", "laplace", "blob", "swag", "ensemble", "mc_dropout" })
                {
                    var response = await client.PostJson("/v1/classify", new { adapter = "extra", prompts = new[] { "Is it?" }, method, samples = 2 });
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method}: {await response.Content.ReadAsStringAsync()}");
                }
            }
            Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(Admin(HttpMethod.Delete, "/v1/adapters/extra"))).StatusCode);
        }

        var registry = factory.Services.GetRequiredService<AdapterRegistry>();
        // A response leaves before the worker ends its lease on the version it used, and a retired version
        // is freed with its last lease: wait for that (briefly) before counting, or the count races it.
        async Task Settled()
        {
            for (int i = 0; i < 200 && registry.RetiredCount > 0; i++) await Task.Delay(10);
        }
        await Cycle();
        await Settled();
        Assert.Equal(0, await LiveTensorCount.Change(async () =>
        {
            await Cycle();
            await Cycle();
            await Settled();
        }));
        Assert.Equal(0, registry.RetiredCount);
    }

    [Fact]
    public async Task AnUnloadedOrReplacedVersionLivesUntilItsLastLeaseEnds()
    {
        await using var factory = new ServiceFactory(models);
        var client = await factory.ReadyClient();
        var registry = factory.Services.GetRequiredService<AdapterRegistry>();
        var path = models.CopyAdapter("yes-no", "extra");
        async Task Load() => Assert.Equal(HttpStatusCode.Created,
            (await client.SendAsync(Admin(HttpMethod.Post, "/v1/adapters", new { bundle = "demo", id = "extra", path }))).StatusCode);

        await Load();
        var first = registry.Lease("extra")!;
        var firstTensors = first.Adapter.OwnedTensors().ToList();
        await Load(); // replaced while leased
        var second = registry.Lease("extra")!;
        var secondTensors = second.Adapter.OwnedTensors().ToList();
        Assert.NotSame(first.Adapter, second.Adapter);
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(Admin(HttpMethod.Delete, "/v1/adapters/extra"))).StatusCode);

        Assert.Equal(2, registry.RetiredCount);
        Assert.All(firstTensors.Concat(secondTensors), t => Assert.False(t.IsInvalid));
        first.Dispose();
        first.Dispose(); // ending a lease twice counts once
        Assert.Equal(1, registry.RetiredCount);
        Assert.All(firstTensors, t => Assert.True(t.IsInvalid));
        Assert.All(secondTensors, t => Assert.False(t.IsInvalid));
        second.Dispose();
        Assert.Equal(0, registry.RetiredCount);
        Assert.All(secondTensors, t => Assert.True(t.IsInvalid));
    }

    public void Dispose() => models.Dispose();
}
