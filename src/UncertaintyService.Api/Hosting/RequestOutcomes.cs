using System.Diagnostics;
using UncertaintyService.Api.Serving;

namespace UncertaintyService.Api.Hosting;

/// <summary>
/// Every API request (/v1 and the compatible routes), whatever became of it, is counted once (<c>uncertainty.requests</c> by route,
/// status code, status class and error kind, with adapter and method where the request named them),
/// timed once (<c>uncertainty.request.duration</c>, buckets from 1 ms to 60 s) and logged as one
/// access line. Endpoints name the adapter and method with <see cref="Tag"/>; the exception handler
/// names the error kind.
/// </summary>
public sealed class RequestOutcomes(RequestDelegate next, ServiceTelemetry telemetry, ILogger<RequestOutcomes> logger)
{
    private const string AdapterKey = "uncertainty.adapter", MethodKey = "uncertainty.method", KindKey = "uncertainty.kind",
        PredictionIdsKey = "uncertainty.prediction_ids";

    /// <summary>Names the adapter and method a request is for, for its metrics and access line.</summary>
    public static void Tag(HttpContext context, string adapter, string method)
    {
        context.Items[AdapterKey] = adapter;
        context.Items[MethodKey] = method;
    }

    /// <summary>Names the kind of error a request ended in.</summary>
    public static void Kind(HttpContext context, ErrorKind kind) => context.Items[KindKey] = kind;

    /// <summary>The prediction ids a response carried, for the access line (so an outcome can be traced to its request).</summary>
    public static void PredictionIds(HttpContext context, IEnumerable<string?> ids) =>
        context.Items[PredictionIdsKey] = string.Join(",", ids.Where(id => id is not null));

    public async Task InvokeAsync(HttpContext context)
    {
        if (!IsApi(context.Request.Path))
        {
            await next(context);
            return;
        }
        long start = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            Record(context, Stopwatch.GetElapsedTime(start));
        }
    }

    // The service's own routes and the compatible ones; not health probes, metrics scrapes or Swagger.
    private static bool IsApi(PathString path) =>
        path.StartsWithSegments("/v1") || path.StartsWithSegments("/classify") || path.StartsWithSegments("/tei");

    private void Record(HttpContext context, TimeSpan elapsed)
    {
        int status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted
            ? StatusCodes.Status499ClientClosedRequest
            : context.Response.StatusCode;
        string route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
        string kind = context.Items[KindKey] is ErrorKind k ? k.ToString() : status < 400 ? "ok" : "framework";
        var tags = new TagList
        {
            { "route", route },
            { "method", context.Items[MethodKey] as string ?? "" },
            { "adapter", context.Items[AdapterKey] as string ?? "" },
            { "status", status },
            { "status_class", $"{status / 100}xx" },
            { "kind", kind },
        };
        telemetry.Requests.Add(1, tags);
        telemetry.RequestDuration.Record(elapsed.TotalSeconds, tags);
        logger.LogInformation("{HttpMethod} {Route} {Status} {Kind} {ElapsedMs:F1} ms adapter={Adapter} method={Method} prediction_ids={PredictionIds}",
            context.Request.Method, route, status, kind, elapsed.TotalMilliseconds, context.Items[AdapterKey] ?? "-", context.Items[MethodKey] ?? "-",
            context.Items[PredictionIdsKey] as string is { Length: > 0 } ids ? ids : "-");
    }
}
