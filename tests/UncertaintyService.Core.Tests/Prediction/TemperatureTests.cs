using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Tests.Support;

namespace UncertaintyService.Core.Tests.Prediction;

/// <summary>Temperature scaling through the one predictive interface, and its fit by validation NLL.</summary>
public class TemperatureTests
{
    [Fact]
    public void TemperatureRowsAreTheMapOutputsDividedByT()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 41);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 42, id: "a");
        var reward = TinyReward.Adapter(model, seed: 44, targets: ["q_proj"], rank: 2);
        var p = Tiny.Prompts(40, 5, 7, 3);
        long[] classes = [3, 8, 13];
        var result = PredictiveEngine.Run(model,
        [
            new(new MapMethod(adapter), [p[0], p[1]], classes, 0, 1),
            new(new TemperatureMethod(adapter, 2.5), [p[0], p[1]], classes, 0, 1),
            new(new MapMethod(reward), [p[1], p[2]], [0], 0, 1),
            new(new TemperatureMethod(reward, 0.4), [p[1], p[2]], [0], 0, 1),
        ]).Groups;

        for (int k = 0; k < result[0]!.Mean.Length; k++)
            Assert.True(Math.Abs(result[0]!.Mean[k] / 2.5 - result[1]!.Mean[k]) <= 1e-12 * Math.Max(1, Math.Abs(result[1]!.Mean[k])), "classification logits / T");
        for (int k = 0; k < result[2]!.Mean.Length; k++)
            Assert.True(Math.Abs(result[2]!.Mean[k] / 0.4 - result[3]!.Mean[k]) <= 1e-12 * Math.Max(1, Math.Abs(result[3]!.Mean[k])), "rewards / T");
        Assert.Null(result[1]!.Covariance);
    }

    [Fact]
    public void TheFittedTemperatureHasTheLowestNllOnADenseGrid()
    {
        var random = new Random(3);
        // Over-confident logits: the labels follow softmax(z / 3), so the best T is near 3.
        var logits = Enumerable.Range(0, 400).Select(_ => Enumerable.Range(0, 4).Select(_ => 6 * random.NextDouble()).ToArray()).ToList();
        var labels = logits.Select(z => Sample(z.Select(x => x / 3).ToArray(), random)).ToList();

        var (t, nll) = TemperatureFit.Classification(logits, labels);

        double Nll(double temperature) => logits.Select((z, i) => -TemperatureFit.LogSoftmax(z, temperature, labels[i])).Average();
        var grid = Enumerable.Range(0, 2000).Select(i => Math.Exp(Math.Log(0.01) + i * (Math.Log(100) - Math.Log(0.01)) / 1999)).ToArray();
        Assert.True(grid.All(g => nll <= Nll(g) + 1e-12), "a grid point beats the fit");
        Assert.InRange(t, 2, 4.5);
        Assert.Equal(Nll(t), nll, 12);
    }

    [Fact]
    public void APreferenceTemperatureSoftensOverConfidentRewardDifferences()
    {
        // Differences whose sign is right 70% of the time but whose size says 99%: T must grow well above 1.
        var random = new Random(5);
        var differences = Enumerable.Range(0, 500).Select(_ => (random.NextDouble() < 0.7 ? 1 : -1) * 5.0).ToList();

        var (t, nll) = TemperatureFit.Preferences(differences);

        Assert.True(t > 2, $"T = {t}");
        double p = 1 / (1 + Math.Exp(-5 / t));
        Assert.InRange(p, 0.65, 0.75); // the fitted probability matches the 70% that are right
        Assert.True(nll < differences.Average(d => Math.Log(1 + Math.Exp(-d))));
    }

    private static int Sample(double[] logits, Random random)
    {
        double max = logits.Max();
        var weights = logits.Select(z => Math.Exp(z - max)).ToArray();
        double u = random.NextDouble() * weights.Sum();
        for (int c = 0; c < weights.Length; c++)
            if ((u -= weights[c]) <= 0) return c;
        return weights.Length - 1;
    }
}
