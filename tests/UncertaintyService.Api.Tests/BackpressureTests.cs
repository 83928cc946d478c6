using System.Net;
using Microsoft.Extensions.DependencyInjection;
using UncertaintyService.Api.Serving;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

public class BackpressureTests : IDisposable
{
    private readonly TestModelRoot models = new(hiddenSize: 32);

    // A request heavy enough to keep the single worker busy for a while: 32 prompts x 10,000 samples.
    private static object Heavy(int seed) => new
    {
        adapter = "multiple-choice",
        prompts = Enumerable.Range(0, 32).Select(i => $"Question {seed} {i}: which letter?\nAnswer:").ToArray(),
        samples = 10_000,
        seed,
    };

    [Fact]
    public async Task FullQueueAnswers429WithRetryAfter()
    {
        await using var factory = new ServiceFactory(models, new Dictionary<string, string?>
        {
            ["UncertaintyService:Batching:QueueCapacity"] = "1",
            ["UncertaintyService:Batching:MaxBatchPrompts"] = "32",
        });
        var client = await factory.ReadyClient();
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => client.PostJson("/v1/classify", Heavy(i))));

        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        var rejected = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(rejected);
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"{r.StatusCode}"));
        foreach (var response in rejected)
        {
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
            await response.AssertProblem(429, "queue");
        }
    }

    [Fact]
    public async Task RequestPastItsTimeoutAnswers503()
    {
        await using var factory = new ServiceFactory(models, new Dictionary<string, string?>
        {
            ["UncertaintyService:RequestTimeoutSeconds"] = "0.001",
        });
        var client = await factory.ReadyClient();
        var response = await client.PostJson("/v1/classify", Heavy(1));
        await response.AssertProblem(503, "did not finish within");
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task RequestCancelledByItsClientIsDroppedBeforeAnyWork()
    {
        await using var factory = new ServiceFactory(models, new Dictionary<string, string?>
        {
            ["UncertaintyService:Batching:MaxBatchPrompts"] = "32",
        });
        var client = await factory.ReadyClient();
        var worker = factory.Services.GetRequiredService<InferenceWorker>();

        // Keep the worker busy, then queue a request and walk away from it.
        var busy = client.PostJson("/v1/classify", Heavy(1));
        await WaitUntil(() => worker.QueueDepth > 0);
        using var leave = new CancellationTokenSource();
        var abandoned = client.PostAsync("/v1/classify", Json.Body(System.Text.Json.JsonSerializer.Serialize(Heavy(2))), leave.Token);
        await WaitUntil(() => worker.QueueDepth > 1);
        leave.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);

        Assert.Equal(HttpStatusCode.OK, (await busy).StatusCode);
        await WaitUntil(() => worker.QueueDepth == 0);
        Assert.Equal(1, worker.Dropped);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("condition not reached in 30 s");
            await Task.Delay(5);
        }
    }

    public void Dispose() => models.Dispose();
}
