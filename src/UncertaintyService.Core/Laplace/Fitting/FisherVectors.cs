using static TorchSharp.torch;

namespace UncertaintyService.Core.Laplace.Fitting;

/// <summary>
/// The vectors v whose products v . logits are back-propagated for the Fisher: with p the softmax of
/// the class logits, the Fisher of one example is sum_v J^T v v^T J.
/// </summary>
internal static class FisherVectors
{
    /// <summary>
    /// (V, B, C) float64 on the device of <paramref name="probabilities"/> (B, C, float64):
    /// exact, V = C: sqrt(p_c) (e_c - p), whose outer products sum to diag(p) - p p^T;
    /// mc, V = 1: e_y - p with y drawn by <see cref="McLabelSampler"/>; empirical, V = 1: e_y - p for the true y.
    /// </summary>
    public static Tensor Create(FisherKind kind, Tensor probabilities, IReadOnlyList<int> labels, ulong seed, long firstExample)
    {
        using var scope = NewDisposeScope();
        long batch = probabilities.shape[0], classes = probabilities.shape[1];
        Tensor result;
        if (kind == FisherKind.Exact)
        {
            var basis = eye(classes, dtype: ScalarType.Float64, device: probabilities.device).unsqueeze(1); // (C, 1, C)
            var weights = probabilities.sqrt().T.unsqueeze(2);                                               // (C, B, 1)
            result = weights * (basis - probabilities.unsqueeze(0));
        }
        else
        {
            var targets = kind == FisherKind.Empirical ? labels.ToArray() : SampleLabels(probabilities, seed, firstExample);
            var indices = tensor(targets.Select(t => (long)t).ToArray(), device: probabilities.device);
            var onehot = nn.functional.one_hot(indices, classes).to(ScalarType.Float64);
            result = (onehot - probabilities).unsqueeze(0);
        }
        if (result.shape[1] != batch) throw new InvalidOperationException("Fisher vectors lost the batch dimension.");
        return result.MoveToOuterDisposeScope();
    }

    private static int[] SampleLabels(Tensor probabilities, ulong seed, long firstExample)
    {
        long classes = probabilities.shape[1];
        var p = probabilities.cpu().data<double>().ToArray();
        return Enumerable.Range(0, (int)probabilities.shape[0])
            .Select(b => McLabelSampler.Sample(p.AsSpan(b * (int)classes, (int)classes), seed, firstExample + b))
            .ToArray();
    }
}
