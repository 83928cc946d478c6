using TorchSharp;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Laplace;

/// <summary>What Fit writes and returns: a loadable kfac-v1 file, the log-likelihood, progress, argument checks.</summary>
public sealed class KfacFitterFileTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData(null, FisherKind.Exact, PositionHandling.Expand)]
    [InlineData(3, FisherKind.Mc, PositionHandling.Reduce)]
    [InlineData(5, FisherKind.Empirical, PositionHandling.Last)]
    public void WrittenFileLoadsAndMakesAPosterior(int? lowRank, FisherKind kind, PositionHandling positions)
    {
        var (model, adapter, classes) = KfacFitterFisherTests.LanguageModelSetup();
        var prompts = Tiny.Prompts(model.Config.VocabSize, 3, 6, 2);
        var path = folder.File(KfacFactorFile.FileName);

        var fit = KfacFitter.Fit(model, adapter, prompts, [0, 2, 3], classes, new KfacFitOptions(kind, positions, lowRank, BatchSize: 2), path);
        var loaded = KfacFactorFile.Load(path);

        Assert.Equal(new KfacMetadata(3, kind, positions), loaded.Metadata);
        Assert.Equal(fit.Factors.Metadata, loaded.Metadata);
        Assert.Equal(fit.Factors.Modules.Keys.Order(), loaded.Modules.Keys.Order());
        foreach (var (name, factors) in fit.Factors.Modules)
        {
            Assert.Equal(Numeric.Row(factors.InputFactor), Numeric.Row(loaded.Modules[name].InputFactor));
            Assert.Equal(Numeric.Row(factors.OutputFactor), Numeric.Row(loaded.Modules[name].OutputFactor));
        }
        var q = adapter.Modules[0];
        Assert.Equal(lowRank is { } k ? [q.A.shape[1], k] : new[] { q.A.shape[1], q.A.shape[1] }, loaded.Modules[q.NameA].InputFactor.shape);

        var posterior = LaplaceLoraPosterior.Create(model, adapter, loaded, 1.0);
        var variance = posterior.Variance(posterior.JacobianMean(TokenBatch.Create(prompts, CPU), tensor(classes)));
        Assert.True(variance.isfinite().all().item<bool>());
        Assert.True(double.IsFinite(posterior.ModelEvidence(fit.LogLikelihood, 1.0)));
    }

    [Fact]
    public void LogLikelihoodIsTheSumOfTrueLabelLogSoftmaxes()
    {
        var (model, adapter, classes) = KfacFitterFisherTests.ScoreHeadSetup();
        var prompts = Tiny.Prompts(model.Config.VocabSize, 4, 1, 7, 3, 5);
        int[] labels = [2, 0, 1, 1, 0];
        var fit = KfacFitter.Fit(model, adapter, prompts, labels, classes, new KfacFitOptions(FisherKind.Exact, PositionHandling.Last, BatchSize: 3),
            folder.File("kfac.safetensors"));

        double expected = prompts.Select((p, n) => Math.Log(KfacSlowReference.Probabilities(model, adapter, p, classes)[labels[n]])).Sum();
        Assert.Equal(expected, fit.LogLikelihood, 1e-12);
        Assert.Equal(prompts.Length, fit.Examples);
    }

    [Fact]
    public void Float32ModelGivesTheFloat64FactorsWithinTheFloat32Bound()
    {
        // The model runs in float32, the sums in float64: DESIGN.md's float32 bound is 1e-4.
        var config = Tiny.Config();
        var model64 = Tiny.Model(config, seed: 201);
        var model32 = Tiny.Model(config, seed: 201, dtype: ScalarType.Float32);
        var adapter64 = Tiny.Adapter(model64, Tiny.LoraConfig(rank: 3), seed: 202);
        var adapter32 = Tiny.Adapter(model32, Tiny.LoraConfig(rank: 3), seed: 202);
        var prompts = Tiny.Prompts(40, 3, 6, 2);
        var options = new KfacFitOptions(FisherKind.Exact, PositionHandling.Expand, BatchSize: 2);
        long[] classes = [3, 10, 17, 24];

        var fit64 = KfacFitter.Fit(model64, adapter64, prompts, [0, 1, 2], classes, options, folder.File("64.safetensors"));
        var fit32 = KfacFitter.Fit(model32, adapter32, prompts, [0, 1, 2], classes, options, folder.File("32.safetensors"));

        Assert.Equal(fit64.LogLikelihood, fit32.LogLikelihood, 1e-4 * Math.Abs(fit64.LogLikelihood));
        foreach (var (name, factors) in fit64.Factors.Modules)
        {
            Assert.Equal(ScalarType.Float64, fit32.Factors.Modules[name].InputFactor.dtype);
            Numeric.Close(fit32.Factors.Modules[name].InputFactor, factors.InputFactor, 1e-4, $"{name} input");
            Numeric.Close(fit32.Factors.Modules[name].OutputFactor, factors.OutputFactor, 1e-4, $"{name} output");
        }
    }

    [Fact]
    public void ProgressCountsExamplesAfterEachBatch()
    {
        var (model, adapter, classes) = KfacFitterFisherTests.LanguageModelSetup();
        var reports = new List<int>();
        KfacFitter.Fit(model, adapter, Tiny.Prompts(40, 2, 3, 4, 5, 6), [0, 1, 2, 3, 0], classes,
            new KfacFitOptions(FisherKind.Empirical, PositionHandling.Reduce, BatchSize: 2), folder.File("kfac.safetensors"), new Recording(reports));
        Assert.Equal([2, 4, 5], reports);
    }

    [Fact]
    public void BadArgumentsAreRejectedBeforeAnyWork()
    {
        var (model, adapter, classes) = KfacFitterFisherTests.LanguageModelSetup();
        var prompts = Tiny.Prompts(40, 2, 3);
        var options = new KfacFitOptions(FisherKind.Exact, PositionHandling.Expand);
        var path = folder.File("kfac.safetensors");

        Assert.Throws<ArgumentException>(() => KfacFitter.Fit(model, adapter, prompts, [0], classes, options, path));
        Assert.Throws<ArgumentOutOfRangeException>(() => KfacFitter.Fit(model, adapter, prompts, [0, 4], classes, options, path));
        Assert.Throws<ArgumentOutOfRangeException>(() => KfacFitter.Fit(model, adapter, prompts, [0, -1], classes, options, path));
        Assert.Throws<ArgumentException>(() => KfacFitter.Fit(model, adapter, [], [], classes, options, path));
        Assert.Throws<ArgumentException>(() => KfacFitter.Fit(model, adapter, prompts, [0, 1], [], options, path));
        Assert.Throws<ArgumentException>(() => KfacFitter.Fit(model, adapter, prompts, [0, 0], [5], options, path));
        Assert.Throws<ArgumentOutOfRangeException>(() => KfacFitter.Fit(model, adapter, prompts, [0, 1], classes, options with { BatchSize = 0 }, path));
        Assert.Throws<ArgumentOutOfRangeException>(() => KfacFitter.Fit(model, adapter, prompts, [0, 1], classes, options with { LowRank = 0 }, path));
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(3)]
    public void FittingLeavesNoLiveTensorButTheFactors(int? lowRank)
    {
        var (model, adapter, classes) = KfacFitterFisherTests.LanguageModelSetup();
        var prompts = Tiny.Prompts(40, 2, 5, 3);
        var options = new KfacFitOptions(FisherKind.Exact, PositionHandling.Expand, lowRank, BatchSize: 2);
        KfacFitter.Fit(model, adapter, prompts, [0, 1, 2], classes, options, folder.File("warm.safetensors"));

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 5; i++)
        {
            var fit = KfacFitter.Fit(model, adapter, prompts, [0, 1, 2], classes, options, folder.File("kfac.safetensors"));
            foreach (var factors in fit.Factors.Modules.Values)
            {
                factors.InputFactor.Dispose();
                factors.OutputFactor.Dispose();
            }
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    // Progress<T> reports on the thread pool; the test needs the reports in order, on this thread.
    private sealed class Recording(List<int> reports) : IProgress<int>
    {
        public void Report(int value) => reports.Add(value);
    }
}
