using System.Diagnostics;
using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Prediction;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Sampling;

/// <summary>Predictions of a sampled posterior for a batch of prompts, with the time spent in forward passes.</summary>
public sealed record SampledPredictions(IReadOnlyList<ClassPrediction> Predictions, TimeSpan Forward, TimeSpan Summaries);

/// <summary>
/// The predictive of a sampled posterior: per prompt, S weight samples (or dropout masks, or ensemble
/// members), S forward passes run as rows of prompts x samples in chunks under a token budget, and
/// the sample moments of the class logits. Prompt i draws from seed + i alone, on the model's device,
/// so its answer depends neither on the rest of the batch nor on where the chunks fall.
/// </summary>
public static class SampledPredictor
{
    /// <param name="samples">S; 0 means the mean weights alone, once, without dropout.</param>
    /// <param name="seed">Prompt i draws from seed + i.</param>
    public static SampledPredictions Predict(SampledPosterior posterior, LlamaModel model, IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<long> classIndices, int samples, ulong seed, TokenBudget? budget = null) =>
        Predict(posterior, model, prompts, classIndices, samples, prompts.Select((_, i) => unchecked(seed + (ulong)i)).ToList(), budget);

    /// <param name="promptSeeds">One seed per prompt: what prompt i draws depends on its seed alone.</param>
    public static SampledPredictions Predict(SampledPosterior posterior, LlamaModel model, IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<long> classIndices, int samples, IReadOnlyList<ulong> promptSeeds, TokenBudget? budget = null)
    {
        if (promptSeeds.Count != prompts.Count) throw new ArgumentException("Need one seed per prompt.", nameof(promptSeeds));
        if (posterior.SamplesError(samples) is { } error) throw new ArgumentOutOfRangeException(nameof(samples), samples, error);

        var forward = Stopwatch.StartNew();
        var logits = SampleLogits(posterior, model, prompts, classIndices, samples, promptSeeds, budget);
        forward.Stop();
        var summaries = Stopwatch.StartNew();
        var predictions = logits.Select(l => samples == 0 ? Point(l) : Summarise(l)).ToList();
        return new SampledPredictions(predictions, forward.Elapsed, summaries.Elapsed);
    }

    /// <summary>Per prompt, the (S, C) class logits of its S samples (one row of the mean weights when S = 0).</summary>
    public static IReadOnlyList<double[,]> SampleLogits(SampledPosterior posterior, LlamaModel model, IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<long> classIndices, int samples, IReadOnlyList<ulong> promptSeeds, TokenBudget? budget = null)
    {
        var outputs = classIndices.ToArray();
        var result = PredictiveEngine.Run(model, prompts.Select((p, i) => new PredictiveGroup(posterior, [p], outputs, samples, promptSeeds[i])).ToList(), budget);
        return result.Groups.Select(g => g!.Draws ?? Row(g.Mean)).ToList();
    }

    private static double[,] Row(double[] values)
    {
        var row = new double[1, values.Length];
        for (int k = 0; k < values.Length; k++) row[0, k] = values[k];
        return row;
    }

    /// <summary>
    /// Sample moments of the logits (S, C): mean, unbiased covariance; probabilities averaged over the
    /// per-sample softmax; probit from the sample mean and variance; the entropy split as for Laplace.
    /// </summary>
    public static ClassPrediction Summarise(double[,] logits)
    {
        using var scope = NewDisposeScope();
        var samples = tensor(logits, ScalarType.Float64);
        long s = samples.shape[0], c = samples.shape[1];
        var mean = samples.mean(new long[] { 0 });
        var centred = samples - mean;
        var covariance = s > 1 ? centred.T.matmul(centred) / (s - 1) : zeros(c, c, ScalarType.Float64);
        var probabilities = samples.softmax(1);
        var probabilityMean = probabilities.mean(new long[] { 0 });
        var probabilityStd = s > 1 ? probabilities.std(0, unbiased: true) : zeros(c, ScalarType.Float64);
        var probit = (mean / (1 + Math.PI / 8 * covariance.diagonal()).sqrt()).softmax(0);
        double total = LogitPredictive.Entropy(probabilityMean).item<double>();
        double aleatoric = LogitPredictive.Entropy(probabilities).mean().item<double>();

        var matrix = new double[c, c];
        var flat = covariance.data<double>().ToArray();
        Buffer.BlockCopy(flat, 0, matrix, 0, flat.Length * sizeof(double));
        return new ClassPrediction(mean.data<double>().ToArray(), matrix, new ProbabilitySummary(
            mean.softmax(0).data<double>().ToArray(),
            probabilityMean.data<double>().ToArray(),
            probabilityStd.data<double>().ToArray(),
            probit.data<double>().ToArray(),
            total,
            aleatoric,
            Math.Max(total - aleatoric, 0)));
    }

    private static ClassPrediction Point(double[,] logits)
    {
        var row = Enumerable.Range(0, logits.GetLength(1)).Select(k => logits[0, k]).ToArray();
        return new ClassPrediction(row, new double[row.Length, row.Length], MapPredictor.Summarise(row));
    }
}
