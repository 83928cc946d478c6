using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using UncertaintyService.Api.Options;
using UncertaintyService.Api.Serving;
using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Api.Outcomes;

/// <summary>One method's live calibration: the window's outcomes scored, beside the offline test split, with the drift judgement.</summary>
/// <param name="Predictions">Predictions made in the window's hours, and how many of them have an outcome.</param>
public sealed record MethodCalibration(string Adapter, string Method, int Outcomes, (long Made, long WithOutcome) Predictions, CalibrationMetrics? Live, CalibrationMetrics? Offline,
    LiveCalibration.Drift Drift);

/// <summary>
/// Recomputes live calibration of every adapter and method with outcomes in the window every
/// <c>Outcomes:EvaluateSeconds</c>: the gauges read the latest values, a drift flag that turns on or off is logged
/// once (warning / information), and the adapters flagged are listed in /health/ready's data (without changing
/// readiness: a model serving badly calibrated probabilities still serves). The endpoint computes the same thing on demand.
/// </summary>
public sealed class LiveCalibrationMonitor : BackgroundService
{
    private readonly OutcomeStore store;
    private readonly AdapterRegistry registry;
    private readonly OutcomeOptions options;
    private readonly ILogger<LiveCalibrationMonitor> logger;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<(string Adapter, string Method), MethodCalibration> latest = new();

    public LiveCalibrationMonitor(OutcomeStore store, AdapterRegistry registry, IOptions<ServiceOptions> options, ServiceTelemetry telemetry,
        ILogger<LiveCalibrationMonitor> logger, TimeProvider time)
    {
        this.store = store;
        this.registry = registry;
        this.options = options.Value.Outcomes;
        this.logger = logger;
        this.time = time;
        telemetry.ObserveLiveCalibration(Measurements);
    }

    /// <summary>"adapter/method" of every method whose drift flag is on, as last computed.</summary>
    public IReadOnlyList<string> Drifting => latest.Values.Where(c => c.Drift.Flag).Select(c => $"{c.Adapter}/{c.Method}").Order().ToList();

    /// <summary>Live calibration of one method of a loaded adapter, now.</summary>
    public MethodCalibration Evaluate(LoadedAdapter adapter, string method)
    {
        long since = (time.GetUtcNow() - TimeSpan.FromHours(options.WindowHours)).ToUnixTimeMilliseconds();
        var rows = store.Window(adapter.Id, method, since, options.WindowOutcomes);
        var offline = adapter.Calibration?.Splits.GetValueOrDefault("test")?.GetValueOrDefault(method);
        return new MethodCalibration(adapter.Id, method, rows.Count, store.CountPredictions(adapter.Id, method, since), LiveCalibration.Metrics(rows), offline,
            LiveCalibration.Judge(rows, offline?.Ece, options.DriftMargin, options.DriftMinOutcomes));
    }

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.EvaluateSeconds), time);
        while (await timer.WaitForNextTickAsync(stopping))
        {
            try
            {
                EvaluateAll();
            }
            catch (System.Data.Common.DbException e)
            {
                logger.LogWarning(e, "Live calibration could not read the outcome store; it is tried again in {Seconds} s", options.EvaluateSeconds);
            }
        }
    }

    /// <summary>One round over every adapter and method with outcomes in the window (the timer calls it; tests may too).</summary>
    public void EvaluateAll()
    {
        long since = (time.GetUtcNow() - TimeSpan.FromHours(options.WindowHours)).ToUnixTimeMilliseconds();
        var seen = new HashSet<(string, string)>();
        foreach (var (adapterId, method) in store.ScoredMethods(since))
        {
            if (registry.Find(adapterId) is not { } adapter || !adapter.Predictives.ContainsKey(method)) continue;
            var result = Evaluate(adapter, method);
            seen.Add((adapterId, method));
            bool was = latest.TryGetValue((adapterId, method), out var previous) && previous.Drift.Flag;
            latest[(adapterId, method)] = result;
            if (result.Drift.Flag && !was)
                logger.LogWarning("Calibration drift on {Adapter}/{Method}: {Reason} ({Outcomes} outcomes)", adapterId, method, result.Drift.Reason, result.Outcomes);
            else if (!result.Drift.Flag && was)
                logger.LogInformation("Calibration drift cleared on {Adapter}/{Method}: {Reason}", adapterId, method, result.Drift.Reason);
        }
        foreach (var key in latest.Keys.Where(k => !seen.Contains(k)).ToList()) latest.TryRemove(key, out _);
    }

    private IEnumerable<Measurement<double>> Measurements()
    {
        foreach (var c in latest.Values)
        {
            KeyValuePair<string, object?> adapter = new("adapter", c.Adapter), method = new("method", c.Method);
            yield return new(c.Drift.Flag ? 1 : 0, adapter, method, new("metric", "drift"));
            yield return new(c.Outcomes, adapter, method, new("metric", "n"));
            if (c.Live is not { } live) continue;
            yield return new(live.Acc, adapter, method, new("metric", "acc"));
            yield return new(live.Ece, adapter, method, new("metric", "ece"));
            yield return new(live.Nll, adapter, method, new("metric", "nll"));
            yield return new(live.Brier, adapter, method, new("metric", "brier"));
        }
    }
}
