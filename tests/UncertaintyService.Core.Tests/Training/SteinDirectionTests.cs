using UncertaintyService.Core.Tests.Support;
using UncertaintyService.Core.Training;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Training;

public class SteinDirectionTests
{
    [Fact]
    public void MatchesTheSumWrittenOutParticleByParticle()
    {
        var generator = new Generator(8, CPU);
        var theta = randn(new long[] { 5, 7 }, ScalarType.Float64, CPU, generator: generator);
        var scores = randn(new long[] { 5, 7 }, ScalarType.Float64, CPU, generator: generator);
        var phi = SvgdTrainer.SteinDirection(theta, scores);

        int k = 5;
        var squared = new double[k, k];
        var all = new List<double>();
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                all.Add(squared[i, j] = (theta[i] - theta[j]).square().sum().item<double>());
        all.Sort();
        double median = (all[all.Count / 2 - 1] + all[all.Count / 2]) / 2; // torch's median is the lower middle value
        median = all[(all.Count - 1) / 2];
        double h = median / Math.Log(k + 1);
        for (int i = 0; i < k; i++)
        {
            var expected = zeros(7, ScalarType.Float64);
            for (int j = 0; j < k; j++)
            {
                double kernel = Math.Exp(-squared[j, i] / h);
                expected += kernel * scores[j] - (2 / h) * (theta[j] - theta[i]) * kernel;
            }
            Numeric.Close(phi[i], expected / k, 1e-12, $"particle {i}");
        }
    }

    [Fact]
    public void ParticlesSettleOnAGaussianTarget()
    {
        // Target N(m, diag(s^2)) in 2-D: 100 particles from a wrong start, plain steps along phi.
        var mean = tensor(new[] { 1.0, -2.0 });
        var std = tensor(new[] { 0.5, 1.5 });
        var theta = randn(new long[] { 100, 2 }, ScalarType.Float64, CPU, generator: new Generator(9, CPU)) * 0.1 + 3;
        for (int step = 0; step < 3000; step++)
            theta = theta + 0.05 * SvgdTrainer.SteinDirection(theta, -(theta - mean) / std.square());
        Numeric.Close(theta.mean(new long[] { 0 }), mean, 0.05, "particle mean");
        Numeric.Close(theta.std(0), std, 0.1, "particle std");
    }
}
