using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Prediction;
using static TorchSharp.torch;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>Reward predictions over a whole split of pairs, a batch at a time.</summary>
public static class RewardPredictions
{
    /// <summary>The joint Gaussian (Laplace) or the MAP rewards (posterior null) of every pair.</summary>
    public static PairMoments Pairs(LaplaceLoraPosterior? posterior, RewardPipeline pipeline, IReadOnlyList<int[]> chosen, IReadOnlyList<int[]> rejected,
        int batchSize, IProgress<(int, double)>? progress = null)
    {
        var parts = new List<PairMoments>();
        for (int start = 0; start < chosen.Count; start += batchSize)
        {
            var c = chosen.Skip(start).Take(batchSize).Cast<IReadOnlyList<int>>().ToList();
            var r = rejected.Skip(start).Take(batchSize).Cast<IReadOnlyList<int>>().ToList();
            parts.Add(posterior is null ? RewardPredictor.MapPairs(pipeline.Model, pipeline.Adapter, c, r) : RewardPredictor.LaplacePairs(posterior, c, r));
            progress?.Report((Math.Min(start + batchSize, chosen.Count), double.NaN));
        }
        RewardMoments Join(Func<PairMoments, RewardMoments> side) => new(
            [.. parts.SelectMany(p => side(p).Means)], [.. parts.SelectMany(p => side(p).Variances)], TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
        return new PairMoments(Join(p => p.Chosen), Join(p => p.Rejected), [.. parts.SelectMany(p => p.Covariances)]);
    }

    /// <summary>
    /// Validation NLL of the probit Bradley-Terry predictive as a function of lambda. The Jacobians do not
    /// depend on lambda, so they are computed once and only the covariances are redone per lambda.
    /// </summary>
    public static Func<double, double> ProbitNllByPrior(LaplaceLoraPosterior posterior, IReadOnlyList<int[]> chosen, IReadOnlyList<int[]> rejected, int batchSize)
    {
        var output = tensor(new long[] { 0 });
        var batches = new List<(LoraJacobian Chosen, LoraJacobian Rejected)>();
        for (int start = 0; start < chosen.Count; start += batchSize)
        {
            LoraJacobian Jacobian(IReadOnlyList<int[]> texts) => posterior.JacobianMean(
                TokenBatch.Create(texts.Skip(start).Take(batchSize).Cast<IReadOnlyList<int>>().ToList(), posterior.Model.Device), output);
            batches.Add((Jacobian(chosen), Jacobian(rejected)));
        }
        return lambda =>
        {
            var tuned = posterior.WithPriorPrecision(lambda);
            double total = 0;
            foreach (var (c, r) in batches)
            {
                using var scope = NewDisposeScope();
                var mean = (c.Logits - r.Logits).to(ScalarType.Float64).flatten();
                var variance = (tuned.Variance(c) + tuned.Variance(r) - 2 * tuned.Covariance(c, r)).flatten().clamp_min(0);
                total -= nn.functional.logsigmoid(mean / (1 + Math.PI / 8 * variance).sqrt()).sum().item<double>();
            }
            return total / chosen.Count;
        };
    }
}
