using System.Diagnostics;
using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Api.Serving;

/// <summary>
/// What every request the inference worker runs has in common: the adapter version it reads (leased,
/// so an unload cannot free it mid-request), how many texts it puts into a forward pass, its
/// cancellation, its trace and its time in the queue. No HTTP types.
/// </summary>
public abstract class InferenceJob(AdapterLease lease, string method, CancellationToken cancellation) : IBatchable<InferenceJob>
{
    public LoadedAdapter Adapter => lease.Adapter;
    public string Method { get; } = method;
    public CancellationToken Cancellation { get; } = cancellation;
    public ActivityContext Trace { get; } = Activity.Current?.Context ?? default;
    public Stopwatch SinceEnqueue { get; } = Stopwatch.StartNew();

    /// <summary>Texts this job adds to a batch (a reward pair counts two).</summary>
    public abstract int TextCount { get; }

    /// <summary>Token-passes this job asks of the worker (<see cref="RequestCost"/>).</summary>
    public abstract long Cost { get; }

    /// <summary>Whether the two jobs can share one forward pass.</summary>
    public abstract bool CanShareBatchWith(InferenceJob other);

    public abstract void Fail(Exception error);

    public abstract void Cancel();

    /// <summary>Ends the job's hold on its adapter version: called once the worker is done with it, or when it was never queued.</summary>
    public void ReleaseAdapter() => lease.Dispose();
}
