using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Prediction;

/// <summary>The point-estimate baseline: the adapted model's class logits, no posterior.</summary>
public static class MapPredictor
{
    /// <summary>Class logits (B x C) in float64, from forward passes without autograd in chunks under <paramref name="budget"/>.</summary>
    public static double[][] Logits(LlamaModel model, LoraAdapter adapter, IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<long> classIndices,
        TokenBudget? budget = null)
    {
        var result = new double[prompts.Count][];
        foreach (var (offset, count) in (budget ?? TokenBudget.Default).Chunks(prompts.Select(p => p.Count).ToList()))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var batch = TokenBatch.Create(prompts.Skip(offset).Take(count).ToList(), model.Device);
            var logits = model.Forward(batch, adapter.Head, new ForwardContext { Adapter = adapter })
                .index_select(1, tensor(classIndices.ToArray(), device: model.Device))
                .to(ScalarType.Float64).cpu();
            var flat = logits.data<double>().ToArray();
            int c = classIndices.Count;
            for (int b = 0; b < count; b++)
                result[offset + b] = flat.AsSpan(b * c, c).ToArray();
        }
        return result;
    }

    /// <summary>What a point estimate says: the MAP softmax everywhere, no spread, no epistemic part.</summary>
    public static ProbabilitySummary Summarise(double[] logits)
    {
        using var scope = NewDisposeScope();
        var p = tensor(logits).softmax(0);
        var probabilities = p.data<double>().ToArray();
        double entropy = LogitPredictive.Entropy(p).item<double>();
        return new ProbabilitySummary(probabilities, probabilities, new double[logits.Length], probabilities, entropy, entropy, 0);
    }
}
