using UncertaintyService.Core.Sampling;

namespace UncertaintyService.Core.Tests.Sampling;

/// <summary>The summary of sampled logits against its formulas, written out in plain loops.</summary>
public class SampleSummaryTests
{
    [Fact]
    public void MomentsProbabilitiesAndEntropiesFollowTheirDefinitions()
    {
        var random = new Random(4);
        int s = 7, c = 4;
        var logits = new double[s, c];
        for (int i = 0; i < s; i++)
            for (int k = 0; k < c; k++)
                logits[i, k] = random.NextDouble() * 4 - 2;
        var prediction = SampledPredictor.Summarise(logits);

        var mean = Enumerable.Range(0, c).Select(k => Enumerable.Range(0, s).Average(i => logits[i, k])).ToArray();
        var probabilities = Enumerable.Range(0, s).Select(i => Softmax(Enumerable.Range(0, c).Select(k => logits[i, k]).ToArray())).ToArray();
        var pMean = Enumerable.Range(0, c).Select(k => probabilities.Average(p => p[k])).ToArray();
        for (int a = 0; a < c; a++)
        {
            Assert.Equal(mean[a], prediction.LogitMean[a], 13);
            for (int b = 0; b < c; b++)
            {
                double covariance = Enumerable.Range(0, s).Sum(i => (logits[i, a] - mean[a]) * (logits[i, b] - mean[b])) / (s - 1);
                Assert.Equal(covariance, prediction.LogitCovariance[a, b], 13);
            }
            Assert.Equal(pMean[a], prediction.Probabilities.SampledMean[a], 13);
            double std = Math.Sqrt(probabilities.Sum(p => Math.Pow(p[a] - pMean[a], 2)) / (s - 1));
            Assert.Equal(std, prediction.Probabilities.SampledStd[a], 13);
        }
        Assert.Equal(Softmax(mean), prediction.Probabilities.MapProbabilities, (x, y) => Math.Abs(x - y) < 1e-13);
        var probit = Softmax(mean.Select((m, k) => m / Math.Sqrt(1 + Math.PI / 8 * prediction.LogitCovariance[k, k])).ToArray());
        Assert.Equal(probit, prediction.Probabilities.Probit, (x, y) => Math.Abs(x - y) < 1e-13);
        double total = Entropy(pMean), aleatoric = probabilities.Average(Entropy);
        Assert.Equal(total, prediction.Probabilities.TotalEntropy, 13);
        Assert.Equal(aleatoric, prediction.Probabilities.Aleatoric, 13);
        Assert.Equal(total - aleatoric, prediction.Probabilities.Epistemic, 13);
        Assert.True(prediction.Probabilities.Epistemic > 0);
    }

    [Fact]
    public void OneSampleHasNoSpread()
    {
        var prediction = SampledPredictor.Summarise(new double[,] { { 0.5, -1, 2 } });
        Assert.All(prediction.LogitCovariance.Cast<double>(), v => Assert.Equal(0, v));
        Assert.All(prediction.Probabilities.SampledStd, v => Assert.Equal(0, v));
        Assert.Equal(prediction.Probabilities.MapProbabilities, prediction.Probabilities.SampledMean);
        Assert.Equal(0, prediction.Probabilities.Epistemic, 14);
    }

    private static double[] Softmax(double[] logits)
    {
        double max = logits.Max();
        var e = logits.Select(v => Math.Exp(v - max)).ToArray();
        return e.Select(v => v / e.Sum()).ToArray();
    }

    private static double Entropy(double[] p) => -p.Where(v => v > 0).Sum(v => v * Math.Log(v));
}
