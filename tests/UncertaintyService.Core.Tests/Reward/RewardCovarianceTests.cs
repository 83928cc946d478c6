using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Reward;

/// <summary>
/// The reward posterior over the LoRA matrices and the saved score head: variances and the chosen /
/// rejected covariance against the dense P x P posterior, on a tiny float64 model whose base has no
/// score head of its own.
/// </summary>
public class RewardCovarianceTests
{
    [Theory]
    [InlineData(null, 0.7)]
    [InlineData(3, 2.5)]
    public void JointRewardGaussianOfPairsMatchesTheDensePosterior(int? lowRank, double lambda)
    {
        var (model, adapter) = TinyReward.Create(seed: 301);
        var factors = TinyReward.Factors(adapter, n: 30, lowRank, seed: 303);
        var posterior = LaplaceLoraPosterior.Create(model, adapter, factors, lambda);
        var chosen = Tiny.Prompts(40, 5, 3, 6);
        var rejected = Tiny.Prompts(40, 2, 7, 4);

        var moments = RewardPredictor.LaplacePairs(posterior, chosen, rejected);

        for (int b = 0; b < chosen.Length; b++)
        {
            var gc = TinyReward.Gradient(model, adapter, chosen[b]);
            var gr = TinyReward.Gradient(model, adapter, rejected[b]);
            Close(moments.Chosen.Variances[b], TinyReward.DenseCovariance(adapter, factors, gc, gc, lambda), $"var chosen {b}");
            Close(moments.Rejected.Variances[b], TinyReward.DenseCovariance(adapter, factors, gr, gr, lambda), $"var rejected {b}");
            Close(moments.Covariances[b], TinyReward.DenseCovariance(adapter, factors, gc, gr, lambda), $"cov {b}");
        }
        // The head's block must matter, or the test would not show that it is covered.
        var headOnly = factors.Modules.Keys.Single(k => k.EndsWith(".score"));
        var g = TinyReward.Gradient(model, adapter, chosen[0]);
        Assert.True(g[headOnly].abs().max().item<double>() > 0.1);
    }

    [Fact]
    public void RewardMeansAreTheMapScoresAndMapHasNoVariance()
    {
        var (model, adapter) = TinyReward.Create(seed: 311);
        var posterior = LaplaceLoraPosterior.Create(model, adapter, TinyReward.Factors(adapter, 10, null, 313), 1.0);
        var texts = Tiny.Prompts(40, 4, 1, 6);
        var laplace = RewardPredictor.Laplace(posterior, texts);
        var map = RewardPredictor.Map(model, adapter, texts);
        for (int b = 0; b < texts.Length; b++)
        {
            var alone = model.Forward(TokenBatch.Create([texts[b]], CPU), ModelHead.Score, new ForwardContext { Adapter = adapter })[0, 0].item<double>();
            Close(laplace.Means[b], alone, $"laplace mean {b}");
            Close(map.Means[b], alone, $"map mean {b}");
            Assert.Equal(0, map.Variances[b]);
            Assert.True(laplace.Variances[b] > 0);
        }
    }

    [Fact]
    public void EvidenceCountsTheHeadInItsLogDeterminantNormAndParameterCount()
    {
        var (model, adapter) = TinyReward.Create(seed: 321);
        var factors = TinyReward.Factors(adapter, 12, 2, 323);
        var posterior = LaplaceLoraPosterior.Create(model, adapter, factors, 1.0);
        const double lambda = 0.3, logLikelihood = -7.5;
        double dense = TinyReward.DenseLogDeterminant(adapter, factors, lambda);
        Close(posterior.LogDeterminant(lambda), dense, "log det");

        long parameters = adapter.Modules.Sum(m => m.A.numel() + m.B.numel()) + adapter.SavedModules.Sum(s => s.Weight.numel());
        double norm = adapter.Modules.Sum(m => m.A.square().sum().item<double>() + m.B.square().sum().item<double>())
            + adapter.SavedModules.Sum(s => s.Weight.square().sum().item<double>());
        double expected = logLikelihood - lambda / 2 * norm + parameters / 2.0 * Math.Log(lambda) - dense / 2;
        Close(posterior.ModelEvidence(logLikelihood, lambda), expected, "evidence");
    }

    [Fact]
    public void FactorsMissingForTheSavedHeadAreRejectedNamingTheKey()
    {
        var (model, adapter) = TinyReward.Create(seed: 331);
        var factors = TinyReward.Factors(adapter, 10, null, 333);
        var without = factors with { Modules = factors.Modules.Where(m => !m.Key.EndsWith(".score")).ToDictionary(m => m.Key, m => m.Value) };
        Rejected.Bundle(() => LaplaceLoraPosterior.Create(model, adapter, without, 1.0), "(test)", "base_model.model.score", "saves this module");
    }

    private static void Close(double actual, double expected, string what) =>
        Numeric.Close(tensor(actual), tensor(expected), 1e-9, what);
}
