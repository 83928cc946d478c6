using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Laplace;

public class ModelEvidenceTests
{
    [Theory]
    [InlineData(null, 0.01)]
    [InlineData(null, 1.0)]
    [InlineData(null, 100.0)]
    [InlineData(2, 0.3)]
    [InlineData(4, 30.0)]
    public void LogDeterminantMatchesTheDenseMatrix(int? lowRank, double lambda)
    {
        var model = Tiny.Model(Tiny.Config(), seed: 81);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(rank: 3), seed: 82);
        var factors = Tiny.Factors(adapter, n: 64, lowRank: lowRank, seed: 83);
        var posterior = LaplaceLoraPosterior.Create(model, adapter, factors, 1.0);

        double expected = DenseReference.LogDeterminant(adapter, factors, lambda);
        double actual = posterior.LogDeterminant(lambda);
        Assert.True(Math.Abs(actual - expected) <= 1e-10 * Math.Abs(expected), $"log det {actual} vs dense {expected}");
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(2.0)]
    public void EvidenceIsTheLaplaceFormulaWithDenseTerms(double lambda)
    {
        var model = Tiny.Model(Tiny.Config(), seed: 84);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 85);
        var factors = Tiny.Factors(adapter, n: 30, lowRank: 3, seed: 86);
        var posterior = LaplaceLoraPosterior.Create(model, adapter, factors, 1.0);
        const double logLikelihood = -123.25;

        // Every term from its definition: theta_MAP flattened, P counted, the dense log-determinant.
        var theta = cat(adapter.Modules.SelectMany(m => new[] { m.A.flatten(), m.B.flatten() }).ToList());
        double squaredNorm = theta.dot(theta).item<double>();
        long parameters = theta.shape[0];
        double expected = logLikelihood - lambda / 2 * squaredNorm + parameters / 2.0 * Math.Log(lambda)
            - 0.5 * DenseReference.LogDeterminant(adapter, factors, lambda);

        double actual = posterior.ModelEvidence(logLikelihood, lambda);
        Assert.True(Math.Abs(actual - expected) <= 1e-10 * Math.Abs(expected), $"evidence {actual} vs {expected}");
        Assert.Equal(parameters, adapter.ParameterCount);
    }

    [Fact]
    public void EvidenceHasAnInteriorMaximumOverThePrior()
    {
        // Too small a prior precision pays in log det, too large in the weight norm: the evidence must
        // rise then fall, which is what makes it usable for tuning lambda.
        var model = Tiny.Model(Tiny.Config(), seed: 87);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 88);
        var posterior = LaplaceLoraPosterior.Create(model, adapter, Tiny.Factors(adapter, n: 200), 1.0);
        var grid = Enumerable.Range(-12, 33).Select(i => Math.Pow(10, i / 4.0)).ToArray();
        var evidence = grid.Select(l => posterior.ModelEvidence(0, l)).ToArray();
        int best = Array.IndexOf(evidence, evidence.Max());
        Assert.InRange(best, 1, grid.Length - 2);
    }
}
