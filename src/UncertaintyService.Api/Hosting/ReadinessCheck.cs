using Microsoft.Extensions.Diagnostics.HealthChecks;
using UncertaintyService.Api.Serving;

namespace UncertaintyService.Api.Hosting;

/// <summary>Ready when loading finished and a one-token forward pass worked; reports load failures either way.</summary>
public sealed class ReadinessCheck(AdapterRegistry registry) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = registry.Current;
        var data = new Dictionary<string, object>
        {
            ["adapters"] = snapshot.Adapters.Keys.ToArray(),
            ["failures"] = snapshot.Failures.Select(f => $"{f.What}: {f.Problem}").ToArray(),
        };
        return Task.FromResult(registry.Ready
            ? HealthCheckResult.Healthy($"{snapshot.Adapters.Count} adapters served", data)
            : HealthCheckResult.Unhealthy(snapshot.Failures.IsEmpty ? "loading models" : "no adapter could be loaded", data: data));
    }
}
