using static TorchSharp.torch;

namespace UncertaintyService.Core.Laplace.Fitting;

/// <summary>A running sum X^T X of the rows of one Kronecker factor (float64, on the fitting device).</summary>
internal abstract class FactorSum
{
    public abstract long Dimension { get; }

    /// <summary>Adds rows^T rows for <paramref name="rows"/> (m, Dimension), float64. The caller keeps its tensor.</summary>
    public abstract void Add(Tensor rows);

    /// <summary>The sum times <paramref name="scale"/>, as stored: square, or the tall root U with U U^T the factor. A fresh CPU tensor.</summary>
    public abstract Tensor Finish(double scale);

    public static FactorSum Create(long dimension, int? lowRank, Device device) =>
        lowRank is { } k && k < dimension ? new LowRankFactorSum(dimension, k, device) : new SquareFactorSum(dimension, device);
}

/// <summary>The full D x D sum.</summary>
internal sealed class SquareFactorSum(long dimension, Device device) : FactorSum
{
    private readonly Tensor sum = zeros(dimension, dimension, ScalarType.Float64, device);

    public override long Dimension => dimension;

    public override void Add(Tensor rows)
    {
        using var scope = NewDisposeScope();
        sum.add_(rows.T.matmul(rows));
    }

    public override Tensor Finish(double scale)
    {
        using var scope = NewDisposeScope();
        // X^T X from a general matmul can differ from its transpose in the last bit; store it exactly symmetric.
        var factor = 0.5 * scale * (sum + sum.T);
        return factor.cpu().contiguous().MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A tall root U (D x k) by incremental SVD: for each added block of rows X, U becomes the first k
/// left singular vectors of [U | X^T] scaled by their singular values, so U U^T is the best rank-k
/// approximation of U U^T + X^T X. What each step discards is positive semi-definite, so U U^T never
/// exceeds the exact sum, and falls short of it by at most (steps) times its (k+1)-th eigenvalue.
/// </summary>
internal sealed class LowRankFactorSum(long dimension, int kept, Device device) : FactorSum
{
    // Until k directions have arrived the trailing columns stay zero (eigenvalue zero: prior only).
    private readonly Tensor root = zeros(dimension, kept, ScalarType.Float64, device);

    public override long Dimension => dimension;

    public override void Add(Tensor rows)
    {
        if (rows.shape[0] == 0) return;
        using var scope = NewDisposeScope();
        var (u, s, _) = linalg.svd(cat([root, rows.T], 1), fullMatrices: false);
        long available = Math.Min(kept, s.shape[0]);
        root.zero_();
        root.narrow(1, 0, available).copy_(u.narrow(1, 0, available) * s.narrow(0, 0, available));
    }

    public override Tensor Finish(double scale)
    {
        using var scope = NewDisposeScope();
        return (root * Math.Sqrt(scale)).cpu().contiguous().MoveToOuterDisposeScope();
    }
}
