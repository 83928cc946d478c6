using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Tests.Shared;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.BundleLoading;

/// <summary>The bundle the service serves by default loads whole, and every method of every adapter answers.</summary>
public class CommittedDemoBundleTests
{
    private static readonly string Folder = RepositoryFiles.Path("models/demo");

    [Fact]
    public void EveryAdapterLoadsWithEveryMethodItsCalibrationReportCovers()
    {
        var loadedBase = BundleLoader.LoadBase("demo", Folder, ScalarType.Float32, CPU);
        var adapters = BundleLoader.AdapterFolders(Folder).ToDictionary(a => a.Id, a => BundleLoader.LoadAdapter(loadedBase, a.Id, a.Folder));
        Assert.Equal(["spam", "vader-reward", "wordnet-mcq"], adapters.Keys.Order());
        Assert.Equal(["map", "laplace"], adapters["vader-reward"].Methods);

        var prompt = loadedBase.Tokenizer.EncodePrompt("E-mail:\nCheap watches, click here now!\nIs this e-mail spam? Answer:");
        foreach (var id in new[] { "spam", "wordnet-mcq" })
        {
            var adapter = adapters[id];
            Assert.Equal(["map", "laplace", "blob", "swag", "ensemble", "svgd", "mc_dropout"], adapter.Methods);
            var classes = adapter.LabelTokenIds.Select(i => (long)i).ToArray();
            foreach (var split in new[] { "test", "ood" })
                Assert.All(adapter.Methods, m => Assert.True(adapter.Calibration!.Splits[split].ContainsKey(m), $"{id} {split}: {m} in calibration.json"));

            var (means, covariances) = LaplacePredictor.LogitMoments(adapter.Laplace!, [prompt], classes);
            Assert.True(covariances[0][0, 0] > 0 && means[0].All(double.IsFinite));
            foreach (var (method, posterior) in adapter.Sampled)
            {
                var prediction = SampledPredictor.Predict(posterior, loadedBase.Model, [prompt], classes, samples: 2, seed: 1).Predictions[0];
                Assert.Equal(1.0, prediction.Probabilities.SampledMean.Sum(), 6);
                Assert.True(prediction.LogitMean.All(double.IsFinite), $"{id} {method}");
            }
        }
    }
}
