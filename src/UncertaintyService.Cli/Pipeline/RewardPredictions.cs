using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Prediction;
using static TorchSharp.torch;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>Reward predictions over a whole split of pairs, a batch at a time.</summary>
public static class RewardPredictions
{
    /// <summary>
    /// Every pair's preference under <paramref name="method"/> (any of them: MAP, Laplace, a sampled
    /// posterior), a batch of pairs at a time; pair i draws from seed + i. <paramref name="samples"/>
    /// counts what the method samples (<see cref="SampleMeaning"/>).
    /// </summary>
    public static List<PreferencePrediction> Preferences(IPredictiveMethod method, LlamaModel model, IReadOnlyList<int[]> chosen, IReadOnlyList<int[]> rejected,
        int samples, ulong seed, int batchSize, IProgress<(int, double)>? progress = null)
    {
        var result = new List<PreferencePrediction>(chosen.Count);
        for (int start = 0; start < chosen.Count; start += batchSize)
        {
            var groups = Enumerable.Range(start, Math.Min(batchSize, chosen.Count - start))
                .Select(i => new PredictiveGroup(method, [chosen[i], rejected[i]], [0], samples, unchecked(seed + (ulong)i))).ToList();
            var moments = PredictiveEngine.Run(model, groups).Groups;
            result.AddRange(moments.Select((m, j) => GroupAnswers.Pair(m!, samples, groups[j].Seed)));
            progress?.Report((Math.Min(start + batchSize, chosen.Count), double.NaN));
        }
        return result;
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
