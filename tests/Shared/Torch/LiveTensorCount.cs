using System.Runtime;
using Xunit;

namespace UncertaintyService.Tests.Shared;

/// <summary>Tests that read the process-wide live tensor count run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(LiveTensorCount), DisableParallelization = true)]
public sealed class LiveTensorCount
{
    /// <summary>
    /// How much <c>torch.Tensor.TotalCount</c> (tensors alive in the process) changes across
    /// <paramref name="action"/>. The garbage collector is held off for the measurement, after
    /// earlier garbage is finalized, so no finalizer can free a leaked tensor and hide it; fails if a
    /// collection ran anyway.
    /// </summary>
    public static async Task<long> Change(Func<Task> action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(GC.TryStartNoGCRegion(200L << 20), "could not hold off the garbage collector");
        try
        {
            GC.WaitForPendingFinalizers(); // whatever starting the region found to finalize
            long before = TorchSharp.torch.Tensor.TotalCount;
            await action();
            return TorchSharp.torch.Tensor.TotalCount - before;
        }
        finally
        {
            Assert.True(GCSettings.LatencyMode == GCLatencyMode.NoGCRegion,
                "a garbage collection ran during the measurement; finalizers could have hidden a leak");
            GC.EndNoGCRegion();
        }
    }

    /// <inheritdoc cref="Change(Func{Task})"/>
    public static long Change(Action action) => Change(() =>
    {
        action();
        return Task.CompletedTask;
    }).GetAwaiter().GetResult();
}
