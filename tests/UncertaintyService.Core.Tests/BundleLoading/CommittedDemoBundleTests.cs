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
        Assert.Equal(["map", "temperature", "laplace", "ensemble", "mc_dropout"], adapters["vader-reward"].Methods);
        Assert.Equal(["map", "temperature", "laplace", "blob", "swag", "ensemble", "svgd", "mc_dropout"], adapters["spam"].Methods);
        Assert.Equal(adapters["spam"].Methods, adapters["wordnet-mcq"].Methods);

        // README's examples show the versions of the committed adapters.
        var shown = System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(RepositoryFiles.Path("README.md")),
            "\"adapter\":\"([a-z-]+)\",\"adapter_sha256\":\"([0-9a-f]+)…\"");
        Assert.NotEmpty(shown);
        foreach (System.Text.RegularExpressions.Match m in shown)
            Assert.StartsWith(m.Groups[2].Value, adapters[m.Groups[1].Value].Sha256);

        var prompt = loadedBase.Tokenizer.EncodePrompt("E-mail:\nCheap watches, click here now!\nIs this e-mail spam? Answer:");
        var chosen = loadedBase.Tokenizer.EncodePrompt("Which word is more positive? wonderful");
        var rejected = loadedBase.Tokenizer.EncodePrompt("Which word is more positive? dreadful");
        foreach (var (id, adapter) in adapters)
        {
            foreach (var split in new[] { "test", "ood" })
                Assert.All(adapter.Methods, m => Assert.True(adapter.Calibration!.Splits[split].ContainsKey(m), $"{id} {split}: {m} in calibration.json"));
            bool reward = adapter.Task.Kind == "reward";
            var outputs = reward ? [0L] : adapter.LabelTokenIds.Select(i => (long)i).ToArray();
            // Every method through the one interface, two samples (ensembles: two members) where it samples.
            var groups = adapter.Methods.Select(m => new PredictiveGroup(adapter.Predictives[m], reward ? [chosen, rejected] : [prompt], outputs,
                adapter.Predictives[m].Samples == SampleMeaning.GaussianDraws ? 100 : 2, 1)).ToList();
            var moments = PredictiveEngine.Run(loadedBase.Model, groups).Groups;
            for (int i = 0; i < groups.Count; i++)
            {
                var m = moments[i]!;
                string what = $"{id} {groups[i].Method.Name}";
                Assert.True(m.Mean.All(double.IsFinite), what);
                bool spread = groups[i].Method.Samples != SampleMeaning.None;
                Assert.Equal(spread, m.Covariance is not null && m.Covariance[0, 0] > 0);
                if (reward)
                    Assert.InRange(GroupAnswers.Pair(m, 100, 1).PChosenPreferred, 0, 1);
                else
                    Assert.Equal(1.0, GroupAnswers.Classification(m, 100, 1).Probabilities.SampledMean.Sum(), 6);
            }
        }
    }
}
