using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Laplace;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Laplace;

/// <summary>Float32 rounding of a rank-deficient factor is clipped; a clearly indefinite or asymmetric factor is still refused.</summary>
public class KroneckerFactorToleranceTests
{
    [Fact]
    public void ARankOneFloat32SumOfThousandsOfOuterProductsIsAcceptedWithItsRoundingClipped()
    {
        // Every prompt ends in the same token, so every input vector is the same: a rank-1 factor,
        // summed in float32 as a Python library would.
        using var scope = NewDisposeScope();
        var generator = new Generator(7);
        var a = randn(new long[] { 256 }, generator: generator, dtype: ScalarType.Float32) * 3;
        var sum = zeros(256, 256, dtype: ScalarType.Float32);
        for (int n = 0; n < 4000; n++) sum.add_(outer(a * (1 + 1e-3f * (n % 7)), a * (1 + 1e-3f * (n % 7))));
        var factor = sum / 4000;
        var (values, _) = linalg.eigh(factor.to(ScalarType.Float64));
        double largest = values.max().item<double>(), smallest = values.min().item<double>();
        double largestEntry = factor.abs().max().item<float>();
        // Below the old bound (-1e-6 of the largest entry), which refused such factors.
        Assert.True(smallest < -1e-6 * largestEntry, $"the test needs float32 rounding to show as a negative eigenvalue ({smallest:G3} of {largestEntry:G3})");

        using var basis = KroneckerFactor.Decompose(factor, "kfac.safetensors", "m.input_factor", CPU);

        Assert.True(basis.Values.min().item<double>() >= 0);
        var dense = basis.Vectors.matmul(diag(basis.Values)).matmul(basis.Vectors.T);
        double error = (dense - factor.to(ScalarType.Float64)).abs().max().item<double>();
        Assert.True(error <= 1e-4 * largest, $"reconstruction off by {error:G3} of {largest:G3}");
    }

    [Theory]
    [InlineData(-1e-3)]
    [InlineData(-0.5)]
    public void AFactorWithAnEigenvalueFarBelowZeroIsRefused(double relative)
    {
        using var scope = NewDisposeScope();
        var factor = diag(tensor(new[] { 2.0, 1.0, relative * 2.0 }));

        var error = Assert.Throws<BundleFormatException>(() => KroneckerFactor.Decompose(factor, "kfac.safetensors", "m.output_factor", CPU));

        Assert.Contains("not positive semi-definite", error.Message);
        Assert.Equal("m.output_factor", error.Key);
    }

    [Fact]
    public void AnAsymmetricFactorIsRefused()
    {
        using var scope = NewDisposeScope();
        var factor = tensor(new[,] { { 1.0, 0.5 }, { 0.0, 1.0 } });

        var error = Assert.Throws<BundleFormatException>(() => KroneckerFactor.Decompose(factor, "kfac.safetensors", "m.input_factor", CPU));

        Assert.Contains("not symmetric", error.Message);
    }
}
