using UncertaintyService.Cli;
using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Core.Synthetic;
using UncertaintyService.Data;
using static TorchSharp.torch;

namespace UncertaintyService.Cli.Tests;

/// <summary>
/// The offline commands end to end on a small generated base and a small task: finetune, fit-kfac,
/// tune-prior and evaluate, each through the same command tree the executable runs, and the result
/// loads as a servable adapter.
/// </summary>
[Collection(nameof(ConsoleCommands))]
public class PipelineTests : IDisposable
{
    private readonly TempFolder folder = new();

    private static int Run(params string[] args) => CliApplication.Run(args);

    [Fact]
    public void FinetuneFitTuneAndEvaluateProduceAServableAdapter()
    {
        var (bundle, baseFolder, data, adapter) = Setup();

        Assert.Equal(0, Run("finetune", "--base", baseFolder, "--data", data, "--out", adapter, "--train-size", "24",
            "--rank", "2", "--targets", "q_proj", "v_proj", "--steps", "30", "--lr", "5e-3", "--batch-size", "8"));
        Assert.Equal(0, Run("fit-kfac", "--base", baseFolder, "--adapter", adapter, "--data", data, "--train-size", "24"));
        Assert.Equal(0, Run("tune-prior", "--base", baseFolder, "--adapter", adapter, "--data", data, "--train-size", "24"));
        Assert.Equal(0, Run("fit-temperature", "--base", baseFolder, "--adapter", adapter, "--data", data));
        Assert.Equal(0, Run("evaluate", "--base", baseFolder, "--adapter", adapter, "--data", data, "--samples", "50"));

        var posterior = PosteriorConfig.Load(Path.Combine(adapter, PosteriorConfig.FileName));
        Assert.Equal("evidence", posterior.PriorTuning);
        Assert.Equal(24, posterior.NExamples);
        var report = CalibrationReport.Load(Path.Combine(adapter, CalibrationReport.FileName));
        Assert.Equal(["ood", "test", "validation"], report.Splits.Keys.Order());
        Assert.All(report.Splits.Values, methods => Assert.Equal(["baseline_bow", "baseline_frequency", "baseline_majority", "baseline_uniform",
            "laplace", "laplace_probit", "map", "temperature"], methods.Keys.Order()));
        // The uniform guess scores log 2 on a two-label task, whatever the data.
        Assert.All(report.Splits.Values, methods => Assert.Equal(Math.Log(2), methods["baseline_uniform"].Nll, 12));
        Assert.Equal(8, report.Splits["test"]["map"].N);
        Assert.True(File.Exists(Path.Combine(adapter, "reliability-test.png")));

        var loaded = BundleLoader.LoadAdapter(BundleLoader.LoadBase("demo", bundle, ScalarType.Float32, CPU), "parity", adapter);
        Assert.Equal(["map", "temperature", "laplace"], loaded.Methods);
        Assert.InRange(PosteriorConfig.Load(Path.Combine(adapter, PosteriorConfig.FileName)).Temperature!.Value, 0.01, 100);

        // --prediction map: every method answers with MAP's class, so keeps MAP's accuracy.
        Assert.Equal(0, Run("evaluate", "--base", baseFolder, "--adapter", adapter, "--data", data, "--samples", "50", "--prediction", "map"));
        var atMap = CalibrationReport.Load(Path.Combine(adapter, CalibrationReport.FileName));
        Assert.Equal("map", atMap.Prediction);
        Assert.All(atMap.Splits.Values, methods => Assert.Equal(methods["map"].Acc, methods["laplace"].Acc));
        Assert.Equal(posterior.PriorPrecision, loaded.Laplace!.PriorPrecision);
    }

    [Fact]
    public void RewardAdaptersGetAnEnsembleAndMcDropoutThatEveryCommandAndTheServiceRead()
    {
        var (bundle, baseFolder, _, _) = Setup();
        var data = WritePreferences();
        var adapter = Path.Combine(bundle, "adapters", "brightness");
        Assert.Equal(0, Run("finetune-reward", "--base", baseFolder, "--data", data, "--out", adapter, "--rank", "2", "--targets", "q_proj", "v_proj",
            "--steps", "20", "--batch-size", "8"));
        string[] common = ["--base", baseFolder, "--adapter", adapter, "--data", data, "--steps", "15", "--batch-size", "8"];
        Assert.Equal(0, Run(["fit-ensemble", .. common, "--members", "3", "--samples", "3"]));
        Assert.Equal(0, Run(["fit-mc-dropout", .. common, "--dropout", "0.2", "--samples", "4"]));
        // SVGD particles are fitted for classification adapters only: one line, exit code 2, nothing written.
        var error = new StringWriter();
        Assert.Equal(CliApplication.BadInput, CliApplication.Run(["fit-ensemble", .. common, "--members", "2", "--svgd"], error));
        Assert.Equal($"error: {adapter} is a reward (score head) adapter; this posterior is fitted for classification adapters "
            + "(fit-ensemble without --svgd and fit-mc-dropout take reward adapters).", error.ToString().TrimEnd());
        Assert.False(File.Exists(Path.Combine(adapter, "svgd.safetensors")));
        Assert.Equal(0, Run("fit-temperature", "--base", baseFolder, "--adapter", adapter, "--data", data));
        Assert.Equal(0, Run("evaluate-reward", "--base", baseFolder, "--adapter", adapter, "--data", data, "--samples", "50"));

        var report = CalibrationReport.Load(Path.Combine(adapter, CalibrationReport.FileName));
        Assert.All(report.Splits.Values, methods => Assert.Equal(["baseline_bow", "baseline_uniform",
            "ensemble", "map", "mc_dropout", "temperature"], methods.Keys.Order()));
        var loaded = BundleLoader.LoadAdapter(BundleLoader.LoadBase("demo", bundle, ScalarType.Float32, CPU), "brightness", adapter);
        Assert.Equal(["map", "temperature", "ensemble", "mc_dropout"], loaded.Methods);
        var ensemble = (ParticlePosterior)loaded.Sampled["ensemble"];
        Assert.Equal(3, ensemble.Members);
        // Each member trained its own score head from its own seed.
        var heads = Enumerable.Range(0, 3).Select(k => ensemble.Member(k).ReplacementFor("score")!.Weight.data<float>().ToArray()).ToList();
        Assert.NotEqual(heads[0], heads[1]);
        Assert.NotEqual(loaded.Adapter.ReplacementFor("score")!.Weight.data<float>().ToArray(),
            loaded.Sampled["mc_dropout"].Adapter.ReplacementFor("score")!.Weight.data<float>().ToArray());
    }

    [Fact]
    public void TunePriorRefusesFactorsFromAnotherSubset()
    {
        var (_, baseFolder, data, adapter) = Setup();
        Run("finetune", "--base", baseFolder, "--data", data, "--out", adapter, "--train-size", "24", "--steps", "2", "--targets", "q_proj");
        Run("fit-kfac", "--base", baseFolder, "--adapter", adapter, "--data", data, "--train-size", "24");
        Assert.Equal(2, Run("tune-prior", "--base", baseFolder, "--adapter", adapter, "--data", data, "--train-size", "16"));
    }

    // A small generated bundle, a task, and where the adapter goes.
    private (string Bundle, string Base, string Data, string Adapter) Setup()
    {
        var bundle = folder.Folder("bundle");
        DemoBundle.Write(bundle, RepositoryFiles.Llama2Tokenizer, new DemoBundle.Options { HiddenSize = 16, Heads = 2, KeyValueHeads = 1, IntermediateSize = 32, Rank = 2 });
        return (bundle, Path.Combine(bundle, "base"), LightsTask.Write(folder.Folder("task")), Path.Combine(bundle, "adapters", "parity"));
    }


    // Pairs whose chosen response says the light is on.
    private string WritePreferences()
    {
        var pairs = new List<PreferencePair>();
        foreach (var (split, count) in new[] { ("train", 24), ("validation", 6), ("test", 6), ("ood", 6) })
            for (int i = 0; i < count; i++)
                pairs.Add(new PreferencePair("Is the light on?", $"yes, it is on {i}", $"no, it is off {i}", 0.8, split));
        return PreferenceWriter.Write(folder.Folder("preferences"), pairs).Path;
    }

    public void Dispose() => folder.Dispose();
}
