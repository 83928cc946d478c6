using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Reward;

public class PreferenceProbabilityTests
{
    [Theory]
    [InlineData(1.3, -0.4, 0.8, 0.5, 0.3)]
    [InlineData(-0.2, 0.9, 2.0, 1.0, -0.6)]
    [InlineData(0.0, 0.0, 0.1, 0.1, 0.05)]
    public void ClosedFormsMatchTheirFormulas(double muC, double muR, double varC, double varR, double cov)
    {
        double m = muC - muR, s2 = varC + varR - 2 * cov;
        Assert.Equal(s2, PreferenceProbability.DifferenceVariance(varC, varR, cov), 15);
        // Phi(m / s) through erf, a different libtorch function than the code's ndtr.
        double phi = 0.5 * (1 + special.erf(tensor(m / Math.Sqrt(2 * s2), ScalarType.Float64)).item<double>());
        Assert.Equal(phi, PreferenceProbability.RewardHigher(m, s2), 14);
        Assert.Equal(1 / (1 + Math.Exp(-m / Math.Sqrt(1 + Math.PI / 8 * s2))), PreferenceProbability.Probit(m, s2), 14);
        Assert.Equal(1 / (1 + Math.Exp(-m)), PreferenceProbability.Sigmoid(m), 15);
    }

    [Fact]
    public void RewardHigherWithoutVarianceIsTheSignOfTheDifference()
    {
        Assert.Equal(1, PreferenceProbability.RewardHigher(0.2, 0));
        Assert.Equal(0, PreferenceProbability.RewardHigher(-0.2, 0));
        Assert.Equal(0.5, PreferenceProbability.RewardHigher(0, 0));
        Assert.Equal(0, PreferenceProbability.DifferenceVariance(1, 1, 1 + 1e-17));
    }

    [Fact]
    public void MonteCarloMatchesTheBradleyTerryPredictiveByQuadrature()
    {
        const double muC = 0.8, muR = -0.3, varC = 1.5, varR = 0.9, cov = 0.6;
        const int samples = 40000;
        double m = muC - muR, s2 = varC + varR - 2 * cov;
        // E[sigmoid(d)], d ~ N(m, s2), by the trapezoid rule over +-12 standard deviations.
        double expected = 0, expectedSquare = 0, h = 24 * Math.Sqrt(s2) / 20000;
        for (int i = 0; i <= 20000; i++)
        {
            double d = m - 12 * Math.Sqrt(s2) + i * h;
            double w = Math.Exp(-(d - m) * (d - m) / (2 * s2)) / Math.Sqrt(2 * Math.PI * s2) * h * (i is 0 or 20000 ? 0.5 : 1);
            double p = PreferenceProbability.Sigmoid(d);
            expected += w * p;
            expectedSquare += w * p * p;
        }
        double sd = Math.Sqrt(expectedSquare - expected * expected);
        var (mean, std) = PreferenceProbability.MonteCarlo(muC, muR, varC, varR, cov, samples, seed: 5);
        Assert.InRange(mean, expected - 4 * sd / Math.Sqrt(samples), expected + 4 * sd / Math.Sqrt(samples));
        Assert.InRange(std, 0.97 * sd, 1.03 * sd);
        Assert.Equal((mean, std), PreferenceProbability.MonteCarlo(muC, muR, varC, varR, cov, samples, seed: 5));
    }

    [Fact]
    public void PerfectlyCorrelatedRewardsLeaveTheMapProbability()
    {
        // var_c = var_r = cov: the difference is certain, whatever each reward's own variance.
        var (mean, std) = PreferenceProbability.MonteCarlo(0.5, -0.5, 4, 4, 4, 2000, seed: 1);
        Assert.Equal(PreferenceProbability.Sigmoid(1), mean, 3);
        Assert.True(std < 1e-3);
    }
}
