using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Tests.Support;

namespace UncertaintyService.Core.Tests.Laplace;

public sealed class PriorTuningTests : IDisposable
{
    private const double MinLambda = 1e-4, MaxLambda = 1e6;
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData(FisherKind.Exact, PositionHandling.Expand, null)]
    [InlineData(FisherKind.Empirical, PositionHandling.Reduce, 3)]
    public void EvidenceMaximumAgreesWithADenseGrid(FisherKind kind, PositionHandling positions, int? lowRank)
    {
        // Factors and log-likelihood fitted from data, as the CLI will do it.
        var (model, adapter, classes) = KfacFitterFisherTests.LanguageModelSetup();
        var prompts = Tiny.Prompts(model.Config.VocabSize, 3, 5, 2, 6, 4, 1);
        var fit = KfacFitter.Fit(model, adapter, prompts, [0, 1, 2, 3, 1, 0], classes, new KfacFitOptions(kind, positions, lowRank),
            folder.File("kfac.safetensors"));
        var posterior = LaplaceLoraPosterior.Create(model, adapter, fit.Factors, 1.0);

        var (lambda, evidence) = PriorTuning.MaximiseEvidence(posterior, fit.LogLikelihood, MinLambda, MaxLambda);

        const int points = 2000;
        double spacing = (Math.Log(MaxLambda) - Math.Log(MinLambda)) / (points - 1);
        var grid = Enumerable.Range(0, points).Select(i => Math.Exp(Math.Log(MinLambda) + i * spacing)).ToArray();
        var values = grid.Select(l => posterior.ModelEvidence(fit.LogLikelihood, l)).ToArray();
        int best = Array.IndexOf(values, values.Max());
        Assert.InRange(best, 1, points - 2); // an interior optimum, or the test would only check a clamp
        Assert.True(Math.Abs(Math.Log(lambda) - Math.Log(grid[best])) <= spacing, $"lambda {lambda:G6} vs grid {grid[best]:G6}");
        Assert.True(evidence >= values[best], $"evidence {evidence:R} below the grid's best {values[best]:R}");
        Assert.Equal(posterior.ModelEvidence(fit.LogLikelihood, lambda), evidence);
    }

    [Fact]
    public void EvidenceStillRisingAtTheRangeEndGivesTheEnd()
    {
        var (model, adapter, classes) = KfacFitterFisherTests.LanguageModelSetup();
        var fit = KfacFitter.Fit(model, adapter, Tiny.Prompts(40, 3, 4), [0, 1], classes, new KfacFitOptions(FisherKind.Exact, PositionHandling.Last),
            folder.File("kfac.safetensors"));
        var posterior = LaplaceLoraPosterior.Create(model, adapter, fit.Factors, 1.0);
        var (free, _) = PriorTuning.MaximiseEvidence(posterior, fit.LogLikelihood);
        double cap = free / 100;

        var (lambda, evidence) = PriorTuning.MaximiseEvidence(posterior, fit.LogLikelihood, MinLambda, cap);

        Assert.Equal(cap, lambda, cap * 1e-12);
        Assert.Equal(posterior.ModelEvidence(fit.LogLikelihood, lambda), evidence);
    }

    [Fact]
    public void ValidationNllMinimumIsFoundInLogLambda()
    {
        var (lambda, nll) = PriorTuning.MinimiseValidationNll(l => 0.7 + Math.Pow(Math.Log(l) - Math.Log(3.7), 2));
        Assert.Equal(3.7, lambda, 3.7 * 1e-6);
        Assert.Equal(0.7, nll, 1e-12);
    }

    [Fact]
    public void ValidationNllSearchPicksTheDeeperBasin()
    {
        // Two basins, at lambda = 1e-2 (depth 0.5) and 1e3 (depth 0.2): the coarse grid chooses the second.
        static double Nll(double l)
        {
            double s = Math.Log10(l);
            return 1 - 0.5 * Math.Exp(-Math.Pow(s + 2, 2)) - 0.8 * Math.Exp(-Math.Pow(s - 3, 2));
        }
        var (lambda, nll) = PriorTuning.MinimiseValidationNll(Nll);
        Assert.InRange(Math.Log10(lambda), 2.99, 3.01);
        Assert.True(nll <= Nll(1e3));
    }

    [Fact]
    public void NanCountsAsWorstAndBadRangesAreRejected()
    {
        var (lambda, _) = PriorTuning.MinimiseValidationNll(l => l < 1 ? double.NaN : Math.Pow(Math.Log(l) - 1, 2));
        Assert.Equal(Math.E, lambda, 1e-6);
        Assert.Throws<ArgumentOutOfRangeException>(() => PriorTuning.MinimiseValidationNll(l => l, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PriorTuning.MinimiseValidationNll(l => l, 5, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => PriorTuning.MinimiseValidationNll(l => l, 1, double.PositiveInfinity));
    }
}
