using UncertaintyService.Core.Formats;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Laplace;

/// <summary>
/// The eigenbasis of one Kronecker factor: orthonormal columns Q (n x k) and eigenvalues (k), with
/// factor = Q diag(values) Q^T. For a low-rank factor k &lt; n and the other n - k directions have
/// eigenvalue zero. Values in float64; vectors in float64 or float32 (see <see cref="KroneckerFactor.Decompose"/>).
/// </summary>
public sealed record FactorEigenbasis(Tensor Vectors, Tensor Values) : IDisposable
{
    public void Dispose()
    {
        Vectors.Dispose();
        Values.Dispose();
    }

    public long Dimension => Vectors.shape[0];

    public long Kept => Vectors.shape[1];
}

/// <summary>
/// One K-FAC factor as stored: square (n x n, the factor itself) or tall (n x k with k &lt; n, a
/// square root U with factor = U U^T). Decomposed once, in float64.
/// </summary>
public static class KroneckerFactor
{
    // Relative bounds for what a float32-accumulated symmetric PSD factor may show of rounding. A sum of
    // thousands of float32 outer products (what Python libraries hand over) leaves eigenvalues of a
    // rank-deficient factor near -1e-5 of the largest (seen: -2e-5 on a rank-1 input factor); those
    // are clipped to zero. Below -1e-4 of the largest eigenvalue a factor is indefinite, not rounded.
    private const double SymmetryTolerance = 1e-5;
    public const double NegativeEigenvalueTolerance = 1e-4;

    /// <summary>
    /// The eigenbasis of <paramref name="factor"/> (any float dtype, on any device), decomposed in
    /// float64 on <paramref name="device"/>; the eigenvalues stay float64 and the eigenvectors are
    /// kept in <paramref name="vectorType"/>. Non-finite entries, asymmetry, or clearly negative
    /// eigenvalues are errors naming the file and key.
    /// </summary>
    public static FactorEigenbasis Decompose(Tensor factor, string filePath, string key, Device device, ScalarType vectorType = ScalarType.Float64)
    {
        using var scope = NewDisposeScope();
        if (factor.dim() != 2)
            throw new BundleFormatException(filePath, key, $"a factor must be a matrix, got {factor.dim()} dimensions");
        var f = factor.to(ScalarType.Float64, device);
        if (!f.isfinite().all().item<bool>())
            throw new BundleFormatException(filePath, key, "contains NaN or infinite values");
        long rows = f.shape[0], columns = f.shape[1];
        if (columns > rows)
            throw new BundleFormatException(filePath, key, $"shape [{rows}, {columns}]: a square-root factor must be tall (n x k with k < n)");

        FactorEigenbasis basis;
        if (rows == columns)
        {
            double scale = Math.Max(f.abs().max().item<double>(), double.Epsilon);
            double asymmetry = (f - f.T).abs().max().item<double>();
            if (asymmetry > SymmetryTolerance * scale)
                throw new BundleFormatException(filePath, key, $"square factor is not symmetric (largest |F - F^T| = {asymmetry:G3}, largest |F| = {scale:G3})");
            var (values, vectors) = linalg.eigh(0.5 * (f + f.T));
            double smallest = values.min().item<double>(), largest = Math.Max(values.max().item<double>(), 0);
            if (smallest < -NegativeEigenvalueTolerance * largest || (smallest < 0 && largest == 0))
                throw new BundleFormatException(filePath, key,
                    $"square factor is not positive semi-definite (eigenvalue {smallest:G3}, largest {largest:G3}; rounding down to -{NegativeEigenvalueTolerance:G1} x the largest is clipped)");
            basis = new FactorEigenbasis(vectors, values.clamp_min(0));
        }
        else
        {
            var (u, singular, _) = linalg.svd(f, fullMatrices: false);
            basis = new FactorEigenbasis(u, singular.square());
        }
        basis = basis with { Vectors = basis.Vectors.to(vectorType) };
        basis.Vectors.MoveToOuterDisposeScope();
        basis.Values.MoveToOuterDisposeScope();
        return basis;
    }

    /// <summary>The factor as a dense n x n matrix (U U^T for a square root).</summary>
    public static Tensor ToDense(Tensor factor) =>
        factor.shape[0] == factor.shape[1] ? factor.clone() : factor.matmul(factor.T);
}
