using UncertaintyService.Core.Bundles;
using UncertaintyService.Tests.Shared;

namespace UncertaintyService.Core.Tests.BundleLoading;

/// <summary>An adapter's reported sha256 names what is served, the same on every machine that has its committed files.</summary>
public sealed class ContentHashTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void DerivedReportsAndTheLockFileDoNotCountButEveryServedByteDoes()
    {
        File.WriteAllText(_dir.File("task.json"), "{\"kind\":\"classification\"}");
        File.WriteAllBytes(_dir.File("adapter_model.safetensors"), [1, 2, 3]);
        string committed = BundleLoader.ContentHash(_dir.Path);

        File.WriteAllBytes(_dir.File("reliability-test.png"), [137, 80, 78, 71]);
        File.WriteAllText(_dir.File(".write.lock"), "");
        Assert.Equal(committed, BundleLoader.ContentHash(_dir.Path));

        File.WriteAllBytes(_dir.File("adapter_model.safetensors"), [1, 2, 4]);
        Assert.NotEqual(committed, BundleLoader.ContentHash(_dir.Path));
        File.WriteAllBytes(_dir.File("adapter_model.safetensors"), [1, 2, 3]);
        File.WriteAllText(_dir.File("calibration.json"), "{}");
        Assert.NotEqual(committed, BundleLoader.ContentHash(_dir.Path));
    }
}
