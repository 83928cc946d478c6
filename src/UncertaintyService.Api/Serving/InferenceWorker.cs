using System.Diagnostics;
using Microsoft.Extensions.Options;
using UncertaintyService.Api.Options;
using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Serving;

/// <summary>
/// The one thread that runs the model. Admitted requests wait in a <see cref="WorkQueue{TJob}"/> bounded by
/// count and total cost (full: 429 at once, with Retry-After from the measured throughput); the worker
/// takes the oldest request with every waiting request that can share its forward pass, up to
/// MaxBatchPrompts, waiting at most MaxWaitMilliseconds for company, and answers each on its own
/// completion source. Before each chunk of a batch it checks that someone still wants the answer (a
/// batch whose requests all timed out or were abandoned stops within one chunk), and between the
/// chunks of a batch it first serves waiting requests of at most one chunk's cost, so a short request
/// never waits for a long one to finish. TorchSharp dispose scopes are per thread and never cross a wait.
/// </summary>
public sealed class InferenceWorker : IHostedService, IDisposable
{
    private readonly WorkQueue<InferenceJob> queue;
    private readonly BatchingOptions batching;
    private readonly ServiceTelemetry telemetry;
    private readonly ILogger<InferenceWorker> logger;
    private readonly IHostApplicationLifetime lifetime;
    private readonly CancellationTokenSource drainOver = new();
    private readonly Throughput throughput = new();
    private Thread? thread;
    private int depth;
    private long dropped;
    private long chunkStarted; // Stopwatch timestamp of the chunk in hand; 0 when idle
    private long lastRefusal;  // Stopwatch timestamp of the last 429

    public InferenceWorker(IOptions<ServiceOptions> options, ServiceTelemetry telemetry, IHostApplicationLifetime lifetime, ILogger<InferenceWorker> logger)
    {
        this.lifetime = lifetime;
        batching = options.Value.Batching;
        queue = new WorkQueue<InferenceJob>(batching.QueueCapacity, batching.MaxQueuedCost, batching.SplitByAdapter
            ? (job, first) => ReferenceEquals(job.Adapter, first.Adapter) && ReferenceEquals(job.Predictive, first.Predictive)
            : null);
        this.telemetry = telemetry;
        this.logger = logger;
        telemetry.ObserveQueue(() => Volatile.Read(ref depth), () => queue.Cost, () => ChunkAge?.TotalSeconds ?? 0, () => throughput.PerSecond);
    }

    /// <summary>Requests dropped before or during their work because their client left or their time ran out.</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    /// <summary>Requests accepted and not yet answered or dropped.</summary>
    public int QueueDepth => Volatile.Read(ref depth);

    /// <summary>How long the worker has been on its current chunk; null when idle.</summary>
    public TimeSpan? ChunkAge
    {
        get
        {
            long started = Interlocked.Read(ref chunkStarted);
            return started == 0 ? null : Stopwatch.GetElapsedTime(started);
        }
    }

    /// <summary>Why the worker cannot keep up right now (for /health/ready), or null.</summary>
    public string? Degraded
    {
        get
        {
            if (ChunkAge is { } age && age.TotalSeconds > batching.StuckSeconds)
                return $"the worker has been on one chunk for {age.TotalSeconds:F0} s (Batching:StuckSeconds {batching.StuckSeconds})";
            long refused = Interlocked.Read(ref lastRefusal);
            if (refused != 0 && Stopwatch.GetElapsedTime(refused) < TimeSpan.FromSeconds(2))
                return $"the queue refused a request in the last 2 s ({queue.Count} waiting, cost {queue.Cost:N0} of {queue.MaxCost:N0})";
            return null;
        }
    }

    /// <summary>Queues the job, or fails at once with <see cref="ErrorKind.Overloaded"/> when the queue has no room for it.</summary>
    public Task<ClassificationOutcome> Submit(ClassificationJob job)
    {
        Enqueue(job);
        return job.Completion.Task;
    }

    /// <summary>Queues a reward job, or fails at once with <see cref="ErrorKind.Overloaded"/> when the queue has no room for it.</summary>
    public Task<RewardOutcome> Submit(RewardJob job)
    {
        Enqueue(job);
        return job.Completion.Task;
    }

    // From here the worker owns the job's adapter lease: it ends it when done with the job, or now if the queue refuses it.
    private void Enqueue(InferenceJob job)
    {
        Interlocked.Increment(ref depth);
        if (queue.TryAdd(job) is { } refusal)
        {
            Interlocked.Decrement(ref depth);
            job.ReleaseAdapter();
            if (queue.IsCompleted)
                throw new ServiceException(ErrorKind.NotReady, "Shutting down", "The service is stopping; retry on another instance.");
            Interlocked.Exchange(ref lastRefusal, Stopwatch.GetTimestamp());
            telemetry.Refusals.Add(1);
            throw new ServiceException(ErrorKind.Overloaded, "Too many requests", $"No room for this request: {refusal}; retry shortly.")
            {
                RetryAfterSeconds = throughput.SecondsFor(queue.Cost + job.Cost),
            };
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(BeginDrain);
        thread = new Thread(Run) { Name = "inference-worker", IsBackground = true };
        thread.Start();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Shutdown: stops taking requests and lets the worker finish what it holds for up to
    /// Batching:DrainSeconds; after that the batch in hand stops at its next chunk and everything left
    /// is answered 503. Starts when the host begins stopping (before Kestrel waits for open requests,
    /// which this is what ends), and returns once the worker thread is done.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        BeginDrain();
        if (thread is not null) await Task.Run(thread.Join, CancellationToken.None);
    }

    private void BeginDrain()
    {
        if (queue.IsCompleted) return;
        queue.Complete();
        logger.LogInformation("Draining {Depth} requests for up to {Seconds} s", QueueDepth, batching.DrainSeconds);
        drainOver.CancelAfter(TimeSpan.FromSeconds(batching.DrainSeconds));
    }

    private void Run()
    {
        while (queue.TakeBatch(batching.MaxBatchPrompts, TimeSpan.FromMilliseconds(batching.MaxWaitMilliseconds)) is { } batch)
            RunGuarded(batch, nested: false);
    }

    // Runs one batch and answers every job in it, whatever happens; nested batches (short requests run
    // between the chunks of a long one) do not interleave further.
    private void RunGuarded(List<InferenceJob> batch, bool nested)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            if (drainOver.IsCancellationRequested)
                throw new OperationCanceledException(drainOver.Token);
            bool firstChunk = true;
            var budget = new TokenBudget(batching.ChunkTokens)
            {
                BeforeChunk = () =>
                {
                    Interlocked.Exchange(ref chunkStarted, 0);
                    if (drainOver.IsCancellationRequested)
                        throw new OperationCanceledException(drainOver.Token);
                    if (batch.All(j => j.Cancellation.IsCancellationRequested))
                        throw new OperationCanceledException("every request of the batch timed out or was abandoned");
                    if (!nested && !firstChunk)
                        ServeSmallRequests();
                    firstChunk = false;
                    Interlocked.Exchange(ref chunkStarted, Stopwatch.GetTimestamp());
                },
            };
            RunBatch(batch, budget);
            throughput.Record(batch.Sum(j => j.Cost), clock.Elapsed);
        }
        catch (OperationCanceledException) when (drainOver.IsCancellationRequested)
        {
            foreach (var job in batch)
                job.Fail(new ServiceException(ErrorKind.NotReady, "Shutting down", "The service stopped before this request could finish; retry on another instance."));
        }
        catch (OperationCanceledException)
        {
            Interlocked.Add(ref dropped, batch.Count);
            foreach (var job in batch) job.Cancel();
        }
        catch (Exception e)
        {
            logger.LogError(e, "Batch of {Jobs} requests for adapter {Adapter} failed", batch.Count, batch[0].Adapter.Id);
            foreach (var job in batch)
                job.Fail(new ServiceException(ErrorKind.Backend, "Model failure", $"The model failed on this batch: {e.Message}"));
        }
        finally
        {
            Interlocked.Exchange(ref chunkStarted, 0);
            foreach (var job in batch) job.ReleaseAdapter();
            Interlocked.Add(ref depth, -batch.Count);
        }
    }

    // Requests of at most one chunk's cost that arrived while a long batch runs go first.
    private void ServeSmallRequests()
    {
        while (queue.TakeSmall(batching.ChunkTokens, batching.MaxBatchPrompts) is { } small)
            RunGuarded(small, nested: true);
    }

    // One engine call for the whole batch, whatever its adapters, methods, labels and samples. The
    // cheapest jobs' groups go first, and each job is answered as soon as its own groups are done.
    private void RunBatch(List<InferenceJob> batch, TokenBudget budget)
    {
        // Requests whose client went away or whose time ran out are dropped before any work.
        var alive = new List<InferenceJob>();
        foreach (var job in batch)
        {
            if (job.Cancellation.IsCancellationRequested)
            {
                Interlocked.Increment(ref dropped);
                job.Cancel();
            }
            else
                alive.Add(job);
        }
        if (alive.Count == 0) return;
        alive.Sort((a, b) => a.Cost.CompareTo(b.Cost));

        var groups = new List<PredictiveGroup>();
        var owners = new List<(InferenceJob Job, int FirstGroup)>();
        foreach (var job in alive)
        {
            int first = groups.Count;
            foreach (var group in job.Groups)
            {
                owners.Add((job, first));
                groups.Add(group);
            }
        }
        var context = new BatchContext(DateTime.UtcNow, alive.Sum(j => j.TextCount));
        telemetry.BatchSize.Record(context.Texts);
        foreach (var job in alive)
            ServiceTelemetry.RecordPhase("uncertainty.queue", job.Trace, context.Started - job.SinceEnqueue.Elapsed, job.SinceEnqueue.Elapsed, job.TextCount);

        var results = new GroupMoments?[groups.Count];
        PredictiveEngine.Run(alive[0].Adapter.Base.Model, groups, budget, (index, moments, times) =>
        {
            results[index] = moments;
            var (job, first) = owners[index];
            if (job.GroupDone(results, first, context, times) == false)
                Interlocked.Increment(ref dropped);
        });
    }

    public void Dispose()
    {
        queue.Complete();
        drainOver.Dispose();
    }
}
