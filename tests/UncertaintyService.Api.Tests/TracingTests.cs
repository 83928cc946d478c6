using System.Collections.Concurrent;
using System.Diagnostics;
using UncertaintyService.Api.Serving;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

public class TracingTests(SharedService service) : IClassFixture<SharedService>
{
    [Fact]
    public async Task ClassifyRecordsQueueForwardGradientsAndSamplingSpansInTheCallersTrace()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ServiceTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { if (activity.TraceId == traceId) spans.Add(activity); },
        };
        ActivitySource.AddActivityListener(listener);

        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/classify")
        {
            Content = Json.Body("""{"adapter":"yes-no","prompts":["x"],"samples":100}"""),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        var response = await service.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();

        var names = spans.Select(s => s.OperationName).ToHashSet();
        foreach (var expected in new[] { "uncertainty.queue", "uncertainty.forward", "uncertainty.gradients", "uncertainty.sampling" })
            Assert.Contains(expected, names);
        Assert.All(spans, s => Assert.True(s.Duration >= TimeSpan.Zero));
    }
}
