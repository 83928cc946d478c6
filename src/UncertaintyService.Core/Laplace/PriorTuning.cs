namespace UncertaintyService.Core.Laplace;

/// <summary>
/// Chooses the prior precision lambda of a Laplace posterior by a 1-D search over log lambda: a
/// coarse grid of <see cref="LogScaleSearch.CoarseGridPoints"/> points, then golden-section
/// refinement to a relative precision of 1e-9 on lambda.
/// </summary>
public static class PriorTuning
{
    /// <summary>The range searched unless a caller gives another.</summary>
    public const double DefaultMinLambda = 1e-4, DefaultMaxLambda = 1e6;

    /// <summary>
    /// The lambda in [<paramref name="minLambda"/>, <paramref name="maxLambda"/>] that maximises the
    /// Laplace model evidence <see cref="LaplaceLoraPosterior.ModelEvidence"/>, and that evidence.
    /// The evidence is concave in log lambda (its second derivative is -lambda/2 ||theta||^2 - 1/2
    /// sum N l lambda / (N l + lambda)^2 &lt; 0), so the search finds the one maximum; at a range
    /// end the end is returned.
    /// </summary>
    /// <param name="logLikelihood">log p(D | theta_MAP) summed over the data that gave the factors (<see cref="KfacFitResult.LogLikelihood"/>).</param>
    public static (double PriorPrecision, double LogEvidence) MaximiseEvidence(LaplaceLoraPosterior posterior, double logLikelihood,
        double minLambda = DefaultMinLambda, double maxLambda = DefaultMaxLambda)
    {
        ArgumentNullException.ThrowIfNull(posterior);
        var (lambda, evidence) = LogScaleSearch.Maximise(l => posterior.ModelEvidence(logLikelihood, l), minLambda, maxLambda);
        return (lambda, evidence);
    }

    /// <summary>
    /// The lambda that minimises a validation negative log-likelihood, <paramref name="nllAtLambda"/>
    /// (the caller predicts its validation set under each lambda, for example with
    /// <see cref="LaplaceLoraPosterior.WithPriorPrecision"/>), and that NLL. Not necessarily unimodal,
    /// so the coarse grid chooses the basin; NaN counts as infinitely bad.
    /// </summary>
    public static (double PriorPrecision, double Nll) MinimiseValidationNll(Func<double, double> nllAtLambda,
        double minLambda = DefaultMinLambda, double maxLambda = DefaultMaxLambda)
    {
        ArgumentNullException.ThrowIfNull(nllAtLambda);
        var (lambda, negated) = LogScaleSearch.Maximise(l => -nllAtLambda(l), minLambda, maxLambda);
        return (lambda, -negated);
    }
}
