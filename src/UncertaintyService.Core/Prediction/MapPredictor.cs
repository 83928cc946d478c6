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
        var method = new MapMethod(adapter);
        var outputs = classIndices.ToArray();
        var result = PredictiveEngine.Run(model, prompts.Select(p => new PredictiveGroup(method, [p], outputs, 0, 0)).ToList(), budget);
        return result.Groups.Select(g => g!.Mean).ToArray();
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
