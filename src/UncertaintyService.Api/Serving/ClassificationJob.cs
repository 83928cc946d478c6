using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Serving;

/// <summary>How much of the logit covariance a response carries.</summary>
public enum CovarianceMode
{
    Full,
    Diag,
    None,
}

/// <summary>One validated request as the worker sees it: token ids, class indices and options; no HTTP types.</summary>
public sealed class ClassificationJob(
    AdapterLease lease,
    string method,
    IReadOnlyList<int[]> prompts,
    IReadOnlyList<string> labels,
    long[] classIndices,
    int samples,
    ulong seed,
    CancellationToken cancellation) : InferenceJob(lease, method, cancellation)
{
    public IReadOnlyList<int[]> Prompts { get; } = prompts;
    public IReadOnlyList<string> Labels { get; } = labels;
    public long[] ClassIndices { get; } = classIndices;
    public int Samples { get; } = samples;
    public ulong Seed { get; } = seed;
    public TaskCompletionSource<ClassificationOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override int TextCount => Prompts.Count;

    public override long Cost { get; } =
        RequestCost.Of(prompts, RequestCost.Passes(method, classIndices.Length, samples, lease.Adapter.Sampled.ContainsKey(method)));

    /// <summary>
    /// Jobs share a forward pass when they read the same adapter version, method and classes (and, for
    /// sampled methods, the same number of samples, which sets the rows per prompt).
    /// </summary>
    public override bool CanShareBatchWith(InferenceJob other) => other is ClassificationJob job &&
        ReferenceEquals(Adapter, job.Adapter) && Method == job.Method && ClassIndices.AsSpan().SequenceEqual(job.ClassIndices)
        && (!Adapter.Sampled.ContainsKey(Method) || Samples == job.Samples);

    public override void Fail(Exception error) => Completion.TrySetException(error);

    public override void Cancel() => Completion.TrySetCanceled(Cancellation);
}

/// <summary>The worker's answer: one prediction per prompt and where the time went.</summary>
public sealed record ClassificationOutcome(IReadOnlyList<ClassPrediction> Predictions, PhaseTimings Timings, int BatchPrompts);

/// <summary>Milliseconds per phase of one request.</summary>
public sealed record PhaseTimings(double Queue, double Forward, double Gradients, double Covariance, double Sampling, double Total);
