using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Sampling;

/// <summary>Each sampler's draws against the distribution that defines it: moments within Monte Carlo error.</summary>
public class SamplerDistributionTests
{
    private const int Draws = 20_000;

    private static LoraAdapter Adapter() =>
        Tiny.Adapter(Tiny.Model(Tiny.Config(hidden: 8, heads: 2, kvHeads: 1, layers: 1)), Tiny.LoraConfig(rank: 2, targets: ["q_proj", "v_proj"]), seed: 50);

    [Theory]
    [InlineData(SigmaMapping.Square)]
    [InlineData(SigmaMapping.Softplus)]
    public void BlobDrawsAHaveMeanMAndStdSigmaAndBIsFixed(SigmaMapping mapping)
    {
        var adapter = Adapter();
        var blob = TinySampled.Blob(adapter, mapping);
        var draws = blob.Draw(Draws, new Generator(1, CPU), ScalarType.Float64, CPU);
        foreach (var m in adapter.Modules)
        {
            var a = draws[m.ModulePath].A;
            var sigma = BlobPosterior.Sigma(blob.SigmaParameters[m.ModulePath], mapping);
            // Mean within 4.5 standard errors elementwise; the std within 4.5 of its own standard error (sigma / sqrt(2n)).
            Assert.True(((a.mean(new long[] { 0 }) - m.A).abs() / (sigma / Math.Sqrt(Draws))).max().item<double>() < 4.5, $"{m.ModulePath}: mean of A");
            Assert.True(((a.std(0) - sigma).abs() / (sigma / Math.Sqrt(2.0 * Draws))).max().item<double>() < 4.5, $"{m.ModulePath}: std of A");
            Assert.True(draws[m.ModulePath].B.eq(m.B.unsqueeze(0)).all().item<bool>(), "B is deterministic");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    public void SwagDrawsHaveTheMeanAndTheCovarianceScaleTimesDiagonalPlusLowRank(int k)
    {
        var adapter = Adapter();
        var swag = TinySampled.Swag(adapter, k);
        var draws = swag.Draw(Draws, new Generator(2, CPU), ScalarType.Float64, CPU);
        // Every LoRA parameter as one vector, as the SWAG papers write it.
        var names = adapter.Modules.SelectMany(m => new[] { (m.NameA, draws[m.ModulePath].A), (m.NameB, draws[m.ModulePath].B) }).ToList();
        var theta = cat(names.Select(n => n.Item2.flatten(1)).ToList(), 1); // (n, P)
        var mean = cat(names.Select(n => swag.Moments[n.Item1].Mean.flatten()).ToList());
        var variance = cat(names.Select(n => swag.Moments[n.Item1].DiagonalStd().square().flatten()).ToList());
        var expected = diag(variance);
        if (k > 0)
        {
            var d = cat(names.Select(n => swag.Moments[n.Item1].Deviations!.flatten(1)).ToList(), 1); // (K, P)
            expected += d.T.matmul(d) / (k - 1);
        }
        expected *= swag.Scale;

        var centred = theta - mean;
        var sampleMean = centred.mean(new long[] { 0 });
        var standardError = (expected.diagonal() / Draws).sqrt();
        Assert.True((sampleMean.abs() / standardError).max().item<double>() < 4.5, "mean");
        var sampleCovariance = centred.T.matmul(centred) / Draws;
        // Standard error of a Gaussian sample covariance entry: sqrt((S_ii S_jj + S_ij^2) / n).
        var covarianceError = ((expected.diagonal().outer(expected.diagonal()) + expected.square()) / Draws).sqrt();
        Assert.True(((sampleCovariance - expected).abs() / covarianceError).max().item<double>() < 5, "covariance");
    }

    [Fact]
    public void EnsembleSamplesAreItsMembersInOrder()
    {
        var adapter = Adapter();
        var ensemble = TinySampled.Particles(adapter, members: 5);
        var draws = ensemble.Draw(3, new Generator(3, CPU), ScalarType.Float64, CPU);
        for (int k = 0; k < 3; k++)
        {
            var member = ensemble.Member(k);
            foreach (var m in adapter.Modules)
            {
                Assert.True(draws[m.ModulePath].A[k].eq(member.Module(m.ModulePath)!.A).all().item<bool>());
                Assert.True(draws[m.ModulePath].B[k].eq(member.Module(m.ModulePath)!.B).all().item<bool>());
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => ensemble.Draw(6, new Generator(3, CPU), ScalarType.Float64, CPU));
    }
}
