namespace UncertaintyService.Api.Serving;

/// <summary>What the work queue needs to know of a job: its size, its cost and which jobs it can share a batch with.</summary>
public interface IBatchable<in TJob>
{
    /// <summary>Texts the job adds to a batch.</summary>
    int TextCount { get; }

    /// <summary>Token-passes the job asks of the worker (<see cref="RequestCost"/>).</summary>
    long Cost { get; }

    bool CanShareBatchWith(TJob other);
}

/// <summary>
/// The admitted requests waiting for the worker, bounded by count and by total cost (padded tokens x
/// passes). Everything waiting is in here: the worker takes a batch (the oldest job and any waiting
/// jobs that can share its forward pass) and leaves the rest in place, so no job ever waits outside
/// the bound. A request that does not fit is refused at once.
/// </summary>
/// <param name="compatible">Which waiting jobs may join a batch's first job; default: <see cref="IBatchable{TJob}.CanShareBatchWith"/>.</param>
public sealed class WorkQueue<TJob>(int capacity, long maxCost, Func<TJob, TJob, bool>? compatible = null) where TJob : class, IBatchable<TJob>
{
    private readonly Func<TJob, TJob, bool> canJoin = compatible ?? ((job, first) => job.CanShareBatchWith(first));
    private readonly LinkedList<TJob> waiting = new();
    private readonly object gate = new(); // a monitor: the worker waits on it for jobs
    private long cost;
    private bool completed;

    public int Capacity { get; } = capacity;

    public long MaxCost { get; } = maxCost;

    public int Count
    {
        get { lock (gate) return waiting.Count; }
    }

    /// <summary>Total cost of the waiting jobs.</summary>
    public long Cost
    {
        get { lock (gate) return cost; }
    }

    /// <summary>Adds the job, or says which bound it would break (null when added).</summary>
    public string? TryAdd(TJob job)
    {
        lock (gate)
        {
            if (completed) return "the service is shutting down";
            if (waiting.Count >= Capacity)
                return $"the queue holds {Capacity} requests (Batching:QueueCapacity)";
            if (cost + job.Cost > MaxCost)
                return $"the queue holds requests of cost {cost:N0} and this one costs {job.Cost:N0}; Batching:MaxQueuedCost is {MaxCost:N0}";
            waiting.AddLast(job);
            cost += job.Cost;
            Monitor.PulseAll(gate);
            return null;
        }
    }

    public bool IsCompleted
    {
        get { lock (gate) return completed; }
    }

    /// <summary>No more jobs are accepted; <see cref="TakeBatch"/> returns what is left, then null.</summary>
    public void Complete()
    {
        lock (gate)
        {
            completed = true;
            Monitor.PulseAll(gate);
        }
    }

    /// <summary>
    /// Blocks for the oldest job, then gathers waiting jobs that can share its batch up to
    /// <paramref name="maxTexts"/> texts, waiting at most <paramref name="wait"/> for more to arrive.
    /// Null once the queue is completed and empty.
    /// </summary>
    public List<TJob>? TakeBatch(int maxTexts, TimeSpan wait)
    {
        lock (gate)
        {
            while (waiting.Count == 0)
            {
                if (completed) return null;
                Monitor.Wait(gate);
            }
            var first = Remove(waiting.First!);
            var batch = new List<TJob> { first };
            int texts = first.TextCount;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var scanned = 0; // jobs already looked at; later arrivals are appended behind them
            while (true)
            {
                var node = waiting.First;
                for (int i = 0; i < scanned && node is not null; i++) node = node.Next;
                while (node is not null && texts < maxTexts)
                {
                    var next = node.Next;
                    if (canJoin(node.Value, first) && texts + node.Value.TextCount <= maxTexts)
                    {
                        texts += node.Value.TextCount;
                        batch.Add(Remove(node));
                    }
                    else
                        scanned++;
                    node = next;
                }
                var left = wait - clock.Elapsed;
                if (texts >= maxTexts || completed || left <= TimeSpan.Zero) return batch;
                Monitor.Wait(gate, left);
            }
        }
    }

    /// <summary>
    /// Without blocking: the oldest waiting job of at most <paramref name="largestCost"/> and those of
    /// at most that cost that can share its batch; null if none waits. The worker runs these between
    /// the chunks of a long batch.
    /// </summary>
    public List<TJob>? TakeSmall(long largestCost, int maxTexts)
    {
        lock (gate)
        {
            var node = waiting.First;
            while (node is not null && node.Value.Cost > largestCost) node = node.Next;
            if (node is null) return null;
            var first = node.Value;
            var batch = new List<TJob>();
            int texts = 0;
            while (node is not null && texts < maxTexts)
            {
                var next = node.Next;
                var job = node.Value;
                if (job.Cost <= largestCost && (batch.Count == 0 || canJoin(job, first)) && texts + job.TextCount <= maxTexts)
                {
                    texts += job.TextCount;
                    batch.Add(Remove(node));
                }
                node = next;
            }
            return batch;
        }
    }

    private TJob Remove(LinkedListNode<TJob> node)
    {
        waiting.Remove(node);
        cost -= node.Value.Cost;
        return node.Value;
    }
}
