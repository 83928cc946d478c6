using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Tests.Shared;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Execution;

/// <summary>Models, adapters and posteriors free their tensors when disposed, and a failed load frees what it made.</summary>
[Collection(nameof(LiveTensorCount))]
public class LifecycleTests
{
    private static readonly string Bundle = RepositoryFiles.Path("models/demo");

    [Fact]
    public void LoadingServingAndDisposingTheDemoBundleReturnsToTheBaselineTensorCount()
    {
        Cycle(); // whatever TorchSharp allocates once per process
        Assert.Equal(0, LiveTensorCount.Change(() =>
        {
            Cycle();
            Cycle();
        }));
    }

    [Fact]
    public void AnAdapterWhoseLastFileIsBrokenFreesEverythingLoadedBeforeIt()
    {
        using var folder = new TempFolder();
        using var loadedBase = BundleLoader.LoadBase("demo", Bundle, ScalarType.Float32, CPU);
        var source = Path.Combine(Bundle, BundleLoader.AdaptersFolder, "spam");
        foreach (var file in Directory.GetFiles(source))
            File.Copy(file, Path.Combine(folder.Path, Path.GetFileName(file)));
        // The LoRA weights, the K-FAC factors and four sampled posteriors load before this one fails.
        File.Copy(Path.Combine(source, "ensemble.safetensors"), Path.Combine(folder.Path, McDropoutPosterior.DefaultFileName), overwrite: true);

        Assert.Equal(0, LiveTensorCount.Change(() =>
        {
            var error = Assert.Throws<Formats.BundleFormatException>(() => BundleLoader.LoadAdapter(loadedBase, "spam", folder.Path));
            Assert.Contains("mc-dropout-v1", error.Message);
        }));
    }

    // Loads the base and every adapter, runs every method once (filling the device caches of the
    // sampled posteriors), then disposes all of it and checks each owned tensor was freed.
    private static void Cycle()
    {
        var loadedBase = BundleLoader.LoadBase("demo", Bundle, ScalarType.Float32, CPU);
        var prompt = loadedBase.Tokenizer.EncodePrompt("E-mail:\nCheap watches!\nIs this e-mail spam? Answer:");
        var owned = loadedBase.OwnedTensors().ToList();
        foreach (var (id, adapterFolder) in BundleLoader.AdapterFolders(Bundle))
        {
            var adapter = BundleLoader.LoadAdapter(loadedBase, id, adapterFolder);
            var classes = adapter.LabelTokenIds.Select(t => (long)t).ToArray();
            MapPredictor.Logits(loadedBase.Model, adapter.Adapter, [prompt], classes);
            LaplacePredictor.LogitMoments(adapter.Laplace!, [prompt], classes);
            foreach (var posterior in adapter.Sampled.Values)
                SampledPredictor.Predict(posterior, loadedBase.Model, [prompt], classes, samples: 2, seed: 3);
            owned.AddRange(adapter.OwnedTensors());
            adapter.Dispose();
        }
        loadedBase.Dispose();
        Assert.All(owned, t => Assert.True(t.IsInvalid));
    }
}
