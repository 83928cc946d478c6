namespace UncertaintyService.Core.Prediction;

/// <summary>One pair's joint reward Gaussian and what it says about the preference (see <see cref="PreferenceProbability"/>).</summary>
/// <param name="PChosenPreferred">The Bradley-Terry predictive E[sigmoid(r_c - r_r)]: Monte Carlo mean, or the probit approximation.</param>
/// <param name="PChosenPreferredStd">Standard deviation of sigmoid(r_c - r_r) over the Monte Carlo draws (null without them).</param>
/// <param name="PProbit">sigmoid(m / sqrt(1 + pi/8 s^2)).</param>
/// <param name="PRewardHigher">Phi(m / s) = P(r_c &gt; r_r).</param>
/// <param name="PMap">sigmoid(mu_c - mu_r), the MAP Bradley-Terry probability.</param>
public sealed record PreferencePrediction(
    double ChosenMean, double RejectedMean, double ChosenVariance, double RejectedVariance, double Covariance,
    double DifferenceMean, double DifferenceVariance,
    double PChosenPreferred, double? PChosenPreferredStd, double PProbit, double PRewardHigher, double PMap)
{
    /// <param name="samples">Monte Carlo draws of the joint Gaussian; 0 answers with the probit approximation.</param>
    public static PreferencePrediction From(double chosenMean, double rejectedMean, double chosenVariance, double rejectedVariance,
        double covariance, int samples, ulong seed)
    {
        double m = chosenMean - rejectedMean;
        double s2 = PreferenceProbability.DifferenceVariance(chosenVariance, rejectedVariance, covariance);
        double probit = PreferenceProbability.Probit(m, s2);
        var (mean, std) = samples > 0
            ? PreferenceProbability.MonteCarlo(chosenMean, rejectedMean, chosenVariance, rejectedVariance, covariance, samples, seed)
            : (probit, (double?)null);
        return new PreferencePrediction(chosenMean, rejectedMean, chosenVariance, rejectedVariance, covariance, m, s2,
            mean, std, probit, PreferenceProbability.RewardHigher(m, s2), PreferenceProbability.Sigmoid(m));
    }
}
