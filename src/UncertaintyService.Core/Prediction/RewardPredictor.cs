using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Prediction;

/// <summary>Rewards of a batch of texts: mean and variance each, with the time each phase took.</summary>
public sealed record RewardMoments(double[] Means, double[] Variances, TimeSpan Forward, TimeSpan Gradients, TimeSpan Covariance);

/// <summary>The joint Gaussian of each pair's two rewards (chosen, rejected), with the time each phase took.</summary>
public sealed record PairMoments(RewardMoments Chosen, RewardMoments Rejected, double[] Covariances)
{
    public TimeSpan Forward => Chosen.Forward + Rejected.Forward;
    public TimeSpan Gradients => Chosen.Gradients + Rejected.Gradients;
    public TimeSpan Covariance => Chosen.Covariance + Rejected.Covariance;
}

/// <summary>
/// A reward model's outputs: the score head's one output at the last real token, as Hugging Face's
/// LlamaForSequenceClassification reads it. The Laplace path gives each reward's posterior variance and,
/// for pairs, the covariance of the two rewards; the MAP path gives means with zero variance. Plain
/// arrays out; no tensor escapes.
/// </summary>
public static class RewardPredictor
{
    private static readonly long[] RewardOutput = [0];

    /// <summary>Each text's reward mean and posterior variance, in chunks under <paramref name="budget"/>.</summary>
    public static RewardMoments Laplace(LaplaceLoraPosterior posterior, IReadOnlyList<IReadOnlyList<int>> texts, TokenBudget? budget = null) =>
        Items(posterior.Model, posterior, texts, budget);

    /// <summary>
    /// The joint Gaussian of each pair's rewards. A pair's two texts always share a chunk (two rows
    /// each, under <paramref name="budget"/>), since their covariance needs both Jacobians at once.
    /// </summary>
    public static PairMoments LaplacePairs(LaplaceLoraPosterior posterior, IReadOnlyList<IReadOnlyList<int>> chosen, IReadOnlyList<IReadOnlyList<int>> rejected,
        TokenBudget? budget = null) =>
        Pairs(posterior.Model, posterior, chosen, rejected, budget);

    /// <summary>The point estimate: rewards from forward passes without autograd, variance zero.</summary>
    public static RewardMoments Map(LlamaModel model, LoraAdapter adapter, IReadOnlyList<IReadOnlyList<int>> texts, TokenBudget? budget = null) =>
        Items(model, new MapMethod(adapter), texts, budget);

    public static PairMoments MapPairs(LlamaModel model, LoraAdapter adapter, IReadOnlyList<IReadOnlyList<int>> chosen, IReadOnlyList<IReadOnlyList<int>> rejected,
        TokenBudget? budget = null) =>
        Pairs(model, new MapMethod(adapter), chosen, rejected, budget);

    /// <summary>Each text's reward mean and variance under <paramref name="method"/> (sample variance for a sampled one, zero for MAP).</summary>
    public static RewardMoments Items(LlamaModel model, IPredictiveMethod method, IReadOnlyList<IReadOnlyList<int>> texts, TokenBudget? budget = null,
        int samples = 0, ulong seed = 0)
    {
        var result = PredictiveEngine.Run(model, texts.Select((t, i) => new PredictiveGroup(method, [t], RewardOutput, samples, unchecked(seed + (ulong)i))).ToList(), budget);
        return new RewardMoments(result.Groups.Select(g => g!.Mean[0]).ToArray(), result.Groups.Select(g => g!.Covariance?[0, 0] ?? 0).ToArray(),
            result.Forward, result.Gradients, result.Covariance);
    }

    /// <summary>Each pair's joint reward moments under <paramref name="method"/>: pair i is one group (chosen, rejected) drawn from seed + i.</summary>
    public static PairMoments Pairs(LlamaModel model, IPredictiveMethod method, IReadOnlyList<IReadOnlyList<int>> chosen, IReadOnlyList<IReadOnlyList<int>> rejected,
        TokenBudget? budget = null, int samples = 0, ulong seed = 0)
    {
        if (chosen.Count != rejected.Count) throw new ArgumentException($"{chosen.Count} chosen texts and {rejected.Count} rejected ones cannot be paired.");
        var result = PredictiveEngine.Run(model,
            chosen.Select((c, i) => new PredictiveGroup(method, [c, rejected[i]], RewardOutput, samples, unchecked(seed + (ulong)i))).ToList(), budget);
        var groups = result.Groups.Select(g => g!).ToList();
        // The phases ran over both texts at once; each side reports half.
        return new PairMoments(
            new RewardMoments(groups.Select(g => g.Mean[0]).ToArray(), groups.Select(g => g.Covariance?[0, 0] ?? 0).ToArray(),
                result.Forward / 2, result.Gradients / 2, result.Covariance / 2),
            new RewardMoments(groups.Select(g => g.Mean[1]).ToArray(), groups.Select(g => g.Covariance?[1, 1] ?? 0).ToArray(),
                result.Forward / 2, result.Gradients / 2, result.Covariance / 2),
            groups.Select(g => g.Covariance?[0, 1] ?? 0).ToArray());
    }
}
