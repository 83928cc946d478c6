using System.Diagnostics;
using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Sampling;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Prediction;

/// <summary>
/// Runs forward-only groups (MAP and every sampled posterior, of any adapters of one base) as shared
/// forward passes. Each group puts rows(S) x texts rows in (sample-major, a pair's two texts side by
/// side); the rows run in consecutive chunks under the token budget, each chunk one decoder pass with
/// every row's own LoRA weights (<see cref="LoraBank"/>) and dropout, then each head the chunk's rows
/// read, then each row's own outputs gathered. A group's draws are made from its seed alone when its
/// first row runs and freed after its last, so at most one chunk's groups hold draws at a time and a
/// group's answer does not depend on its company or on where the chunks fall.
/// </summary>
internal static class SharedForward
{
    private readonly record struct Row(int Group, int Sample, int Text);

    /// <summary>A group's weight draws: LoRA rows by module, and saved-module rows (S, out, in) where its samples have their own.</summary>
    private sealed record Draws(IReadOnlyDictionary<string, RowLoraWeights>? Lora, IReadOnlyDictionary<string, Tensor>? Saved);

    /// <param name="decoderAdapter">The adapter whose saved decoder modules every group here shares (null when they save none).</param>
    public static void Run(LlamaModel model, IReadOnlyList<(int Index, PredictiveGroup Group)> work, LoraAdapter? decoderAdapter, TokenBudget budget,
        EngineProgress progress)
    {
        var samplers = work.Select(w => (IForwardSampler)w.Group.Method).ToList();
        var outputs = work.Select((w, g) => new double[samplers[g].Rows(w.Group.Samples), w.Group.Width]).ToArray();
        var rows = new List<Row>();
        var lastRow = new int[work.Count];
        for (int g = 0; g < work.Count; g++)
        {
            for (int s = 0; s < outputs[g].GetLength(0); s++)
                for (int t = 0; t < work[g].Group.Texts.Count; t++)
                    rows.Add(new Row(g, s, t));
            lastRow[g] = rows.Count - 1;
        }
        var draws = new Dictionary<int, Draws?>();
        int finished = 0;
        try
        {
            foreach (var (offset, count) in budget.Chunks(rows.Select(r => work[r.Group].Group.Texts[r.Text].Count).ToList()))
            {
                var chunk = rows.GetRange(offset, count).Where(r => !work[r.Group].Group.Cancellation.IsCancellationRequested).ToList();
                foreach (int g in chunk.Select(r => r.Group).Distinct().Where(g => !draws.ContainsKey(g)))
                {
                    var group = work[g].Group;
                    draws[g] = samplers[g].IsSampled(group.Samples) ? DrawDetached(samplers[g], group.Samples, group.Seed, model) : null;
                }
                var clock = Stopwatch.StartNew();
                if (chunk.Count > 0)
                    RunChunk(model, work, samplers, chunk, draws, decoderAdapter, outputs);
                progress.Spent(new PhaseTimes(clock.Elapsed, TimeSpan.Zero, TimeSpan.Zero));
                foreach (int done in draws.Keys.Where(g => lastRow[g] < offset + count).ToList())
                {
                    Dispose(draws[done]);
                    draws.Remove(done);
                }
                // Groups whose last row has run are answered now.
                for (; finished < work.Count && lastRow[finished] < offset + count; finished++)
                    progress.Done(work[finished].Index, Moments(samplers[finished], work[finished].Group, outputs[finished]));
            }
        }
        finally
        {
            foreach (var d in draws.Values) Dispose(d);
        }
    }

    private static GroupMoments? Moments(IForwardSampler sampler, PredictiveGroup group, double[,] outputs)
    {
        if (group.Cancellation.IsCancellationRequested) return null;
        if (sampler.OutputScale != 1)
            for (int i = 0; i < outputs.GetLength(0); i++)
                for (int k = 0; k < outputs.GetLength(1); k++) outputs[i, k] *= sampler.OutputScale;
        return sampler.IsSampled(group.Samples) ? FromDraws(outputs)
            : new GroupMoments(Enumerable.Range(0, group.Width).Select(k => outputs[0, k]).ToArray(), null, null);
    }

    private static void RunChunk(LlamaModel model, IReadOnlyList<(int Index, PredictiveGroup Group)> work, IReadOnlyList<IForwardSampler> samplers,
        List<Row> chunk, Dictionary<int, Draws?> draws, LoraAdapter? decoderAdapter, double[][,] outputs)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var texts = chunk.Select(r => work[r.Group].Group.Texts[r.Text]).ToList();
        var batch = TokenBatch.Create(texts, model.Device);
        var adapters = chunk.Select(r => samplers[r.Group].Adapter).Distinct(ReferenceEqualityComparer.Instance).Cast<LoraAdapter>().ToList();
        bool ownWeights = adapters.Count == 1 && chunk.All(r => draws[r.Group]?.Lora is null);
        var probabilities = chunk.Select(r => samplers[r.Group].RowDropout(work[r.Group].Group.Samples)).ToList();
        var context = new ForwardContext
        {
            Adapter = adapters.Count == 1 ? adapters[0] : decoderAdapter,
            RowWeights = ownWeights ? null : LoraBank.Build(chunk.Select(r => new RowSource(samplers[r.Group].Adapter, draws[r.Group]?.Lora, r.Sample)).ToList(), model.Device),
            Dropout = probabilities.All(p => p == 0) ? null
                : new LoraInputDropout(probabilities, chunk.Select(r => RowSeed(work[r.Group].Group.Seed, r.Sample)).ToList(),
                    new long[chunk.Count], texts.Select(t => (long)t.Count).ToList(), model.Device),
        };
        var hidden = model.LastHiddenState(batch, context);

        // Rows reading different heads (the LM head, the base's or an adapter's saved score head, a
        // reward ensemble member's own) run each head on their own rows.
        var heads = Enumerable.Range(0, chunk.Count).GroupBy(i => HeadKey(model, samplers[chunk[i].Group].Adapter, draws[chunk[i].Group]?.Saved)).ToList();
        foreach (var head in heads)
        {
            var rowList = head.ToList();
            var headAdapter = samplers[chunk[rowList[0]].Group].Adapter;
            bool whole = heads.Count == 1 && (adapters.Count == 1 || head.Key.Replacement is null) && !head.Key.PerRow;
            var index = whole ? null : tensor(rowList.Select(i => (long)i).ToArray(), device: model.Device);
            var part = whole ? hidden : hidden.index_select(0, index!);
            var values = head.Key.PerRow
                ? RowHeadOutputs(model, part, rowList.Select(i => chunk[i]).ToList(), samplers, draws)
                : model.HeadOutputs(part, head.Key.Head, whole ? context : context.Select(index!, rowList, headAdapter));
            // Each row's own outputs; a row with fewer repeats its last, which is never read.
            int width = rowList.Max(i => work[chunk[i].Group].Group.Outputs.Length);
            var picks = new long[rowList.Count * width];
            for (int j = 0; j < rowList.Count; j++)
            {
                var own = work[chunk[rowList[j]].Group].Group.Outputs;
                for (int k = 0; k < width; k++) picks[j * width + k] = own[Math.Min(k, own.Length - 1)];
            }
            var flat = values.gather(1, tensor(picks, new long[] { rowList.Count, width }, device: model.Device))
                .to(ScalarType.Float64).cpu().data<double>().ToArray();
            for (int j = 0; j < rowList.Count; j++)
            {
                var row = chunk[rowList[j]];
                int c = work[row.Group].Group.Outputs.Length;
                for (int k = 0; k < c; k++)
                    outputs[row.Group][row.Sample, row.Text * c + k] = flat[j * width + k];
            }
        }
    }

    // Score-head rows run one batched product with each row's own head weight (a member's own, an
    // adapter's saved one, or the base's), so rows of several reward adapters and samples share it.
    private static Tensor RowHeadOutputs(LlamaModel model, Tensor hidden, List<Row> rows, IReadOnlyList<IForwardSampler> samplers, Dictionary<int, Draws?> draws)
    {
        var weights = rows.Select(r => draws[r.Group]?.Saved?.GetValueOrDefault(LlamaModel.ScoreModulePath)?[r.Sample]
            ?? (samplers[r.Group].Adapter.ReplacementFor(LlamaModel.ScoreModulePath) ?? model.ScoreHead
                ?? throw new InvalidOperationException("This model has no 'score' head (sequence classification), and the adapter saves none.")).Weight).ToList();
        var biases = rows.Select(r => (samplers[r.Group].Adapter.ReplacementFor(LlamaModel.ScoreModulePath) ?? model.ScoreHead)?.Bias).ToList();
        var y = hidden.unsqueeze(1).bmm(stack(weights).transpose(1, 2)).squeeze(1); // (n, out)
        if (biases.Any(b => b is not null))
            y = y + stack(biases.Select((b, i) => b ?? zeros(weights[i].shape[0], weights[i].dtype, weights[i].device)).ToList());
        return y;
    }

    // Score-head rows without a LoRA on the head share one per-row product (keyed by the head's output
    // count); every other head is keyed by its saved replacement, so rows of one key read one weight.
    private static (bool PerRow, ModelHead Head, object? Replacement) HeadKey(LlamaModel model, LoraAdapter adapter, IReadOnlyDictionary<string, Tensor>? savedRows)
    {
        if (adapter.Head == ModelHead.Score && adapter.Module(LlamaModel.ScoreModulePath) is null)
        {
            var weight = savedRows?.GetValueOrDefault(LlamaModel.ScoreModulePath) is { } rows ? rows.shape[1]
                : (adapter.ReplacementFor(LlamaModel.ScoreModulePath) ?? model.ScoreHead)?.OutFeatures;
            return (true, ModelHead.Score, weight);
        }
        if (savedRows is { Count: > 0 })
            throw new NotSupportedException("Per-sample saved modules are served for the score head only.");
        return (false, adapter.Head, adapter.ReplacementFor(adapter.Head == ModelHead.Score ? LlamaModel.ScoreModulePath : model.LmHead?.ModulePath ?? "lm_head"));
    }

    /// <summary>Sample mean and unbiased sample covariance of the draws (S x width); zero covariance for one sample.</summary>
    private static GroupMoments FromDraws(double[,] draws)
    {
        int s = draws.GetLength(0), w = draws.GetLength(1);
        var mean = new double[w];
        for (int i = 0; i < s; i++)
            for (int k = 0; k < w; k++) mean[k] += draws[i, k] / s;
        var covariance = new double[w, w];
        if (s > 1)
            for (int i = 0; i < s; i++)
                for (int k = 0; k < w; k++)
                    for (int l = 0; l < w; l++)
                        covariance[k, l] += (draws[i, k] - mean[k]) * (draws[i, l] - mean[l]) / (s - 1);
        return new GroupMoments(mean, covariance, draws);
    }

    // The group's draws outlive the chunk that made them; the caller disposes them.
    private static Draws? DrawDetached(IForwardSampler sampler, int samples, ulong seed, LlamaModel model)
    {
        using var scope = NewDisposeScope();
        var lora = sampler.Draw(samples, new Generator(seed, model.Device), model.DType, model.Device);
        var saved = sampler.SavedRows(samples, model.DType, model.Device);
        if (lora is null && saved is null) return null;
        var draws = new Draws(lora, saved);
        foreach (var t in Tensors(draws)) t.DetachFromDisposeScope();
        return draws;
    }

    private static void Dispose(Draws? draws)
    {
        if (draws is null) return;
        foreach (var t in Tensors(draws)) t.Dispose();
    }

    private static IEnumerable<Tensor> Tensors(Draws draws) =>
        (draws.Lora?.Values.SelectMany(w => new[] { w.A, w.B }) ?? []).Concat(draws.Saved?.Values ?? []);

    // SplitMix64 of the group's seed and the sample index: independent, reproducible streams per row.
    private static ulong RowSeed(ulong groupSeed, int sample)
    {
        ulong z = unchecked(groupSeed * 0x9E3779B97F4A7C15UL + (ulong)sample + 1);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
