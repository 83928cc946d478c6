using UncertaintyService.Core.Sampling;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Prediction;

/// <summary>
/// What a response says about one group, from its moments alone, whatever method gave them: weight
/// samples answer with their sample statistics, a linearised Gaussian with seeded Monte Carlo over it
/// (and the probit closed forms), a point estimate with itself.
/// </summary>
public static class GroupAnswers
{
    /// <summary>One prompt's class prediction; <paramref name="samples"/> and <paramref name="seed"/> draw from a Gaussian's logits.</summary>
    public static ClassPrediction Classification(GroupMoments moments, int samples, ulong seed)
    {
        if (moments.Draws is { } draws) return SampledPredictor.Summarise(draws);
        int c = moments.Mean.Length;
        if (moments.Covariance is not { } covariance) return new ClassPrediction(moments.Mean, new double[c, c], MapPredictor.Summarise(moments.Mean));
        return new ClassPrediction(moments.Mean, covariance, LogitPredictive.Summarise(moments.Mean, covariance, samples, seed));
    }

    /// <summary>One text's reward: mean and variance (sample variance of weight samples; zero for a point estimate).</summary>
    public static (double Mean, double Variance) Reward(GroupMoments moments) => (moments.Mean[0], moments.Covariance?[0, 0] ?? 0);

    /// <summary>
    /// One pair's preference. Weight samples: the Bradley-Terry predictive is the mean over samples of
    /// sigmoid(r_c - r_r); a Gaussian: Monte Carlo over it (<paramref name="samples"/> draws, 0 for the
    /// probit approximation); a point estimate: sigmoid of the difference.
    /// </summary>
    public static PreferencePrediction Pair(GroupMoments moments, int samples, ulong seed)
    {
        var m = moments.Mean;
        var cov = moments.Covariance;
        double vc = cov?[0, 0] ?? 0, vr = cov?[1, 1] ?? 0, cr = cov?[0, 1] ?? 0;
        if (moments.Draws is not { } draws)
            return PreferencePrediction.From(m[0], m[1], vc, vr, cr, cov is null ? 0 : samples, seed);
        using var scope = NewDisposeScope();
        var rewards = tensor(draws, ScalarType.Float64);
        var p = (rewards.select(1, 0) - rewards.select(1, 1)).sigmoid();
        double std = p.shape[0] > 1 ? p.std(0, unbiased: true).item<double>() : 0;
        double difference = m[0] - m[1], variance = PreferenceProbability.DifferenceVariance(vc, vr, cr);
        return new PreferencePrediction(m[0], m[1], vc, vr, cr, difference, variance, p.mean().item<double>(), std,
            PreferenceProbability.Probit(difference, variance), PreferenceProbability.RewardHigher(difference, variance), PreferenceProbability.Sigmoid(difference));
    }
}
