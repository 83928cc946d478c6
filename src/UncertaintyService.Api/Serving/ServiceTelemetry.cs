using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace UncertaintyService.Api.Serving;

/// <summary>The service's own spans and metrics (ASP.NET Core's come from its instrumentation).</summary>
public sealed class ServiceTelemetry : IDisposable
{
    public const string Name = "UncertaintyService";

    private readonly Meter meter;

    public ServiceTelemetry(IMeterFactory meters)
    {
        meter = meters.Create(Name);
        RequestDuration = meter.CreateHistogram<double>("uncertainty.request.duration", "s",
            "Time from enqueue to answer of classification requests.");
        BatchSize = meter.CreateHistogram<int>("uncertainty.batch.size", "{prompt}", "Prompts per forward pass.");
        Requests = meter.CreateCounter<long>("uncertainty.requests", "{request}", "Requests by adapter, method and outcome.");
        Refusals = meter.CreateCounter<long>("uncertainty.queue.refusals", "{request}", "Requests refused with 429: no room in the queue.");
    }

    public static readonly ActivitySource Activities = new(Name);

    public Histogram<double> RequestDuration { get; }
    public Histogram<int> BatchSize { get; }
    public Counter<long> Requests { get; }
    public Counter<long> Refusals { get; }

    public void ObserveQueue(Func<int> depth, Func<long> cost, Func<double> chunkAge, Func<double> throughput)
    {
        meter.CreateObservableGauge("uncertainty.worker.throughput", throughput, "{token-pass}/s",
            "The worker's measured rate (moving average over batches): what Limits:MaxRequestCost and Batching:MaxQueuedCost are set against.");
        meter.CreateObservableGauge("uncertainty.queue.depth", depth, "{request}", "Requests admitted and not yet answered.");
        meter.CreateObservableGauge("uncertainty.queue.cost", cost, "{token-pass}", "Total cost of the requests waiting for the worker.");
        meter.CreateObservableGauge("uncertainty.worker.chunk_age", chunkAge, "s", "How long the worker has been on its current chunk (0 when idle).");
    }

    /// <summary>A span over a phase that already happened, parented to the request's trace.</summary>
    public static void RecordPhase(string name, ActivityContext parent, DateTime start, TimeSpan duration, int prompts)
    {
        using var activity = Activities.StartActivity(name, ActivityKind.Internal, parent, startTime: start);
        if (activity is null) return;
        activity.SetTag("uncertainty.prompts", prompts);
        activity.SetEndTime(start + duration);
    }

    public void Dispose() => meter.Dispose();
}
