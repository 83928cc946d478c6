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
        if (samples < 0) throw new ArgumentOutOfRangeException(nameof(samples), samples, "samples must be 0 (mean weights) or more.");
        if (samples == 0 && !posterior.HasMeanWeights)
            throw new ArgumentOutOfRangeException(nameof(samples), samples, $"'{posterior.Method}' has no mean weights; ask for 1 or more samples.");
        if (posterior.MaxSamples is { } max && samples > max)
            throw new ArgumentOutOfRangeException(nameof(samples), samples, $"'{posterior.Method}' gives at most {max} samples.");

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
        int passes = SampledPosterior.ForwardPasses(samples), c = classIndices.Count;
        var result = prompts.Select(_ => new double[passes, c]).ToArray();
        var rowLengths = prompts.SelectMany(p => Enumerable.Repeat(p.Count, passes)).ToList();
        // A prompt's S weight draws are made once, when its first row runs, and freed after its last:
        // at most the prompts of one chunk hold draws at a time.
        var draws = new Dictionary<int, IReadOnlyDictionary<string, RowLoraWeights>?>();
        try
        {
            foreach (var (offset, count) in (budget ?? TokenBudget.Default).Chunks(rowLengths))
            {
                var rows = Enumerable.Range(offset, count).Select(r => (Prompt: r / passes, Sample: r % passes)).ToList();
                if (samples > 0)
                    foreach (int prompt in rows.Select(r => r.Prompt).Distinct().Where(p => !draws.ContainsKey(p)))
                        draws[prompt] = DrawDetached(posterior, samples, promptSeeds[prompt], model);
                RunChunk(posterior, model, prompts, classIndices, samples, promptSeeds, rows, draws, result);
                // Prompts before the chunk's last one are done, and that one too if its last sample ran.
                int finished = rows[^1].Sample == passes - 1 ? rows[^1].Prompt + 1 : rows[^1].Prompt;
                foreach (int done in draws.Keys.Where(p => p < finished).ToList())
                {
                    Dispose(draws[done]);
                    draws.Remove(done);
                }
            }
        }
        finally
        {
            foreach (var d in draws.Values) Dispose(d);
        }
        return result;
    }

    private static void RunChunk(SampledPosterior posterior, LlamaModel model, IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<long> classIndices,
        int samples, IReadOnlyList<ulong> promptSeeds, List<(int Prompt, int Sample)> rows,
        Dictionary<int, IReadOnlyDictionary<string, RowLoraWeights>?> draws, double[][,] result)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = TokenBatch.Create(rows.Select(r => prompts[r.Prompt]).ToList(), model.Device);
        var context = new ForwardContext { Adapter = posterior.Adapter };
        if (samples > 0)
        {
            // Consecutive rows of one prompt are consecutive samples of its draws.
            var runs = rows.GroupBy(r => r.Prompt).Select(g => (Prompt: g.Key, First: g.Min(r => r.Sample), Count: g.Count())).ToList();
            var weights = draws[runs[0].Prompt] is null ? null
                : posterior.Adapter.Modules.ToDictionary(m => m.ModulePath, m => RowLoraWeights.Concatenate(
                    runs.Select(run => draws[run.Prompt]![m.ModulePath].Slice(run.First, run.Count)).ToList()));
            var dropout = posterior.DropoutProbability > 0
                ? new LoraInputDropout(posterior.DropoutProbability, rows.Select(r => RowSeed(promptSeeds[r.Prompt], r.Sample)).ToList(),
                    new long[rows.Count], rows.Select(r => (long)prompts[r.Prompt].Count).ToList(), model.Device)
                : null;
            context = new ForwardContext { Adapter = posterior.Adapter, RowWeights = weights, Dropout = dropout };
        }
        var logits = model.Forward(batch, posterior.Adapter.Head, context)
            .index_select(1, tensor(classIndices.ToArray(), device: model.Device))
            .to(ScalarType.Float64).cpu();
        var flat = logits.data<double>().ToArray();
        int c = classIndices.Count;
        for (int i = 0; i < rows.Count; i++)
            for (int k = 0; k < c; k++)
                result[rows[i].Prompt][rows[i].Sample, k] = flat[i * c + k];
    }

    // The prompt's draws outlive the chunk that made them; the caller disposes them.
    private static IReadOnlyDictionary<string, RowLoraWeights>? DrawDetached(SampledPosterior posterior, int samples, ulong seed, LlamaModel model)
    {
        using var scope = NewDisposeScope();
        var draws = posterior.Draw(samples, new Generator(seed, model.Device), model.DType, model.Device);
        if (draws is null) return null;
        foreach (var w in draws.Values)
        {
            w.A.DetachFromDisposeScope();
            w.B.DetachFromDisposeScope();
        }
        return draws;
    }

    private static void Dispose(IReadOnlyDictionary<string, RowLoraWeights>? draws)
    {
        if (draws is null) return;
        foreach (var w in draws.Values)
        {
            w.A.Dispose();
            w.B.Dispose();
        }
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
