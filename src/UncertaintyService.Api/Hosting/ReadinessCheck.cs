using Microsoft.Extensions.Diagnostics.HealthChecks;
using UncertaintyService.Api.Serving;

namespace UncertaintyService.Api.Hosting;

/// <summary>
/// Ready when loading finished and a one-token forward pass worked; degraded while the queue refuses
/// requests or the worker is stuck on a chunk (so a load balancer sends traffic elsewhere); reports
/// load failures either way, and the adapter/method pairs whose live calibration has drifted.
/// </summary>
public sealed class ReadinessCheck(AdapterRegistry registry, InferenceWorker worker, IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = registry.Current;
        var data = new Dictionary<string, object>
        {
            ["adapters"] = snapshot.Adapters.Keys.ToArray(),
            ["failures"] = snapshot.Failures.Select(f => $"{f.What}: {f.Problem}").ToArray(),
            ["queue_depth"] = worker.QueueDepth,
        };
        // Drift is reported, not acted on: the probabilities are less trustworthy, the service still answers.
        if (services.GetService<Outcomes.LiveCalibrationMonitor>() is { } monitor) data["calibration_drift"] = monitor.Drifting.ToArray();
        // Still loading is not a failure (Degraded: 503 to probes, and not logged as an error); failing to load any adapter is.
        if (!registry.Ready)
            return Task.FromResult(snapshot.Failures.IsEmpty
                ? HealthCheckResult.Degraded("loading models", data: data)
                : HealthCheckResult.Unhealthy("no adapter could be loaded", data: data));
        return Task.FromResult(worker.Degraded is { } reason
            ? HealthCheckResult.Degraded(reason, data: data)
            : HealthCheckResult.Healthy($"{snapshot.Adapters.Count} adapters served", data));
    }
}
