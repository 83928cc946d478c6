using System.Diagnostics;
using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Serving;

/// <summary>
/// What every request the inference worker runs has in common: the adapter version it reads (leased,
/// so an unload cannot free it mid-request), its method, the groups it puts into the predictive
/// engine, its cancellation, its trace and its time in the queue. No HTTP types.
/// </summary>
public abstract class InferenceJob(AdapterLease lease, IPredictiveMethod method, CancellationToken cancellation) : IBatchable<InferenceJob>
{
    private int groupsDone;

    public LoadedAdapter Adapter => lease.Adapter;
    public IPredictiveMethod Predictive { get; } = method;
    public string Method => Predictive.Name;
    public CancellationToken Cancellation { get; } = cancellation;
    public ActivityContext Trace { get; } = Activity.Current?.Context ?? default;
    public Stopwatch SinceEnqueue { get; } = Stopwatch.StartNew();

    /// <summary>The groups (one per prompt, item or pair) this job asks of the engine.</summary>
    public abstract IReadOnlyList<PredictiveGroup> Groups { get; }

    /// <summary>Texts this job adds to a batch (a reward pair counts two).</summary>
    public int TextCount => Groups.Sum(g => g.Texts.Count);

    /// <summary>Token-passes this job asks of the worker (<see cref="RequestCost"/>).</summary>
    public abstract long Cost { get; }

    /// <summary>
    /// Jobs of one base model share a batch whatever their adapters, methods, outputs and sample counts:
    /// the engine gives every group the same answer in any company.
    /// </summary>
    public bool CanShareBatchWith(InferenceJob other) => ReferenceEquals(Adapter.Base.Model, other.Adapter.Base.Model);

    /// <summary>
    /// Counts one of its groups done; once all are, answers from their moments, or cancels if any was
    /// dropped. Returns null while groups remain, then true when answered and false when dropped.
    /// </summary>
    public bool? GroupDone(IReadOnlyList<GroupMoments?> batchResults, int firstGroup, BatchContext batch, PhaseTimes times)
    {
        if (++groupsDone < Groups.Count) return null;
        var moments = Enumerable.Range(firstGroup, Groups.Count).Select(i => batchResults[i]).ToList();
        if (moments.Any(m => m is null))
        {
            Cancel();
            return false;
        }
        Answer(moments!, batch, times);
        return true;
    }

    /// <summary>Turns this job's moments into its answer (or fails it, naming the field of a non-finite output).</summary>
    protected abstract void Answer(IReadOnlyList<GroupMoments> moments, BatchContext batch, PhaseTimes times);

    public abstract void Fail(Exception error);

    public abstract void Cancel();

    /// <summary>Ends the job's hold on its adapter version: called once the worker is done with it, or when it was never queued.</summary>
    public void ReleaseAdapter() => lease.Dispose();

    /// <summary>
    /// Milliseconds per phase: queue until the batch started, the engine's phases until this job's
    /// groups were done (the batch's work so far, which this job shared), then its own summaries; each
    /// phase also a span in the caller's trace.
    /// </summary>
    protected PhaseTimings Timings(BatchContext batch, PhaseTimes times, TimeSpan summaries)
    {
        var total = SinceEnqueue.Elapsed;
        var queued = total - (DateTime.UtcNow - batch.Started);
        ServiceTelemetry.RecordPhase("uncertainty.forward", Trace, batch.Started, times.Forward, batch.Texts);
        ServiceTelemetry.RecordPhase("uncertainty.gradients", Trace, batch.Started + times.Forward, times.Gradients + times.Covariance, batch.Texts);
        ServiceTelemetry.RecordPhase("uncertainty.sampling", Trace, DateTime.UtcNow - summaries, summaries, Groups.Count);
        return new PhaseTimings(queued.TotalMilliseconds, times.Forward.TotalMilliseconds, times.Gradients.TotalMilliseconds,
            times.Covariance.TotalMilliseconds, summaries.TotalMilliseconds, total.TotalMilliseconds);
    }

    /// <summary>Whether every number of the moments is finite.</summary>
    protected static bool Finite(GroupMoments m) =>
        m.Mean.All(double.IsFinite) && (m.Covariance?.Cast<double>().All(double.IsFinite) ?? true) && (m.Draws?.Cast<double>().All(double.IsFinite) ?? true);
}

/// <summary>What a job's answer reports of the batch it ran in.</summary>
public sealed record BatchContext(DateTime Started, int Texts);
