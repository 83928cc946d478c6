using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Laplace.Fitting;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Support;

/// <summary>
/// K-FAC factors by the sums that define them: one prompt per forward (no padding at all), the
/// Fisher vectors written out per kind, and one outer product per position in a plain loop.
/// </summary>
internal static class KfacSlowReference
{
    /// <summary>The softmax of the class logits of one prompt, float64.</summary>
    public static double[] Probabilities(LlamaModel model, LoraAdapter adapter, int[] prompt, long[] classes)
    {
        using var noGrad = no_grad();
        var logits = model.Forward(TokenBatch.Create([prompt], CPU), adapter.Head, new ForwardContext { Adapter = adapter })[0];
        return Numeric.Row(logits.index_select(0, tensor(classes)).to(ScalarType.Float64).softmax(0));
    }

    /// <summary>The vectors v with Fisher = sum_v J^T v v^T J, for example <paramref name="index"/>.</summary>
    public static List<double[]> Vectors(FisherKind kind, double[] p, int label, ulong seed, long index)
    {
        double[] Residual(int y) => p.Select((pc, c) => (c == y ? 1.0 : 0.0) - pc).ToArray();
        return kind switch
        {
            FisherKind.Exact => Enumerable.Range(0, p.Length).Select(c => Residual(c).Select(r => Math.Sqrt(p[c]) * r).ToArray()).ToList(),
            FisherKind.Mc => [Residual(McLabelSampler.Sample(p, seed, index))],
            FisherKind.Empirical => [Residual(label)],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    /// <summary>(input factor, output factor) per LoRA matrix name, square, float64.</summary>
    public static Dictionary<string, (Tensor Input, Tensor Output)> Factors(LlamaModel model, LoraAdapter adapter, int[][] prompts, int[] labels,
        long[] classes, FisherKind kind, PositionHandling positions, ulong seed = 0)
    {
        var inputs = new Dictionary<string, Tensor>();
        var outputs = new Dictionary<string, Tensor>();
        var inputTerms = new Dictionary<string, long>();
        void Add(Dictionary<string, Tensor> sums, string name, Tensor row)
        {
            var term = row.outer(row);
            sums[name] = sums.TryGetValue(name, out var s) ? s + term : term;
            if (ReferenceEquals(sums, inputs)) inputTerms[name] = inputTerms.GetValueOrDefault(name) + 1;
        }
        // rows: (T, D), one per real position of one prompt.
        void AddPositions(Dictionary<string, Tensor> sums, string name, Tensor rows, bool mean)
        {
            long count = rows.shape[0];
            switch (positions)
            {
                case PositionHandling.Expand:
                    for (long t = 0; t < count; t++) Add(sums, name, rows[t]);
                    break;
                case PositionHandling.Reduce:
                    var total = zeros(rows.shape[1], dtype: ScalarType.Float64);
                    for (long t = 0; t < count; t++) total += rows[t];
                    Add(sums, name, mean ? total / count : total);
                    break;
                case PositionHandling.Last:
                    Add(sums, name, rows[count - 1]);
                    break;
            }
        }

        for (int n = 0; n < prompts.Length; n++)
        {
            using var grad = enable_grad();
            using var recorder = new LoraActivationRecorder();
            var logits = model.Forward(TokenBatch.Create([prompts[n]], CPU), adapter.Head, new ForwardContext { Adapter = adapter, Recorder = recorder })[0]
                .index_select(0, tensor(classes));
            var p = Numeric.Row(logits.detach().softmax(0));
            foreach (var a in recorder.Activations)
            {
                AddPositions(inputs, a.Module.NameA, a.Input.detach().reshape(-1, a.Input.shape[^1]), mean: true);
                AddPositions(inputs, a.Module.NameB, a.LowRank.detach().reshape(-1, a.LowRank.shape[^1]), mean: true);
            }
            var differentiated = recorder.Activations.SelectMany(a => new[] { a.LowRank, a.UpProjection }).ToList();
            foreach (var v in Vectors(kind, p, labels[n], seed, n))
            {
                var gradients = autograd.grad([logits.dot(tensor(v))], differentiated, retain_graph: true, allow_unused: true);
                for (int i = 0; i < recorder.Activations.Count; i++)
                {
                    var a = recorder.Activations[i];
                    AddPositions(outputs, a.Module.NameA, gradients[2 * i].reshape(-1, a.LowRank.shape[^1]), mean: false);
                    AddPositions(outputs, a.Module.NameB, gradients[2 * i + 1].reshape(-1, a.UpProjection.shape[^1]), mean: false);
                }
            }
        }
        return inputs.Keys.ToDictionary(name => name, name => (inputs[name] / inputTerms[name], outputs[name] / prompts.Length));
    }
}
