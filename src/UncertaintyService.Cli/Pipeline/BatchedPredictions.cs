using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Prediction;
using static TorchSharp.torch;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>MAP and Laplace predictions over a whole split, a batch at a time.</summary>
public static class BatchedPredictions
{
    public static (double[][] Means, double[][,] Covariances) LaplaceMoments(LaplaceLoraPosterior posterior, IReadOnlyList<int[]> prompts,
        long[] classes, int batchSize, IProgress<(int, double)>? progress = null)
    {
        var means = new List<double[]>(prompts.Count);
        var covariances = new List<double[,]>(prompts.Count);
        foreach (var chunk in prompts.Chunk(batchSize))
        {
            var (m, c) = LaplacePredictor.LogitMoments(posterior, chunk.Cast<IReadOnlyList<int>>().ToList(), classes);
            means.AddRange(m);
            covariances.AddRange(c);
            progress?.Report((means.Count, double.NaN));
        }
        return (means.ToArray(), covariances.ToArray());
    }

    /// <summary>
    /// Validation NLL of the probit predictive as a function of lambda. The Jacobians do not depend on
    /// lambda, so they are computed once and only the covariance is redone per lambda.
    /// </summary>
    public static Func<double, double> ProbitNllByPrior(LaplaceLoraPosterior posterior, IReadOnlyList<int[]> prompts, IReadOnlyList<int> labels,
        long[] classes, int batchSize)
    {
        var batches = new List<(LoraJacobian Jacobian, int[] Labels)>();
        int offset = 0;
        foreach (var chunk in prompts.Chunk(batchSize))
        {
            var batch = TokenBatch.Create(chunk.Cast<IReadOnlyList<int>>().ToList(), posterior.Model.Device);
            batches.Add((posterior.JacobianMean(batch, tensor(classes, device: posterior.Model.Device)), labels.Skip(offset).Take(chunk.Length).ToArray()));
            offset += chunk.Length;
        }
        return lambda =>
        {
            var tuned = posterior.WithPriorPrecision(lambda);
            double total = 0;
            foreach (var (jacobian, batchLabels) in batches)
            {
                using var scope = NewDisposeScope();
                var variance = tuned.Variance(jacobian);
                var mean = jacobian.Logits.to(ScalarType.Float64);
                var probit = (mean / (1 + Math.PI / 8 * variance.diagonal(0, 1, 2)).sqrt()).log_softmax(1);
                var picked = probit.gather(1, tensor(batchLabels.Select(l => (long)l).ToArray()).view(-1, 1));
                total -= picked.sum().item<double>();
            }
            return total / prompts.Count;
        };
    }

    /// <summary>A sampled posterior's predictions over a whole split; prompt i draws from seed + i whatever the batching.</summary>
    public static IReadOnlyList<ClassPrediction> Sampled(Core.Sampling.SampledPosterior posterior, LlamaModel model, IReadOnlyList<int[]> prompts,
        long[] classes, int samples, ulong seed, int batchSize, IProgress<(int, double)>? progress = null)
    {
        var predictions = new List<ClassPrediction>(prompts.Count);
        foreach (var chunk in prompts.Chunk(batchSize))
        {
            var seeds = chunk.Select((_, i) => unchecked(seed + (ulong)(predictions.Count + i))).ToList();
            predictions.AddRange(Core.Sampling.SampledPredictor.Predict(posterior, model, chunk.Cast<IReadOnlyList<int>>().ToList(), classes, samples, seeds).Predictions);
            progress?.Report((predictions.Count, double.NaN));
        }
        return predictions;
    }

    public static double[][] MapLogits(LlamaModel model, Core.Lora.LoraAdapter adapter, IReadOnlyList<int[]> prompts, long[] classes, int batchSize) =>
        prompts.Chunk(batchSize).SelectMany(chunk => MapPredictor.Logits(model, adapter, chunk.Cast<IReadOnlyList<int>>().ToList(), classes)).ToArray();
}
