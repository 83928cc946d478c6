using System.Net;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

public class LoadingTests : IDisposable
{
    private readonly TestModelRoot models = new();

    [Fact]
    public async Task BrokenAdapterIsReportedAndTheOthersAreServed()
    {
        var weights = Path.Combine(models.AdapterFolder("multiple-choice"), "kfac.safetensors");
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..50]);
        await using var factory = new ServiceFactory(models);
        var client = await factory.ReadyClient();

        var adapters = (await (await client.GetAsync("/v1/adapters")).ReadNode()).AsArray();
        Assert.Equal(["yes-no"], adapters.Select(a => a!["id"]!.GetValue<string>()));
        var ready = await (await client.GetAsync("/health/ready")).Content.ReadAsStringAsync();
        Assert.Contains("kfac.safetensors", ready);
        Assert.Equal(HttpStatusCode.OK, (await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = new[] { "x" } })).StatusCode);
    }

    [Fact]
    public async Task BrokenBundleIsReportedAndTheOthersAreServed()
    {
        using var second = new TestModelRoot(seed: 9);
        File.WriteAllText(Path.Combine(second.Bundle, "base", "config.json"), """{"model_type":"gpt2"}""");
        await using var factory = new ServiceFactory(models, new Dictionary<string, string?>
        {
            ["UncertaintyService:Bundles:1:Name"] = "broken",
            ["UncertaintyService:Bundles:1:Path"] = second.Bundle,
        });
        var client = await factory.ReadyClient();
        var ready = await (await client.GetAsync("/health/ready")).Content.ReadAsStringAsync();
        Assert.Contains("bundle broken", ready);
        Assert.Contains("model_type", ready);
        Assert.Single((await (await client.GetAsync("/v1/models")).ReadNode()).AsArray());
    }

    [Fact]
    public async Task AdapterMadeForAnotherBaseIsReportedByKeyAndTheOthersAreServed()
    {
        using var other = new TestModelRoot(hiddenSize: 32, seed: 11);
        var target = Path.Combine(models.Bundle, "adapters", "foreign");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(other.AdapterFolder("yes-no")))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        await using var factory = new ServiceFactory(models);
        var client = await factory.ReadyClient();

        var ready = await (await client.GetAsync("/health/ready")).Content.ReadAsStringAsync();
        Assert.Contains("adapter foreign", ready);
        Assert.Contains("lora_A.weight", ready);
        Assert.Contains("does not match the base model", ready);
        Assert.Equal(2, (await (await client.GetAsync("/v1/adapters")).ReadNode()).AsArray().Count);
    }

    [Fact]
    public async Task BaseWithoutTokenizerIsReportedByFile()
    {
        File.Delete(Path.Combine(models.Bundle, "base", "tokenizer.model"));
        await using var factory = new ServiceFactory(models);
        var client = factory.CreateClient();
        await Task.Delay(500);
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("no tokenizer: expected tokenizer.model or tokenizer.json", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task NothingLoadableMeansNotReadyAnd503()
    {
        await using var factory = new ServiceFactory(models, new Dictionary<string, string?>
        {
            ["UncertaintyService:Bundles:0:Path"] = "does-not-exist",
        });
        var client = factory.CreateClient();
        await Task.Delay(500);
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("does-not-exist", await ready.Content.ReadAsStringAsync());
        await (await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = new[] { "x" } })).AssertProblem(503, "loading");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }

    public void Dispose() => models.Dispose();
}

public class BackendFailureTests : IDisposable
{
    private readonly TestModelRoot models = new();

    [Fact]
    public async Task AnAdapterWhoseForwardIsNotFiniteIsRefusedAtLoadAndTheOthersServe()
    {
        // Finite but enormous LoRA weights: every file check passes, the float32 forward overflows.
        var weights = Path.Combine(models.AdapterFolder("yes-no"), "adapter_model.safetensors");
        var tensors = new Dictionary<string, TorchSharp.torch.Tensor>();
        using (var file = Core.SafeTensors.SafeTensorsFile.Open(weights))
            foreach (var entry in file.Entries)
                tensors[entry.Name] = file.Load(entry.Name) * 1e30f;
        Core.SafeTensors.SafeTensorsWriter.Write(weights, tensors);

        await using var factory = new ServiceFactory(models);
        var client = await factory.ReadyClient();
        var ready = await (await client.GetAsync("/health/ready")).Content.ReadAsStringAsync();
        Assert.Contains("non-finite", ready);
        await (await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = new[] { "Is it?" } })).AssertProblem(404, "yes-no");
        // The other adapter on the same base is unaffected.
        Assert.Equal(System.Net.HttpStatusCode.OK,
            (await client.PostJson("/v1/classify", new { adapter = "multiple-choice", prompts = new[] { "?" } })).StatusCode);
    }

    public void Dispose() => models.Dispose();
}
