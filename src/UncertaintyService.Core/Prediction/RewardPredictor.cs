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
    public static RewardMoments Laplace(LaplaceLoraPosterior posterior, IReadOnlyList<IReadOnlyList<int>> texts, TokenBudget? budget = null)
    {
        var moments = LaplacePredictor.Moments(posterior, texts, RewardOutput, budget);
        return new RewardMoments(moments.Means.Select(m => m[0]).ToArray(), moments.Covariances.Select(c => c[0, 0]).ToArray(),
            moments.Forward, moments.Gradients, moments.Covariance);
    }

    /// <summary>
    /// The joint Gaussian of each pair's rewards. A pair's two texts always share a chunk (two rows
    /// each, under <paramref name="budget"/>), since their covariance needs both Jacobians at once.
    /// </summary>
    public static PairMoments LaplacePairs(LaplaceLoraPosterior posterior, IReadOnlyList<IReadOnlyList<int>> chosen, IReadOnlyList<IReadOnlyList<int>> rejected,
        TokenBudget? budget = null)
    {
        int count = chosen.Count;
        var chosenMeans = new double[count];
        var rejectedMeans = new double[count];
        var chosenVariances = new double[count];
        var rejectedVariances = new double[count];
        var covariances = new double[count];
        TimeSpan[] forward = [TimeSpan.Zero, TimeSpan.Zero], gradients = [TimeSpan.Zero, TimeSpan.Zero];
        var covarianceTime = TimeSpan.Zero;
        var lengths = chosen.Select((c, i) => Math.Max(c.Count, rejected[i].Count)).ToList();
        foreach (var (offset, size) in (budget ?? TokenBudget.Default).Chunks(lengths, rowsPerItem: 2))
        {
            using var scope = NewDisposeScope();
            var first = Jacobian(posterior, chosen.Skip(offset).Take(size).ToList());
            var second = Jacobian(posterior, rejected.Skip(offset).Take(size).ToList());
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Flat(first.Logits).CopyTo(chosenMeans, offset);
            Flat(second.Logits).CopyTo(rejectedMeans, offset);
            Flat(posterior.Variance(first)).CopyTo(chosenVariances, offset);
            Flat(posterior.Variance(second)).CopyTo(rejectedVariances, offset);
            Flat(posterior.Covariance(first, second)).CopyTo(covariances, offset);
            covarianceTime += clock.Elapsed;
            forward[0] += first.ForwardTime;
            forward[1] += second.ForwardTime;
            gradients[0] += first.BackwardTime;
            gradients[1] += second.BackwardTime;
        }
        return new PairMoments(
            new RewardMoments(chosenMeans, chosenVariances, forward[0], gradients[0], covarianceTime / 2),
            new RewardMoments(rejectedMeans, rejectedVariances, forward[1], gradients[1], covarianceTime / 2),
            covariances);
    }

    /// <summary>The point estimate: rewards from forward passes without autograd, variance zero.</summary>
    public static RewardMoments Map(LlamaModel model, LoraAdapter adapter, IReadOnlyList<IReadOnlyList<int>> texts, TokenBudget? budget = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var means = MapPredictor.Logits(model, adapter, texts, RewardOutput, budget).Select(r => r[0]).ToArray();
        return new RewardMoments(means, new double[means.Length], clock.Elapsed, TimeSpan.Zero, TimeSpan.Zero);
    }

    public static PairMoments MapPairs(LlamaModel model, LoraAdapter adapter, IReadOnlyList<IReadOnlyList<int>> chosen, IReadOnlyList<IReadOnlyList<int>> rejected,
        TokenBudget? budget = null) =>
        new(Map(model, adapter, chosen, budget), Map(model, adapter, rejected, budget), new double[chosen.Count]);

    private static LoraJacobian Jacobian(LaplaceLoraPosterior posterior, IReadOnlyList<IReadOnlyList<int>> texts) =>
        posterior.JacobianMean(TokenBatch.Create(texts, posterior.Model.Device), tensor(RewardOutput, device: posterior.Model.Device));

    private static double[] Flat(Tensor t) => t.detach().to(ScalarType.Float64).cpu().flatten().data<double>().ToArray();
}
