using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Tests.Support;

namespace UncertaintyService.Core.Tests.Prediction;

public class LaplacePredictorTests
{
    private static LaplaceLoraPosterior Posterior()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 91);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 92);
        return LaplaceLoraPosterior.Create(model, adapter, Tiny.Factors(adapter, n: 40, lowRank: 4), 0.5);
    }

    [Fact]
    public void BatchOfDifferentLengthsGivesEachPromptsOwnMoments()
    {
        var posterior = Posterior();
        var prompts = Tiny.Prompts(40, 2, 9, 5);
        long[] labels = [3, 8, 13];
        var (means, covariances) = LaplacePredictor.LogitMoments(posterior, prompts, labels);
        for (int b = 0; b < prompts.Length; b++)
        {
            var (mean, covariance) = LaplacePredictor.LogitMoments(posterior, [prompts[b]], labels);
            for (int i = 0; i < labels.Length; i++)
            {
                Assert.Equal(mean[0][i], means[b][i], 12);
                for (int j = 0; j < labels.Length; j++)
                    Assert.Equal(covariance[0][i, j], covariances[b][i, j], 12);
            }
        }
    }

    [Fact]
    public void PredictionsAreConsistentAndReproducible()
    {
        var posterior = Posterior();
        var prompts = Tiny.Prompts(40, 4, 6);
        long[] labels = [1, 2, 3, 4];
        var first = LaplacePredictor.Predict(posterior, prompts, labels, samples: 300, seed: 17);
        var again = LaplacePredictor.Predict(posterior, prompts, labels, samples: 300, seed: 17);
        for (int b = 0; b < prompts.Length; b++)
        {
            var p = first[b];
            Assert.Equal(again[b].Probabilities.SampledMean, p.Probabilities.SampledMean);
            double total = p.LogitMean.Sum(Math.Exp);
            for (int i = 0; i < labels.Length; i++)
                Assert.Equal(Math.Exp(p.LogitMean[i]) / total, p.Probabilities.MapProbabilities[i], 12);
            foreach (var vector in new[] { p.Probabilities.MapProbabilities, p.Probabilities.SampledMean, p.Probabilities.Probit })
                Assert.Equal(1.0, vector.Sum(), 12);
            Assert.True(Enumerable.Range(0, labels.Length).Sum(i => p.LogitCovariance[i, i]) > 0);
        }
        // Prompt 1 uses seed + 1: its draws differ from prompt 0's even for the same prompt text.
        var same = LaplacePredictor.Predict(posterior, [prompts[0], prompts[0]], labels, samples: 300, seed: 17);
        Assert.NotEqual(same[0].Probabilities.SampledMean, same[1].Probabilities.SampledMean);
    }
}
