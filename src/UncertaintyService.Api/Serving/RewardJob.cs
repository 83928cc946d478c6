using System.Diagnostics;
using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Serving;

/// <summary>
/// One validated reward request: either items (texts scored alone) or pairs (chosen and rejected texts,
/// scored jointly: one group each, so a sampled method's weight draws and Laplace's joint Gaussian
/// cover both rewards).
/// </summary>
public sealed class RewardJob : InferenceJob
{
    private static readonly long[] RewardOutput = [0];

    /// <param name="samples">Weight samples for a sampled method; Monte Carlo draws of the joint Gaussian for Laplace pairs (0: probit).</param>
    public RewardJob(AdapterLease lease, IPredictiveMethod method, IReadOnlyList<int[]> texts, IReadOnlyList<int[]>? rejected, int samples, ulong seed,
        CancellationToken cancellation) : base(lease, method, cancellation)
    {
        Texts = texts;
        Rejected = rejected;
        Samples = samples;
        Seed = seed;
        Groups = texts.Select((t, i) => new PredictiveGroup(method, rejected is null ? [t] : [t, rejected[i]], RewardOutput, samples,
            unchecked(seed + (ulong)i), cancellation)).ToList();
        // A pair's two texts are padded together.
        Cost = RequestCost.Of(rejected is null ? texts : [.. texts, .. rejected], method.PassesPerText(1, samples));
    }

    /// <summary>Items' texts, or the pairs' chosen texts.</summary>
    public IReadOnlyList<int[]> Texts { get; }

    /// <summary>The pairs' rejected texts; null for items.</summary>
    public IReadOnlyList<int[]>? Rejected { get; }

    public bool IsPairs => Rejected is not null;

    public int Samples { get; }

    /// <summary>Seed of pair (or item) 0; pair i uses seed + i.</summary>
    public ulong Seed { get; }

    public TaskCompletionSource<RewardOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public override IReadOnlyList<PredictiveGroup> Groups { get; }
    public override long Cost { get; }

    protected override void Answer(IReadOnlyList<GroupMoments> moments, BatchContext batch, PhaseTimes times)
    {
        var clock = Stopwatch.StartNew();
        int bad = moments.ToList().FindIndex(m => !Finite(m));
        if (bad >= 0)
        {
            Fail(new ServiceException(ErrorKind.Backend, "Model failure", $"{(IsPairs ? "pairs" : "items")}[{bad}]: the model produced non-finite rewards or variances"));
            return;
        }
        IReadOnlyList<RewardEstimate>? items = null;
        IReadOnlyList<PreferencePrediction>? pairs = null;
        if (IsPairs)
            pairs = moments.Select((m, i) => GroupAnswers.Pair(m, Samples, Groups[i].Seed)).ToList();
        else
            items = moments.Select(m => GroupAnswers.Reward(m)).Select(r => new RewardEstimate(r.Mean, r.Variance)).ToList();
        Completion.TrySetResult(new RewardOutcome(items, pairs, Timings(batch, times, clock.Elapsed), batch.Texts));
    }

    public override void Fail(Exception error) => Completion.TrySetException(error);

    public override void Cancel() => Completion.TrySetCanceled(Cancellation);
}

/// <summary>One text's reward: posterior mean and variance (zero for map).</summary>
public sealed record RewardEstimate(double Mean, double Variance);

/// <summary>The worker's answer to a reward job: items or pairs, and where the time went.</summary>
public sealed record RewardOutcome(IReadOnlyList<RewardEstimate>? Items, IReadOnlyList<PreferencePrediction>? Pairs, PhaseTimings Timings, int BatchTexts);
