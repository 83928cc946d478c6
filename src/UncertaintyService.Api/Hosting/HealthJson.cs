using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace UncertaintyService.Api.Hosting;

/// <summary>The readiness report as JSON: status, description, adapters and load failures.</summary>
public static class HealthJson
{
    public static Task Write(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var entries = report.Entries.ToDictionary(e => e.Key, e => new
        {
            status = e.Value.Status.ToString(),
            description = e.Value.Description,
            data = e.Value.Data,
        });
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { status = report.Status.ToString(), checks = entries }));
    }
}
