using System.Diagnostics;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Prediction;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Sampling;

/// <summary>Predictions of a sampled posterior for a batch of prompts, with the time spent in forward passes.</summary>
public sealed record SampledPredictions(IReadOnlyList<ClassPrediction> Predictions, TimeSpan Forward, TimeSpan Summaries);

/// <summary>
/// The predictive of a sampled posterior: per prompt, S weight samples (or dropout masks, or ensemble
/// members), S forward passes run as one batch of prompts x samples rows, and the sample moments of
/// the class logits. Prompt i draws from seed + i alone, so its answer does not depend on the batch.
/// </summary>
public static class SampledPredictor
{
    /// <summary>Rows (prompts x samples) per forward pass; larger requests run in several passes.</summary>
    public const int MaxRowsPerForward = 64;

    /// <param name="samples">S; 0 means the mean weights alone, once, without dropout.</param>
    /// <param name="seed">Prompt i draws from seed + i.</param>
    public static SampledPredictions Predict(SampledPosterior posterior, LlamaModel model, IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<long> classIndices, int samples, ulong seed) =>
        Predict(posterior, model, prompts, classIndices, samples, prompts.Select((_, i) => unchecked(seed + (ulong)i)).ToList());

    /// <param name="promptSeeds">One seed per prompt: what prompt i draws depends on its seed alone.</param>
    public static SampledPredictions Predict(SampledPosterior posterior, LlamaModel model, IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<long> classIndices, int samples, IReadOnlyList<ulong> promptSeeds)
    {
        if (promptSeeds.Count != prompts.Count) throw new ArgumentException("Need one seed per prompt.", nameof(promptSeeds));
        if (samples < 0) throw new ArgumentOutOfRangeException(nameof(samples), samples, "samples must be 0 (mean weights) or more.");
        if (samples == 0 && !posterior.HasMeanWeights)
            throw new ArgumentOutOfRangeException(nameof(samples), samples, $"'{posterior.Method}' has no mean weights; ask for 1 or more samples.");
        if (posterior.MaxSamples is { } max && samples > max)
            throw new ArgumentOutOfRangeException(nameof(samples), samples, $"'{posterior.Method}' gives at most {max} samples.");

        var forward = new Stopwatch();
        var summaries = new Stopwatch();
        var predictions = new List<ClassPrediction>(prompts.Count);
        int passes = SampledPosterior.ForwardPasses(samples);
        int promptsPerForward = Math.Max(1, MaxRowsPerForward / passes);
        for (int start = 0; start < prompts.Count; start += promptsPerForward)
        {
            int count = Math.Min(promptsPerForward, prompts.Count - start);
            forward.Start();
            var logits = SampleLogits(posterior, model, prompts.Skip(start).Take(count).ToList(), classIndices, samples, promptSeeds.Skip(start).Take(count).ToList());
            forward.Stop();
            summaries.Start();
            predictions.AddRange(logits.Select(l => samples == 0 ? Point(l) : Summarise(l)));
            summaries.Stop();
        }
        return new SampledPredictions(predictions, forward.Elapsed, summaries.Elapsed);
    }

    /// <summary>Per prompt, the (S, C) class logits of its S samples (one row of the mean weights when S = 0).</summary>
    public static IReadOnlyList<double[,]> SampleLogits(SampledPosterior posterior, LlamaModel model, IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<long> classIndices, int samples, IReadOnlyList<ulong> promptSeeds)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int passes = SampledPosterior.ForwardPasses(samples);
        var rows = prompts.SelectMany(p => Enumerable.Repeat(p, passes)).ToList();
        var batch = TokenBatch.Create(rows, model.Device);

        ForwardContext context;
        if (samples == 0)
            context = new ForwardContext { Adapter = posterior.Adapter };
        else
        {
            var draws = prompts.Select((_, i) => posterior.Draw(samples, new Generator(promptSeeds[i], CPU), model.DType, model.Device)).ToList();
            var weights = draws[0] is null ? null
                : posterior.Adapter.Modules.ToDictionary(m => m.ModulePath, m => RowLoraWeights.Concatenate(draws.Select(d => d![m.ModulePath]).ToList()));
            var dropout = posterior.DropoutProbability > 0
                ? new LoraInputDropout(posterior.DropoutProbability,
                    prompts.SelectMany((_, i) => Enumerable.Range(0, samples).Select(s => RowSeed(promptSeeds[i], s))).ToList(),
                    new long[rows.Count], rows.Select(r => (long)r.Count).ToList())
                : null;
            context = new ForwardContext { Adapter = posterior.Adapter, RowWeights = weights, Dropout = dropout };
        }
        var logits = model.Forward(batch, posterior.Adapter.Head, context)
            .index_select(1, tensor(classIndices.ToArray(), device: model.Device))
            .to(ScalarType.Float64).cpu();
        var flat = logits.data<double>().ToArray();
        int c = classIndices.Count;
        return prompts.Select((_, i) =>
        {
            var block = new double[passes, c];
            for (int s = 0; s < passes; s++)
                for (int k = 0; k < c; k++)
                    block[s, k] = flat[(i * passes + s) * c + k];
            return block;
        }).ToList();
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

    // SplitMix64 of the prompt's seed and the sample index: independent, reproducible streams per row.
    private static ulong RowSeed(ulong promptSeed, int sample)
    {
        ulong z = unchecked(promptSeed * 0x9E3779B97F4A7C15UL + (ulong)sample + 1);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
