using Polly;
using Polly.Retry;
using UncertaintyService.Core.SafeTensors;

namespace UncertaintyService.Api.Serving;

/// <summary>
/// How bundle loading retries: only I/O that may succeed on a second try (a busy or flaky disk, a
/// network mount), never a malformed file or a missing one, with exponential back-off.
/// </summary>
public static class LoadRetry
{
    public static ResiliencePipeline Create(int attempts, TimeSpan delay) => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<IOException>(IsTransient),
            MaxRetryAttempts = Math.Max(0, attempts - 1),
            Delay = delay,
            BackoffType = DelayBackoffType.Exponential,
        })
        .Build();

    public static bool IsTransient(IOException e) =>
        e is not (SafeTensorsFormatException or FileNotFoundException or DirectoryNotFoundException);
}
