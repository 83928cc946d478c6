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

    public static RewardMoments Laplace(LaplaceLoraPosterior posterior, IReadOnlyList<IReadOnlyList<int>> texts)
    {
        using var scope = NewDisposeScope();
        var jacobian = Jacobian(posterior, texts);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var variances = Flat(posterior.Variance(jacobian));
        return new RewardMoments(Flat(jacobian.Logits), variances, jacobian.ForwardTime, jacobian.BackwardTime, clock.Elapsed);
    }

    public static PairMoments LaplacePairs(LaplaceLoraPosterior posterior, IReadOnlyList<IReadOnlyList<int>> chosen, IReadOnlyList<IReadOnlyList<int>> rejected)
    {
        using var scope = NewDisposeScope();
        var first = Jacobian(posterior, chosen);
        var second = Jacobian(posterior, rejected);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var chosenVariances = Flat(posterior.Variance(first));
        var rejectedVariances = Flat(posterior.Variance(second));
        var covariances = Flat(posterior.Covariance(first, second));
        var covarianceTime = clock.Elapsed / 2;
        return new PairMoments(
            new RewardMoments(Flat(first.Logits), chosenVariances, first.ForwardTime, first.BackwardTime, covarianceTime),
            new RewardMoments(Flat(second.Logits), rejectedVariances, second.ForwardTime, second.BackwardTime, covarianceTime),
            covariances);
    }

    /// <summary>The point estimate: rewards from one forward pass without autograd, variance zero.</summary>
    public static RewardMoments Map(LlamaModel model, LoraAdapter adapter, IReadOnlyList<IReadOnlyList<int>> texts)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var means = MapPredictor.Logits(model, adapter, texts, RewardOutput).Select(r => r[0]).ToArray();
        return new RewardMoments(means, new double[means.Length], clock.Elapsed, TimeSpan.Zero, TimeSpan.Zero);
    }

    public static PairMoments MapPairs(LlamaModel model, LoraAdapter adapter, IReadOnlyList<IReadOnlyList<int>> chosen, IReadOnlyList<IReadOnlyList<int>> rejected) =>
        new(Map(model, adapter, chosen), Map(model, adapter, rejected), new double[chosen.Count]);

    private static LoraJacobian Jacobian(LaplaceLoraPosterior posterior, IReadOnlyList<IReadOnlyList<int>> texts) =>
        posterior.JacobianMean(TokenBatch.Create(texts, posterior.Model.Device), tensor(RewardOutput, device: posterior.Model.Device));

    private static double[] Flat(Tensor t) => t.detach().to(ScalarType.Float64).cpu().flatten().data<double>().ToArray();
}
