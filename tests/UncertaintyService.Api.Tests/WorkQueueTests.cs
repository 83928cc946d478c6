using UncertaintyService.Api.Serving;

namespace UncertaintyService.Api.Tests;

public class WorkQueueTests
{
    // A job of the queue's interface: jobs of the same group can share a batch.
    private sealed record Job(string Group, int TextCount, long Cost) : IBatchable<Job>
    {
        public bool CanShareBatchWith(Job other) => Group == other.Group;
    }

    private static readonly TimeSpan NoWait = TimeSpan.Zero;

    [Fact]
    public void RefusesWhatWouldBreakTheCountOrTheCostBound()
    {
        var queue = new WorkQueue<Job>(capacity: 3, maxCost: 100);
        Assert.Null(queue.TryAdd(new Job("a", 1, 60)));
        Assert.Contains("MaxQueuedCost is 100", queue.TryAdd(new Job("a", 1, 41)));
        Assert.Null(queue.TryAdd(new Job("a", 1, 40)));
        Assert.Null(queue.TryAdd(new Job("a", 1, 0)));
        Assert.Contains("QueueCapacity", queue.TryAdd(new Job("a", 1, 0)));
        Assert.Equal((3, 100L), (queue.Count, queue.Cost));

        queue.TakeBatch(maxTexts: 1, NoWait);
        Assert.Equal((2, 40L), (queue.Count, queue.Cost));
        Assert.Null(queue.TryAdd(new Job("a", 1, 60)));
    }

    [Fact]
    public void ABatchTakesTheOldestJobAndItsCompanionsAndLeavesTheRestInOrder()
    {
        var queue = new WorkQueue<Job>(10, 1000);
        Job a1 = new("a", 2, 1), b1 = new("b", 2, 1), a2 = new("a", 2, 1), b2 = new("b", 2, 1), a3 = new("a", 2, 1);
        foreach (var job in new[] { a1, b1, a2, b2, a3 }) queue.TryAdd(job);

        Assert.Equal([a1, a2], queue.TakeBatch(maxTexts: 4, NoWait)!);
        Assert.Equal([b1, b2], queue.TakeBatch(maxTexts: 4, NoWait)!);
        Assert.Equal([a3], queue.TakeBatch(maxTexts: 4, NoWait)!);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task ABatchWaitsForCompanyUpToItsWaitThenCompletionEndsTheQueue()
    {
        var queue = new WorkQueue<Job>(10, 1000);
        queue.TryAdd(new Job("a", 1, 1));
        var arriving = Task.Run(async () =>
        {
            await Task.Delay(50);
            queue.TryAdd(new Job("b", 1, 1));
            queue.TryAdd(new Job("a", 1, 1));
        });
        var batch = queue.TakeBatch(maxTexts: 2, TimeSpan.FromSeconds(5))!;
        await arriving;
        Assert.Equal(["a", "a"], batch.Select(j => j.Group));

        queue.Complete();
        Assert.Contains("shutting down", queue.TryAdd(new Job("c", 1, 1)));
        Assert.Equal("b", Assert.Single(queue.TakeBatch(2, NoWait)!).Group);
        Assert.Null(queue.TakeBatch(2, NoWait));
    }

    [Fact]
    public void SmallJobsCanBeTakenPastALargeOne()
    {
        var queue = new WorkQueue<Job>(10, 1000);
        Job large = new("a", 1, 500), small1 = new("b", 1, 10), small2 = new("b", 1, 20), other = new("c", 1, 5);
        foreach (var job in new[] { large, small1, small2, other }) queue.TryAdd(job);

        Assert.Equal([small1, small2], queue.TakeSmall(largestCost: 100, maxTexts: 8)!);
        Assert.Equal([other], queue.TakeSmall(100, 8)!);
        Assert.Null(queue.TakeSmall(100, 8));
        Assert.Equal([large], queue.TakeBatch(8, NoWait)!);
    }
}
