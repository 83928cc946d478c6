using static TorchSharp.torch;

namespace UncertaintyService.Core.Prediction;

/// <summary>What the Gaussian over one prompt's class logits says about its class probabilities.</summary>
/// <param name="MapProbabilities">softmax of the logit mean.</param>
/// <param name="SampledMean">Monte Carlo mean of the sampled softmax (probabilities averaged, never logits).</param>
/// <param name="SampledStd">Per-class standard deviation of the sampled probabilities.</param>
/// <param name="Probit">softmax(mean / sqrt(1 + pi/8 * diag covariance)).</param>
/// <param name="TotalEntropy">H[mean p], in nats.</param>
/// <param name="Aleatoric">Mean over samples of H[p_s].</param>
/// <param name="Epistemic">Total minus aleatoric: the mutual information between label and weights.</param>
public sealed record ProbabilitySummary(
    double[] MapProbabilities,
    double[] SampledMean,
    double[] SampledStd,
    double[] Probit,
    double TotalEntropy,
    double Aleatoric,
    double Epistemic);

/// <summary>Turns a logit mean and covariance into probabilities: seeded Monte Carlo and the probit closed form.</summary>
public static class LogitPredictive
{
    /// <summary>Added to the covariance's diagonal before its Cholesky factor, as in DESIGN.md.</summary>
    public const double Jitter = 1e-6;

    /// <summary>
    /// <paramref name="samples"/> draws mu + L xi with L = chol(covariance + jitter I) and xi standard
    /// normal from a generator seeded with <paramref name="seed"/>: (samples, C) float64.
    /// </summary>
    public static Tensor SampleLogits(Tensor mean, Tensor covariance, int samples, ulong seed)
    {
        using var scope = NewDisposeScope();
        var mu = mean.to(ScalarType.Float64, CPU);
        var sigma = covariance.to(ScalarType.Float64, CPU);
        long classes = mu.shape[0];
        var cholesky = CholeskyOf(sigma + Jitter * eye(classes, dtype: ScalarType.Float64));
        var generator = new Generator(seed, CPU);
        var noise = randn(new long[] { samples, classes }, ScalarType.Float64, CPU, generator: generator);
        return (mu + noise.matmul(cholesky.T)).MoveToOuterDisposeScope();
    }

    public static ProbabilitySummary Summarise(double[] mean, double[,] covariance, int samples, ulong seed)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "At least one sample is needed.");
        using var scope = NewDisposeScope();
        int classes = mean.Length;
        var mu = tensor(mean, ScalarType.Float64);
        var sigma = tensor(covariance, ScalarType.Float64);

        var map = mu.softmax(0);
        var probit = (mu / (1 + Math.PI / 8 * sigma.diagonal()).sqrt()).softmax(0);
        var sampled = SampleLogits(mu, sigma, samples, seed).softmax(1); // (S, C)
        var sampledMean = sampled.mean(new long[] { 0 });
        var sampledStd = samples > 1 ? sampled.std(0, unbiased: true) : zeros(classes, ScalarType.Float64);
        double total = Entropy(sampledMean).item<double>();
        double aleatoric = Entropy(sampled).mean().item<double>();

        return new ProbabilitySummary(
            map.data<double>().ToArray(),
            sampledMean.data<double>().ToArray(),
            sampledStd.data<double>().ToArray(),
            probit.data<double>().ToArray(),
            total,
            aleatoric,
            // Jensen makes this non-negative in exact arithmetic; rounding may leave a tiny negative.
            Math.Max(total - aleatoric, 0));
    }

    /// <summary>Shannon entropy in nats along the last dimension, with 0 log 0 = 0.</summary>
    public static Tensor Entropy(Tensor probabilities) =>
        -(probabilities * probabilities.clamp_min(1e-300).log()).sum(-1);

    // f_var is PSD by construction; if rounding makes the jittered matrix fail, clip its spectrum.
    private static Tensor CholeskyOf(Tensor matrix)
    {
        var (factor, info) = linalg.cholesky_ex(matrix);
        if (info.item<int>() == 0) return factor;
        var (values, vectors) = linalg.eigh(matrix);
        var clipped = vectors.matmul(diag(values.clamp_min(Jitter))).matmul(vectors.T);
        return linalg.cholesky(0.5 * (clipped + clipped.T));
    }
}
