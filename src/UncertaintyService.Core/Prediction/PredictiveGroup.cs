namespace UncertaintyService.Core.Prediction;

/// <summary>
/// Texts whose outputs a request needs jointly, under one method: one prompt (its C class logits), one
/// reward item, or one reward pair (chosen then rejected: the joint Gaussian of both rewards). Groups
/// of any adapter, method, label set and sample count of one base model run in one engine call.
/// </summary>
/// <param name="Texts">Token ids; 1 text, or 2 for a pair.</param>
/// <param name="Outputs">Per output, the LM-head token id of a class or the score-head output index (the same for every text of the group).</param>
/// <param name="Samples">Weight samples for a sampled method (0 = mean weights); ignored by the others.</param>
/// <param name="Seed">What the group's draws (weights, dropout masks) come from: its answer depends on this alone, never on its batch.</param>
/// <param name="Cancellation">When it fires the group's remaining rows are skipped at the next chunk and it gets no moments.</param>
public sealed record PredictiveGroup(
    IPredictiveMethod Method,
    IReadOnlyList<IReadOnlyList<int>> Texts,
    long[] Outputs,
    int Samples,
    ulong Seed,
    CancellationToken Cancellation = default)
{
    /// <summary>Outputs over all texts, text-major: index t * C + c.</summary>
    public int Width => Texts.Count * Outputs.Length;
}

/// <summary>
/// A group's joint outputs (length <see cref="PredictiveGroup.Width"/>, text-major), in float64:
/// <list type="bullet">
/// <item>a point estimate: <see cref="Mean"/> alone;</item>
/// <item>a linearised Gaussian: <see cref="Mean"/> and <see cref="Covariance"/>;</item>
/// <item>a sampled posterior: <see cref="Draws"/> (S x width), the outputs of each weight sample, from
/// which Mean is the sample mean.</item>
/// </list>
/// </summary>
public sealed record GroupMoments(double[] Mean, double[,]? Covariance, double[,]? Draws);

/// <summary>Wall time spent in each phase: forward passes, backward passes with gradient products, covariances.</summary>
public readonly record struct PhaseTimes(TimeSpan Forward, TimeSpan Gradients, TimeSpan Covariance)
{
    public static PhaseTimes operator +(PhaseTimes a, PhaseTimes b) =>
        new(a.Forward + b.Forward, a.Gradients + b.Gradients, a.Covariance + b.Covariance);
}

/// <summary>Every group's moments (null where its cancellation fired) and the wall time of each phase.</summary>
public sealed record EngineResult(IReadOnlyList<GroupMoments?> Groups, PhaseTimes Times)
{
    public TimeSpan Forward => Times.Forward;
    public TimeSpan Gradients => Times.Gradients;
    public TimeSpan Covariance => Times.Covariance;
}

/// <summary>
/// Collects the groups' moments as they finish and the time spent so far, and tells the caller of
/// each group as soon as it is done (a request whose groups are all done is answered then, not when the
/// whole batch is).
/// </summary>
internal sealed class EngineProgress(int groups, Action<int, GroupMoments?, PhaseTimes>? onGroupDone)
{
    public GroupMoments?[] Results { get; } = new GroupMoments?[groups];

    public PhaseTimes Times { get; private set; }

    public void Spent(PhaseTimes times) => Times += times;

    public void Done(int index, GroupMoments? moments)
    {
        Results[index] = moments;
        onGroupDone?.Invoke(index, moments, Times);
    }
}
