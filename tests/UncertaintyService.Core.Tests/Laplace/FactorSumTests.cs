using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Laplace.Fitting;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Laplace;

/// <summary>The two factor accumulators against dense matrices, step by step.</summary>
public class FactorSumTests
{
    private static List<Tensor> Blocks(long dimension, params long[] rows)
    {
        var generator = new Generator(99, CPU);
        return rows.Select(m => randn(new[] { m, dimension }, ScalarType.Float64, CPU, generator: generator)).ToList();
    }

    [Fact]
    public void IncrementalSvdEqualsTruncatingTheDenseSumAfterEveryBlock()
    {
        // The dense version of the algorithm: add X^T X, keep the k leading eigenpairs, repeat. Blocks
        // include one with no rows and a first one with fewer rows than k (zero columns kept).
        const long dimension = 12;
        const int k = 4;
        var sum = FactorSum.Create(dimension, k, CPU);
        var dense = zeros(dimension, dimension, ScalarType.Float64);
        foreach (var block in Blocks(dimension, 2, 0, 7, 5, 9))
        {
            sum.Add(block);
            var (values, vectors) = linalg.eigh(dense + block.T.matmul(block));
            var leading = vectors[.., ^k..];
            dense = leading.matmul(diag(values[^k..])).matmul(leading.T);
        }

        var root = sum.Finish(0.25);
        Assert.Equal([dimension, (long)k], root.shape);
        Numeric.Close(KroneckerFactor.ToDense(root), 0.25 * dense, 1e-10, "U U^T");
    }

    [Fact]
    public void SquareSumIsTheScaledGramMatrixExactlySymmetric()
    {
        var sum = FactorSum.Create(6, lowRank: null, CPU);
        var blocks = Blocks(6, 3, 4);
        foreach (var block in blocks) sum.Add(block);
        var all = cat(blocks, 0);
        var factor = sum.Finish(0.5);
        Numeric.Close(factor, 0.5 * all.T.matmul(all), 1e-14, "X^T X");
        Assert.Equal(0, (factor - factor.T).abs().max().item<double>());
    }

    [Fact]
    public void SideNoLargerThanKStaysSquare()
    {
        // A 6 x 6 root would be read back as the factor itself, so k >= D must store the square factor.
        Assert.IsType<SquareFactorSum>(FactorSum.Create(6, 6, CPU));
        Assert.IsType<SquareFactorSum>(FactorSum.Create(6, 9, CPU));
        Assert.IsType<LowRankFactorSum>(FactorSum.Create(6, 5, CPU));
    }
}
