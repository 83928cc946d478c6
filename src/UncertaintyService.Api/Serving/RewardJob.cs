using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Serving;

/// <summary>
/// One validated reward request: either items (texts scored alone) or pairs (chosen and rejected texts,
/// scored jointly). Reward jobs of the same adapter version, method and shape share a forward pass.
/// </summary>
public sealed class RewardJob(
    AdapterLease lease,
    string method,
    IReadOnlyList<int[]> texts,
    IReadOnlyList<int[]>? rejected,
    int samples,
    ulong seed,
    CancellationToken cancellation) : InferenceJob(lease, method, cancellation)
{
    /// <summary>Items' texts, or the pairs' chosen texts.</summary>
    public IReadOnlyList<int[]> Texts { get; } = texts;

    /// <summary>The pairs' rejected texts; null for items.</summary>
    public IReadOnlyList<int[]>? Rejected { get; } = rejected;

    public bool IsPairs => Rejected is not null;

    /// <summary>Monte Carlo draws per pair; 0 uses the probit approximation.</summary>
    public int Samples { get; } = samples;

    /// <summary>Seed of pair 0; pair i uses seed + i.</summary>
    public ulong Seed { get; } = seed;

    public TaskCompletionSource<RewardOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override int TextCount => Texts.Count + (Rejected?.Count ?? 0);

    // A pair's two texts are padded together.
    public override long Cost { get; } = RequestCost.Of(rejected is null ? texts : [.. texts, .. rejected], RequestCost.Passes(method, 1, 0, sampled: false));

    public override bool CanShareBatchWith(InferenceJob other) =>
        other is RewardJob job && ReferenceEquals(Adapter, job.Adapter) && Method == job.Method && IsPairs == job.IsPairs;

    public override void Fail(Exception error) => Completion.TrySetException(error);

    public override void Cancel() => Completion.TrySetCanceled(Cancellation);
}

/// <summary>One text's reward: posterior mean and variance (zero for map).</summary>
public sealed record RewardEstimate(double Mean, double Variance);

/// <summary>The worker's answer to a reward job: items or pairs, and where the time went.</summary>
public sealed record RewardOutcome(IReadOnlyList<RewardEstimate>? Items, IReadOnlyList<PreferencePrediction>? Pairs, PhaseTimings Timings, int BatchTexts);
