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
            "Time from arrival to answer of every /v1 request, by route, status and kind.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        BatchSize = meter.CreateHistogram<int>("uncertainty.batch.size", "{prompt}", "Prompts per forward pass.");
        Requests = meter.CreateCounter<long>("uncertainty.requests", "{request}",
            "Every /v1 request once: by route, adapter, method, status, status class (2xx, 4xx, 5xx) and kind (ok, Validation, Overloaded, ClientClosed, ...).");
        Refusals = meter.CreateCounter<long>("uncertainty.queue.refusals", "{request}", "Requests refused with 429: no room in the queue.");
        OutcomeStoreWritten = meter.CreateCounter<long>("uncertainty.outcomes.written", "{prediction}", "Predictions stored for live calibration.");
        OutcomeStoreDropped = meter.CreateCounter<long>("uncertainty.outcomes.dropped", "{prediction}",
            "Predictions not stored: the writer was Outcomes:QueueCapacity behind, stopped, or the store refused them after retries.");
    }

    public static readonly ActivitySource Activities = new(Name);

    /// <summary>Request-duration buckets in seconds, 1 ms to 60 s (a MAP answer takes milliseconds, a heavy Laplace one seconds).</summary>
    public static readonly double[] DurationBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60];

    public Histogram<double> RequestDuration { get; }
    public Histogram<int> BatchSize { get; }
    public Counter<long> Requests { get; }
    public Counter<long> Refusals { get; }
    public Counter<long> OutcomeStoreWritten { get; }
    public Counter<long> OutcomeStoreDropped { get; }

    /// <summary>Live calibration per adapter and method (accuracy, ECE, NLL, Brier, outcomes in the window, drift 0 or 1), read at each scrape.</summary>
    public void ObserveLiveCalibration(Func<IEnumerable<Measurement<double>>> values) =>
        meter.CreateObservableGauge("uncertainty.calibration.live", values, null,
            "Live calibration over the outcome window, by adapter, method and metric (acc, ece, nll, brier, n, drift).");

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
