using static TorchSharp.torch;

namespace UncertaintyService.Core.Prediction;

/// <summary>
/// What the joint Gaussian of a pair's two rewards says about the preference. With d = r_chosen -
/// r_rejected ~ N(m, s^2), m = mu_c - mu_r and s^2 = var_c + var_r - 2 cov_cr:
/// <list type="bullet">
/// <item>the Bradley-Terry predictive, P(chosen preferred) = E[sigmoid(d)], by Monte Carlo over the
/// joint Gaussian or in closed form by the probit approximation sigmoid(m / sqrt(1 + pi/8 s^2));</item>
/// <item>P(r_chosen &gt; r_rejected) = Phi(m / s): how sure the posterior is about the order of the two
/// rewards. It leaves out the Bradley-Terry noise, so it tends to 0 or 1 as s shrinks;</item>
/// <item>the MAP Bradley-Terry probability sigmoid(m), the point estimate.</item>
/// </list>
/// </summary>
public static class PreferenceProbability
{
    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>Variance of d = r_c - r_r; clipped at zero, which rounding can undershoot when the two rewards are nearly the same function.</summary>
    public static double DifferenceVariance(double chosenVariance, double rejectedVariance, double covariance) =>
        Math.Max(chosenVariance + rejectedVariance - 2 * covariance, 0);

    /// <summary>sigmoid(m / sqrt(1 + pi/8 s^2)) ~ E[sigmoid(d)] (MacKay's probit approximation).</summary>
    public static double Probit(double differenceMean, double differenceVariance) =>
        Sigmoid(differenceMean / Math.Sqrt(1 + Math.PI / 8 * differenceVariance));

    /// <summary>Phi(m / s) = P(d &gt; 0); with s = 0 the sign of m decides (one half at m = 0).</summary>
    public static double RewardHigher(double differenceMean, double differenceVariance)
    {
        if (differenceVariance > 0) return NormalCdf(differenceMean / Math.Sqrt(differenceVariance));
        return differenceMean > 0 ? 1 : differenceMean < 0 ? 0 : 0.5;
    }

    /// <summary>
    /// Mean and standard deviation over <paramref name="samples"/> seeded draws (r_c, r_r) from the joint
    /// Gaussian of sigmoid(r_c - r_r): the Monte Carlo Bradley-Terry predictive.
    /// </summary>
    public static (double Mean, double Std) MonteCarlo(double chosenMean, double rejectedMean, double chosenVariance, double rejectedVariance,
        double covariance, int samples, ulong seed)
    {
        using var scope = NewDisposeScope();
        var mean = tensor(new[] { chosenMean, rejectedMean }, ScalarType.Float64);
        var joint = tensor(new[,] { { chosenVariance, covariance }, { covariance, rejectedVariance } }, ScalarType.Float64);
        var draws = LogitPredictive.SampleLogits(mean, joint, samples, seed);
        var p = (draws.select(1, 0) - draws.select(1, 1)).sigmoid();
        double std = samples > 1 ? p.std(0, unbiased: true).item<double>() : 0;
        return (p.mean().item<double>(), std);
    }

    /// <summary>The standard normal CDF, through libtorch's ndtr in float64.</summary>
    public static double NormalCdf(double x)
    {
        using var scope = NewDisposeScope();
        return special.ndtr(tensor(x, ScalarType.Float64)).item<double>();
    }
}
