using UncertaintyService.Core.Prediction;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Prediction;

public class LogitPredictiveTests
{
    private static readonly double[] Mean = [1.5, -0.5, 0.25, 2.0];
    private static readonly double[,] Covariance =
    {
        { 2.0, 0.6, -0.3, 0.1 },
        { 0.6, 1.0, 0.2, 0.0 },
        { -0.3, 0.2, 0.5, -0.1 },
        { 0.1, 0.0, -0.1, 0.8 },
    };

    [Fact]
    public void SampledLogitsHaveTheGaussiansMeanAndCovarianceWithinFourStandardErrors()
    {
        const int samples = 40_000;
        var sigma = tensor(Covariance) + LogitPredictive.Jitter * eye(4, dtype: ScalarType.Float64);
        var draws = LogitPredictive.SampleLogits(tensor(Mean), tensor(Covariance), samples, seed: 7);
        var mean = draws.mean([0]);
        var centred = draws - mean;
        var covariance = centred.T.matmul(centred) / (samples - 1);
        for (int i = 0; i < 4; i++)
        {
            double meanError = Math.Sqrt(sigma[i, i].item<double>() / samples);
            Assert.InRange(mean[i].item<double>(), Mean[i] - 4 * meanError, Mean[i] + 4 * meanError);
            for (int j = 0; j < 4; j++)
            {
                double sii = sigma[i, i].item<double>(), sjj = sigma[j, j].item<double>(), sij = sigma[i, j].item<double>();
                double covarianceError = Math.Sqrt((sii * sjj + sij * sij) / samples);
                Assert.InRange(covariance[i, j].item<double>(), sij - 4 * covarianceError, sij + 4 * covarianceError);
            }
        }
    }

    [Fact]
    public void ProbitIsSoftmaxOfTheMeanScaledByTheVariance()
    {
        var summary = LogitPredictive.Summarise(Mean, Covariance, samples: 10, seed: 1);
        var scaled = Mean.Select((m, i) => m / Math.Sqrt(1 + Math.PI / 8 * Covariance[i, i])).ToArray();
        double total = scaled.Sum(Math.Exp);
        for (int i = 0; i < Mean.Length; i++)
            Assert.Equal(Math.Exp(scaled[i]) / total, summary.Probit[i], 14);
    }

    [Fact]
    public void MapIsSoftmaxOfTheMean()
    {
        var summary = LogitPredictive.Summarise(Mean, Covariance, samples: 10, seed: 1);
        double total = Mean.Sum(Math.Exp);
        for (int i = 0; i < Mean.Length; i++)
            Assert.Equal(Math.Exp(Mean[i]) / total, summary.MapProbabilities[i], 14);
    }

    [Fact]
    public void SampledProbabilitiesAreTheAverageOfPerSampleSoftmaxes()
    {
        var draws = LogitPredictive.SampleLogits(tensor(Mean), tensor(Covariance), 500, seed: 3);
        var perSample = draws.softmax(1);
        var summary = LogitPredictive.Summarise(Mean, Covariance, 500, seed: 3);
        var expectedMean = perSample.mean([0]).data<double>().ToArray();
        var expectedStd = perSample.std(0, unbiased: true).data<double>().ToArray();
        for (int i = 0; i < Mean.Length; i++)
        {
            Assert.Equal(expectedMean[i], summary.SampledMean[i], 14);
            Assert.Equal(expectedStd[i], summary.SampledStd[i], 14);
        }
        Assert.Equal(1.0, summary.SampledMean.Sum(), 12);
        // Averaging logits instead would throw the variance away and be sharper than this.
        var softmaxOfMeanLogit = draws.mean([0]).softmax(0).data<double>().ToArray();
        Assert.True(summary.SampledMean.Max() < softmaxOfMeanLogit.Max());
    }

    [Fact]
    public void EntropySplitAddsUpAndIsNonNegative()
    {
        var summary = LogitPredictive.Summarise(Mean, Covariance, 2000, seed: 11);
        var p = summary.SampledMean;
        double total = -p.Sum(x => x * Math.Log(x));
        Assert.Equal(total, summary.TotalEntropy, 12);
        Assert.Equal(summary.TotalEntropy, summary.Aleatoric + summary.Epistemic, 12);
        Assert.True(summary.Epistemic > 0);
        Assert.True(summary.Aleatoric > 0);
    }

    [Fact]
    public void TheSameSeedGivesTheSameSamplesAndAnotherSeedOthers()
    {
        var a = LogitPredictive.Summarise(Mean, Covariance, 100, seed: 42);
        var b = LogitPredictive.Summarise(Mean, Covariance, 100, seed: 42);
        var c = LogitPredictive.Summarise(Mean, Covariance, 100, seed: 43);
        Assert.Equal(a.SampledMean, b.SampledMean);
        Assert.Equal(a.SampledStd, b.SampledStd);
        Assert.NotEqual(a.SampledMean, c.SampledMean);
    }

    [Fact]
    public void ZeroCovarianceCollapsesToTheMap()
    {
        var summary = LogitPredictive.Summarise(Mean, new double[4, 4], 200, seed: 5);
        for (int i = 0; i < Mean.Length; i++)
        {
            // The Cholesky jitter (1e-6 I) leaves logit noise of standard deviation 1e-3.
            Assert.Equal(summary.MapProbabilities[i], summary.SampledMean[i], 3);
            Assert.Equal(summary.MapProbabilities[i], summary.Probit[i], 14);
        }
        Assert.True(summary.Epistemic < 1e-5);
    }
}
