using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Prediction;

/// <summary>One prompt's Gaussian over its class logits and what it implies for the class probabilities.</summary>
public sealed record ClassPrediction(double[] LogitMean, double[,] LogitCovariance, ProbabilitySummary Probabilities);

/// <summary>
/// The Laplace-LoRA predictive for a batch of prompts: one forward, one backward per class, the
/// linearised covariance, then Monte Carlo and probit per prompt. Plain arrays out; no tensor escapes.
/// </summary>
public static class LaplacePredictor
{
    /// <param name="prompts">Token ids per prompt; lengths may differ.</param>
    /// <param name="classIndices">Per class, the LM-head token id (or the score-head output index).</param>
    /// <param name="seed">Prompt i is sampled with seed + i, so its draws do not depend on what else is in the batch.</param>
    public static IReadOnlyList<ClassPrediction> Predict(LaplaceLoraPosterior posterior, IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<long> classIndices, int samples, ulong seed, TokenBudget? budget = null)
    {
        var (means, covariances) = LogitMoments(posterior, prompts, classIndices, budget);
        return means.Select((mean, i) => new ClassPrediction(mean, covariances[i],
            LogitPredictive.Summarise(mean, covariances[i], samples, unchecked(seed + (ulong)i)))).ToList();
    }

    /// <summary>The logit means (B x C) and covariances (B of C x C) for a batch, in float64.</summary>
    public static (double[][] Means, double[][,] Covariances) LogitMoments(LaplaceLoraPosterior posterior,
        IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<long> classIndices, TokenBudget? budget = null)
    {
        var moments = Moments(posterior, prompts, classIndices, budget);
        return (moments.Means, moments.Covariances);
    }

    /// <summary>
    /// <see cref="LogitMoments"/> with the time each phase took. Prompts run in chunks under
    /// <paramref name="budget"/>: each chunk's forward graph and Jacobian are reduced to its C x C
    /// covariances and freed before the next chunk starts.
    /// </summary>
    public static LogitMoments Moments(LaplaceLoraPosterior posterior,
        IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<long> classIndices, TokenBudget? budget = null)
    {
        var outputs = classIndices.ToArray();
        var result = PredictiveEngine.Run(posterior.Model, prompts.Select(p => new PredictiveGroup(posterior, [p], outputs, 0, 0)).ToList(), budget);
        return new LogitMoments(result.Groups.Select(g => g!.Mean).ToArray(), result.Groups.Select(g => g!.Covariance!).ToArray(),
            result.Forward, result.Gradients, result.Covariance);
    }
}

/// <summary>Logit means and covariances of a batch with the wall time of each phase.</summary>
public sealed record LogitMoments(double[][] Means, double[][,] Covariances, TimeSpan Forward, TimeSpan Gradients, TimeSpan Covariance);
