using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Core.Prediction;

/// <summary>Calibration of preference probabilities P(chosen preferred), and their agreement with human vote fractions.</summary>
public static class PreferenceMetricsCalculator
{
    /// <summary>
    /// Pairwise accuracy (p &gt; 0.5 for the chosen response, which the majority of raters prefers), ECE
    /// over the binary top-class confidence max(p, 1 - p), NLL -log p and the two-class Brier score, as
    /// <see cref="CalibrationMetricsCalculator"/> computes them for [p, 1 - p] with label 0; plus
    /// <see cref="HumanVoteAgreement"/> against <paramref name="voteFractions"/>.
    /// </summary>
    public static CalibrationMetrics Compute(double[] pChosen, double[] voteFractions, int bins = 15)
    {
        if (pChosen.Length != voteFractions.Length)
            throw new ArgumentException($"{pChosen.Length} probabilities for {voteFractions.Length} vote fractions.");
        var metrics = CalibrationMetricsCalculator.Compute(pChosen.Select(p => new[] { p, 1 - p }).ToArray(), new int[pChosen.Length], bins);
        return metrics with { HumanVotes = Agreement(pChosen, voteFractions) };
    }

    public static HumanVoteAgreement Agreement(double[] p, double[] q)
    {
        int n = p.Length;
        double floor = CalibrationMetricsCalculator.ProbabilityFloor;
        double Clamp(double x) => Math.Clamp(x, floor, 1 - floor);
        double CrossEntropy(double target, double predicted) =>
            -(target * Math.Log(Clamp(predicted)) + (1 - target) * Math.Log(Clamp(1 - predicted)));
        double meanP = p.Average(), meanQ = q.Average();
        double covariance = 0, varianceP = 0, varianceQ = 0;
        for (int i = 0; i < n; i++)
        {
            covariance += (p[i] - meanP) * (q[i] - meanQ);
            varianceP += (p[i] - meanP) * (p[i] - meanP);
            varianceQ += (q[i] - meanQ) * (q[i] - meanQ);
        }
        return new HumanVoteAgreement(
            Mae: p.Zip(q, (a, b) => Math.Abs(a - b)).Average(),
            Brier: p.Zip(q, (a, b) => (a - b) * (a - b)).Average(),
            Correlation: varianceP > 0 && varianceQ > 0 ? covariance / Math.Sqrt(varianceP * varianceQ) : 0,
            CrossEntropy: p.Zip(q, (a, b) => CrossEntropy(b, a)).Average(),
            VoteEntropy: q.Select(b => b is 0 or 1 ? 0 : CrossEntropy(b, b)).Average());
    }
}
