using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using UncertaintyService.Api.Options;
using UncertaintyService.Api.Serving;
using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Api.Outcomes;

/// <summary>One method's live calibration: the window's outcomes scored, beside the offline test split, with the drift judgement.</summary>
public sealed record MethodCalibration(string Adapter, string Method, int Outcomes, long Predictions, CalibrationMetrics? Live, CalibrationMetrics? Offline,
    LiveCalibration.Drift Drift);

/// <summary>
/// Recomputes live calibration of every adapter and method with outcomes in the window every
/// <c>Outcomes:EvaluateSeconds</c>: the gauges read the latest values, a drift flag that turns on or off is logged
/// once (warning / information), and the adapters flagged are listed in /health/ready's data (without changing
/// readiness: a model serving badly calibrated probabilities still serves). The endpoint computes the same thing on demand.
/// </summary>
public sealed class LiveCalibrationMonitor : BackgroundService
{
    private readonly OutcomeStore _store;
    private readonly AdapterRegistry _registry;
    private readonly OutcomeOptions _options;
    private readonly ILogger<LiveCalibrationMonitor> _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string Adapter, string Method), MethodCalibration> _latest = new();

    public LiveCalibrationMonitor(OutcomeStore store, AdapterRegistry registry, IOptions<ServiceOptions> options, ServiceTelemetry telemetry,
        ILogger<LiveCalibrationMonitor> logger, TimeProvider time)
    {
        _store = store;
        _registry = registry;
        _options = options.Value.Outcomes;
        _logger = logger;
        _time = time;
        telemetry.ObserveLiveCalibration(Measurements);
    }

    /// <summary>"adapter/method" of every method whose drift flag is on, as last computed.</summary>
    public IReadOnlyList<string> Drifting => _latest.Values.Where(c => c.Drift.Flag).Select(c => $"{c.Adapter}/{c.Method}").Order().ToList();

    /// <summary>Live calibration of one method of a loaded adapter, now.</summary>
    public MethodCalibration Evaluate(LoadedAdapter adapter, string method)
    {
        long since = (_time.GetUtcNow() - TimeSpan.FromHours(_options.WindowHours)).ToUnixTimeMilliseconds();
        var rows = _store.Window(adapter.Id, method, since, _options.WindowOutcomes);
        var offline = adapter.Calibration?.Splits.GetValueOrDefault("test")?.GetValueOrDefault(method);
        return new MethodCalibration(adapter.Id, method, rows.Count, _store.CountPredictions(adapter.Id, method, since), LiveCalibration.Metrics(rows), offline,
            LiveCalibration.Judge(rows, offline?.Ece, _options.DriftMargin, _options.DriftMinOutcomes));
    }

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.EvaluateSeconds), _time);
        while (await timer.WaitForNextTickAsync(stopping))
        {
            try
            {
                EvaluateAll();
            }
            catch (System.Data.Common.DbException e)
            {
                _logger.LogWarning(e, "Live calibration could not read the outcome store; it is tried again in {Seconds} s", _options.EvaluateSeconds);
            }
        }
    }

    /// <summary>One round over every adapter and method with outcomes in the window (the timer calls it; tests may too).</summary>
    public void EvaluateAll()
    {
        long since = (_time.GetUtcNow() - TimeSpan.FromHours(_options.WindowHours)).ToUnixTimeMilliseconds();
        var seen = new HashSet<(string, string)>();
        foreach (var (adapterId, method) in _store.ScoredMethods(since))
        {
            if (_registry.Find(adapterId) is not { } adapter || !adapter.Predictives.ContainsKey(method)) continue;
            var result = Evaluate(adapter, method);
            seen.Add((adapterId, method));
            bool was = _latest.TryGetValue((adapterId, method), out var previous) && previous.Drift.Flag;
            _latest[(adapterId, method)] = result;
            if (result.Drift.Flag && !was)
                _logger.LogWarning("Calibration drift on {Adapter}/{Method}: {Reason} ({Outcomes} outcomes)", adapterId, method, result.Drift.Reason, result.Outcomes);
            else if (!result.Drift.Flag && was)
                _logger.LogInformation("Calibration drift cleared on {Adapter}/{Method}: {Reason}", adapterId, method, result.Drift.Reason);
        }
        foreach (var key in _latest.Keys.Where(k => !seen.Contains(k)).ToList()) _latest.TryRemove(key, out _);
    }

    private IEnumerable<Measurement<double>> Measurements()
    {
        foreach (var c in _latest.Values)
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
