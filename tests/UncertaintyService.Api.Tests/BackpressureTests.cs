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
            Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            await response.AssertProblem(429, "QueueCapacity");
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

    // Settings under which a sampled request runs as hundreds of small chunks.
    private static Dictionary<string, string?> SmallChunks(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["UncertaintyService:Limits:MaxPromptTokens"] = "64",
            ["UncertaintyService:Batching:ChunkTokens"] = "128",
            // LongSampled costs ~110,000 token-passes, above the default limit.
            ["UncertaintyService:Limits:MaxRequestCost"] = "200000",
            ["UncertaintyService:Batching:MaxQueuedCost"] = "400000",
        };
        foreach (var (key, value) in more) settings["UncertaintyService:" + key] = value;
        return settings;
    }

    // 32 prompts x 64 MC-dropout samples of ~55 tokens: 2,048 forward rows, two per chunk.
    private static object LongSampled(int seed, int prompts = 32) => new
    {
        adapter = "yes-no",
        method = "mc_dropout",
        samples = 64,
        prompts = Enumerable.Range(0, prompts).Select(i => $"Question {seed} {i}: is this sentence, which goes on for quite a while so that it is long enough to fill most of the sixty-four tokens a prompt may have here, true?").ToArray(),
        seed,
    };

    [Fact]
    public async Task ARequestAboveTheCostLimitIs422NamingTheLimitAndTheCost()
    {
        await using var factory = new ServiceFactory(models, new Dictionary<string, string?> { ["UncertaintyService:Limits:MaxRequestCost"] = "1000" });
        var client = await factory.ReadyClient();
        var problem = await (await client.PostJson("/v1/classify", LongSampled(1))).AssertProblem(422, "cost", "MaxRequestCost is 1,000");
        Assert.Contains("token-passes", problem["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = new[] { "Is it?" } })).StatusCode);
    }

    [Fact]
    public async Task AQueueFullByCostAnswers429AtOnceAndReadinessSaysDegraded()
    {
        await using var factory = new ServiceFactory(models, SmallChunks(("Limits:MaxRequestCost", "150000"), ("Batching:MaxQueuedCost", "150000")));
        var client = await factory.ReadyClient();
        var worker = factory.Services.GetRequiredService<InferenceWorker>();

        var running = client.PostJson("/v1/classify", LongSampled(1));
        await WaitUntil(() => worker.ChunkAge is not null);
        var waiting = client.PostJson("/v1/classify", LongSampled(2));
        await WaitUntil(() => worker.QueueDepth == 2);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var refused = await client.PostJson("/v1/classify", LongSampled(3));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"refused after {clock.Elapsed}");
        await refused.AssertProblem(429, "MaxQueuedCost");
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));

        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("Degraded", await ready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await running).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await waiting).StatusCode);
    }

    [Fact]
    public async Task AShortRequestIsServedBetweenTheChunksOfALongOne()
    {
        await using var factory = new ServiceFactory(models, SmallChunks());
        var client = await factory.ReadyClient();
        var worker = factory.Services.GetRequiredService<InferenceWorker>();

        var running = client.PostJson("/v1/classify", LongSampled(1));
        await WaitUntil(() => worker.ChunkAge is not null);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var small = await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = new[] { "Is it?" }, method = "map" });
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.False(running.IsCompleted, $"the long request finished before the short one ({clock.Elapsed})");
        Assert.Equal(HttpStatusCode.OK, (await running).StatusCode);
    }

    [Fact]
    public async Task ARequestPastItsTimeoutStopsUsingTheWorkerWithinAChunk()
    {
        // Four times the usual long request (~440,000 token-passes, several seconds of work), so the 1 s
        // deadline falls far from its last chunk: a job whose last chunk ends just after its deadline is
        // answered, not dropped, and would make this test depend on the machine's speed.
        await using var factory = new ServiceFactory(models, SmallChunks(("RequestTimeoutSeconds", "1"),
            ("Limits:MaxPromptsPerRequest", "128"), ("Limits:MaxRequestCost", "500000"), ("Batching:MaxQueuedCost", "500000")));
        var client = await factory.ReadyClient();
        var worker = factory.Services.GetRequiredService<InferenceWorker>();

        await (await client.PostJson("/v1/classify", LongSampled(1, prompts: 128))).AssertProblem(503, "did not finish within 1 s");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await WaitUntil(() => worker.QueueDepth == 0);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the worker went on for {clock.Elapsed}");
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
