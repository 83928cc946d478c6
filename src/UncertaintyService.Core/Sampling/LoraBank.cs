using UncertaintyService.Core.Lora;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Sampling;

/// <summary>Where one forward row's LoRA weights come from: its adapter's own, or sample <c>Sample</c> of a draw.</summary>
public readonly record struct RowSource(LoraAdapter Adapter, IReadOnlyDictionary<string, RowLoraWeights>? Draws, int Sample);

/// <summary>
/// Stacks the LoRA weights of a chunk's rows into one <see cref="RowLoraWeights"/> per module path, so
/// rows of different adapters of one base (and their weight samples) share one batched forward: every
/// module any row's adapter adapts is in the bank; a row whose adapter does not adapt it gets zeros;
/// ranks are padded with zeros to the largest (exact: the padded directions add 0); each row carries
/// its own alpha / r when the rows' adapters differ.
/// </summary>
public static class LoraBank
{
    public static Dictionary<string, RowLoraWeights> Build(IReadOnlyList<RowSource> rows, Device device)
    {
        var adapters = rows.Select(r => r.Adapter).Distinct(ReferenceEqualityComparer.Instance).Cast<LoraAdapter>().ToList();
        bool ownScales = adapters.Count > 1;
        var paths = adapters.SelectMany(a => a.Modules).Select(m => m.ModulePath).Distinct().ToList();
        var runs = Runs(rows);
        var bank = new Dictionary<string, RowLoraWeights>();
        foreach (var path in paths)
        {
            var modules = adapters.Select(a => a.Module(path)).OfType<LoraModule>().ToList();
            long rank = modules.Max(m => m.Rank), inFeatures = modules[0].A.shape[1], outFeatures = modules[0].B.shape[0];
            var dtype = modules[0].A.dtype;
            var a = new List<Tensor>();
            var b = new List<Tensor>();
            var scales = new double[rows.Count];
            var adapted = new bool[rows.Count];
            foreach (var (first, count) in runs)
            {
                var source = rows[first];
                if (source.Adapter.Module(path) is not { } module)
                {
                    a.Add(zeros(count, rank, inFeatures, dtype, device));
                    b.Add(zeros(count, outFeatures, rank, dtype, device));
                    continue;
                }
                Tensor runA, runB;
                if (source.Draws is { } draws)
                {
                    var samples = tensor(Enumerable.Range(first, count).Select(i => (long)rows[i].Sample).ToArray(), device: device);
                    runA = draws[path].A.index_select(0, samples);
                    runB = draws[path].B.index_select(0, samples);
                }
                else
                {
                    runA = module.A.unsqueeze(0).expand(count, -1, -1);
                    runB = module.B.unsqueeze(0).expand(count, -1, -1);
                }
                if (module.Rank < rank)
                {
                    runA = cat([runA, zeros(count, rank - module.Rank, inFeatures, dtype, device)], 1);
                    runB = cat([runB, zeros(count, outFeatures, rank - module.Rank, dtype, device)], 2);
                }
                a.Add(runA);
                b.Add(runB);
                Array.Fill(scales, module.Scale, first, count);
                Array.Fill(adapted, true, first, count);
            }
            bank[path] = new RowLoraWeights(cat(a, 0), cat(b, 0))
            {
                Scales = ownScales ? tensor(scales, dtype, device) : null,
                Adapted = adapted.All(x => x) ? null : adapted,
            };
        }
        return bank;
    }

    // Consecutive rows reading the same weights (one adapter's own, or one draw).
    private static List<(int First, int Count)> Runs(IReadOnlyList<RowSource> rows)
    {
        var runs = new List<(int, int)>();
        int start = 0;
        for (int i = 1; i <= rows.Count; i++)
        {
            if (i < rows.Count && ReferenceEquals(rows[i].Adapter, rows[start].Adapter) && ReferenceEquals(rows[i].Draws, rows[start].Draws))
                continue;
            runs.Add((start, i - start));
            start = i;
        }
        return runs;
    }
}
