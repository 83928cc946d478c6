using Polly;
using Polly.Retry;

namespace UncertaintyService.Api.Serving;

/// <summary>
/// The one retry policy shape of the service: up to <c>attempts</c> tries with exponential back-off from
/// <c>delay</c>, for the failures the caller calls transient (bundle I/O, the outcome store).
/// </summary>
public static class TransientRetry
{
    public static ResiliencePipeline Create(int attempts, TimeSpan delay, Func<Exception, bool> isTransient) => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && isTransient(e)),
            MaxRetryAttempts = Math.Max(0, attempts - 1),
            Delay = delay,
            BackoffType = DelayBackoffType.Exponential,
        })
        .Build();
}
