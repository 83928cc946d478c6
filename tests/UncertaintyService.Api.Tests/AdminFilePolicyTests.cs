using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

/// <summary>
/// Admin loading reads only regular files inside the model root, matches ids on the whole string, and
/// swaps in only adapters that can answer; every refusal is a 422 at once and the service keeps serving.
/// </summary>
public sealed class AdminFilePolicyTests : IAsyncLifetime
{
    private readonly TestModelRoot models = new();
    private readonly string outside = Path.Combine(Path.GetTempPath(), $"outside-{Guid.NewGuid():N}");
    private ServiceFactory factory = null!;
    private HttpClient client = null!;

    public async Task InitializeAsync()
    {
        factory = new ServiceFactory(models);
        client = await factory.ReadyClient();
        Directory.CreateDirectory(outside);
    }

    public async Task DisposeAsync()
    {
        await factory.DisposeAsync();
        models.Dispose();
        Directory.Delete(outside, recursive: true);
    }

    private async Task<HttpResponseMessage> Load(string id, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/adapters")
        {
            Content = Json.Body(System.Text.Json.JsonSerializer.Serialize(new { bundle = "demo", id, path })),
        };
        request.Headers.Add("X-Api-Key", ServiceFactory.AdminKey);
        var clock = Stopwatch.StartNew();
        var response = await client.SendAsync(request);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the load took {clock.Elapsed}");
        return response;
    }

    private async Task StillServing() =>
        Assert.Equal(HttpStatusCode.OK, (await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = new[] { "?" }, method = "map" })).StatusCode);

    [Theory]
    [InlineData("spam\n")]
    [InlineData("spam\r\n")]
    [InlineData("-spam")]
    public async Task AnIdIsMatchedOnTheWholeString(string id)
    {
        var path = models.CopyAdapter("yes-no", "copy");

        await (await Load(id, path)).AssertProblem(422, "id");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/adapters/spam")).StatusCode);
    }

    [Fact]
    public async Task AFolderLinkedFromOutsideTheRootIsRefused()
    {
        foreach (var file in Directory.GetFiles(models.AdapterFolder("yes-no")))
            File.Copy(file, Path.Combine(outside, Path.GetFileName(file)));
        Directory.CreateSymbolicLink(Path.Combine(models.Root, "linked"), outside);

        await (await Load("linked", "linked")).AssertProblem(422, "outside the model root");
        await StillServing();
    }

    [Fact]
    public async Task AFileLinkedFromOutsideTheRootIsRefused()
    {
        var path = models.CopyAdapter("yes-no", "file-link");
        var weights = Path.Combine(models.Root, path, "adapter_model.safetensors");
        File.Move(weights, Path.Combine(outside, "adapter_model.safetensors"));
        File.CreateSymbolicLink(weights, Path.Combine(outside, "adapter_model.safetensors"));

        await (await Load("file-link", path)).AssertProblem(422, "adapter_model.safetensors", "outside the model root");
    }

    [Fact]
    public async Task AFifoWhereAFileIsReadIsRefusedWithoutWaiting()
    {
        var path = models.CopyAdapter("yes-no", "fifo");
        var posterior = Path.Combine(models.Root, path, "posterior.json");
        File.Delete(posterior);
        Process.Start("mkfifo", [posterior])!.WaitForExit();

        await (await Load("fifo", path)).AssertProblem(422, "posterior.json", "FIFO");
        await StillServing();
    }

    [Fact]
    public async Task ADeviceLinkedInsideTheRootIsRefused()
    {
        var path = models.CopyAdapter("yes-no", "device");
        var calibration = Path.Combine(models.Root, path, "calibration.json");
        File.Delete(calibration);
        File.CreateSymbolicLink(calibration, "/dev/zero");

        await (await Load("device", path)).AssertProblem(422, "calibration.json", "outside the model root");
    }

    [Fact]
    public async Task ADirectoryWhereAFileIsReadIsRefused()
    {
        var path = models.CopyAdapter("yes-no", "directory");
        var posterior = Path.Combine(models.Root, path, "posterior.json");
        File.Delete(posterior);
        Directory.CreateDirectory(posterior);

        await (await Load("directory", path)).AssertProblem(422, "posterior.json", "directory");
    }

    [Fact]
    public async Task AnAdapterWhoseScaleOverflowsIsNotSwappedIn()
    {
        var path = models.CopyAdapter("yes-no", "huge-alpha");
        var config = Path.Combine(models.Root, path, "adapter_config.json");
        var json = JsonNode.Parse(File.ReadAllText(config))!;
        json["lora_alpha"] = 1e300;
        File.WriteAllText(config, json.ToJsonString());

        await (await Load("huge-alpha", path)).AssertProblem(422, "adapter_config.json", "lora_alpha");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/adapters/huge-alpha")).StatusCode);
        await StillServing();
    }

    [Fact]
    public async Task ADefaultSampleCountNoRequestCouldAskForIsRefused()
    {
        var path = models.CopyAdapter("yes-no", "many-samples");
        var posterior = Path.Combine(models.Root, path, "posterior.json");
        var json = JsonNode.Parse(File.ReadAllText(posterior))!;
        json["blob"]!["samples"] = 1_000_000_000;
        File.WriteAllText(posterior, json.ToJsonString());

        await (await Load("many-samples", path)).AssertProblem(422, "posterior.json", "samples", "blob");
    }
}
