using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using UncertaintyService.Api.Options;
using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Serving;

/// <summary>
/// The one thread that runs the model. Requests arrive through a bounded channel (full: 429 at once);
/// the worker merges queued requests for the same adapter, method and classes into one batch up to
/// MaxBatchPrompts, waiting at most MaxWaitMilliseconds for company, then answers each on its own
/// completion source. TorchSharp dispose scopes are per thread and never cross an await here.
/// </summary>
public sealed class InferenceWorker : IHostedService, IDisposable
{
    private readonly Channel<InferenceJob> channel;
    private readonly BatchingOptions batching;
    private readonly TokenBudget budget;
    private readonly ServiceTelemetry telemetry;
    private readonly ILogger<InferenceWorker> logger;
    private readonly List<InferenceJob> deferred = [];
    private Thread? thread;
    private int depth;

    public InferenceWorker(IOptions<ServiceOptions> options, ServiceTelemetry telemetry, ILogger<InferenceWorker> logger)
    {
        batching = options.Value.Batching;
        budget = new TokenBudget(batching.ChunkTokens);
        this.telemetry = telemetry;
        this.logger = logger;
        channel = Channel.CreateBounded<InferenceJob>(new BoundedChannelOptions(batching.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        telemetry.ObserveQueueDepth(() => Volatile.Read(ref depth));
    }

    private long dropped;

    /// <summary>Requests dropped before any work because their client left or their time ran out.</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    /// <summary>Requests accepted and not yet answered or dropped.</summary>
    public int QueueDepth => Volatile.Read(ref depth);

    /// <summary>Queues the job, or fails at once with <see cref="ErrorKind.Overloaded"/> when the queue is full.</summary>
    public Task<ClassificationOutcome> Submit(ClassificationJob job)
    {
        Enqueue(job);
        return job.Completion.Task;
    }

    /// <summary>Queues a reward job, or fails at once with <see cref="ErrorKind.Overloaded"/> when the queue is full.</summary>
    public Task<RewardOutcome> Submit(RewardJob job)
    {
        Enqueue(job);
        return job.Completion.Task;
    }

    // From here the worker owns the job's adapter lease: it ends it when done with the job, or now if the queue refuses it.
    private void Enqueue(InferenceJob job)
    {
        if (!channel.Writer.TryWrite(job))
        {
            job.ReleaseAdapter();
            throw new ServiceException(ErrorKind.Overloaded, "Too many requests",
                $"The queue holds {batching.QueueCapacity} requests already; retry shortly.");
        }
        Interlocked.Increment(ref depth);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        thread = new Thread(Run) { Name = "inference-worker", IsBackground = true };
        thread.Start();
        return Task.CompletedTask;
    }

    /// <summary>Stops taking requests and drains the ones already queued before returning.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        channel.Writer.TryComplete();
        return Task.Run(() => thread?.Join(), cancellationToken);
    }

    private void Run()
    {
        while (NextBatch() is { Count: > 0 } batch)
        {
            try
            {
                RunBatch(batch);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Batch of {Jobs} requests for adapter {Adapter} failed", batch.Count, batch[0].Adapter.Id);
                foreach (var job in batch)
                    job.Fail(new ServiceException(ErrorKind.Backend, "Model failure", $"The model failed on this batch: {e.Message}"));
            }
            finally
            {
                foreach (var job in batch) job.ReleaseAdapter();
                Interlocked.Add(ref depth, -batch.Count);
            }
        }
    }

    // Blocks for the first job, then gathers compatible ones until the batch is full or the wait is over.
    private List<InferenceJob>? NextBatch()
    {
        InferenceJob first;
        if (deferred.Count > 0)
        {
            first = deferred[0];
            deferred.RemoveAt(0);
        }
        else if (!TryReadBlocking(Timeout.InfiniteTimeSpan, out first!))
            return null;

        var batch = new List<InferenceJob> { first };
        int prompts = first.TextCount;
        for (int i = 0; i < deferred.Count && prompts < batching.MaxBatchPrompts; i++)
        {
            if (deferred[i].CanShareBatchWith(first) && prompts + deferred[i].TextCount <= batching.MaxBatchPrompts)
            {
                prompts += deferred[i].TextCount;
                batch.Add(deferred[i]);
                deferred.RemoveAt(i--);
            }
        }
        var deadline = Stopwatch.StartNew();
        var wait = TimeSpan.FromMilliseconds(batching.MaxWaitMilliseconds);
        while (prompts < batching.MaxBatchPrompts)
        {
            var left = wait - deadline.Elapsed;
            if (!TryReadBlocking(left > TimeSpan.Zero ? left : TimeSpan.Zero, out var next))
                break;
            if (next.CanShareBatchWith(first) && prompts + next.TextCount <= batching.MaxBatchPrompts)
            {
                prompts += next.TextCount;
                batch.Add(next);
            }
            else
                deferred.Add(next);
        }
        return batch;
    }

    private bool TryReadBlocking(TimeSpan timeout, out InferenceJob job)
    {
        if (channel.Reader.TryRead(out job!)) return true;
        if (timeout == TimeSpan.Zero) return false;
        using var cancel = timeout == Timeout.InfiniteTimeSpan ? new CancellationTokenSource() : new CancellationTokenSource(timeout);
        try
        {
            // The only wait on this thread; no dispose scope is open here.
            while (channel.Reader.WaitToReadAsync(cancel.Token).AsTask().GetAwaiter().GetResult())
            {
                if (channel.Reader.TryRead(out job!)) return true;
            }
        }
        catch (OperationCanceledException)
        {
        }
        job = null!;
        return false;
    }

    private void RunBatch(List<InferenceJob> batch)
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
        if (alive[0] is RewardJob)
        {
            RewardBatchRunner.Run(alive.Cast<RewardJob>().ToList(), telemetry, budget);
            return;
        }
        var live = alive.Cast<ClassificationJob>().ToList();

        var first = live[0];
        var prompts = live.SelectMany(j => j.Prompts).Cast<IReadOnlyList<int>>().ToList();
        telemetry.BatchSize.Record(prompts.Count);
        var started = DateTime.UtcNow;
        foreach (var job in live)
            ServiceTelemetry.RecordPhase("uncertainty.queue", job.Trace, started - job.SinceEnqueue.Elapsed, job.SinceEnqueue.Elapsed, job.Prompts.Count);

        if (first.Adapter.Sampled.TryGetValue(first.Method, out var sampled))
        {
            RunSampled(live, sampled, prompts, started, budget);
            return;
        }
        var moments = ComputeMoments(first, prompts, budget);
        ServiceTelemetry.RecordPhase("uncertainty.forward", first.Trace, started, moments.Forward, prompts.Count);
        ServiceTelemetry.RecordPhase("uncertainty.gradients", first.Trace, started + moments.Forward, moments.Gradients + moments.Covariance, prompts.Count);

        int offset = 0;
        foreach (var job in live)
        {
            var queue = job.SinceEnqueue.Elapsed - (DateTime.UtcNow - started);
            var clock = Stopwatch.StartNew();
            var predictions = new List<ClassPrediction>(job.Prompts.Count);
            for (int i = 0; i < job.Prompts.Count; i++, offset++)
            {
                var mean = moments.Means[offset];
                var covariance = moments.Covariances[offset];
                if (mean.Any(v => !double.IsFinite(v)) || covariance.Cast<double>().Any(v => !double.IsFinite(v)))
                {
                    job.Completion.TrySetException(new ServiceException(ErrorKind.Backend, "Model failure",
                        $"prompts[{i}]: the model produced non-finite logits or covariance"));
                    offset += job.Prompts.Count - i;
                    break;
                }
                var summary = job.Method == "map"
                    ? MapPredictor.Summarise(mean)
                    : LogitPredictive.Summarise(mean, covariance, job.Samples, unchecked(job.Seed + (ulong)i));
                predictions.Add(new ClassPrediction(mean, covariance, summary));
            }
            if (job.Completion.Task.IsCompleted) continue;
            ServiceTelemetry.RecordPhase("uncertainty.sampling", job.Trace, DateTime.UtcNow - clock.Elapsed, clock.Elapsed, job.Prompts.Count);
            var timings = new PhaseTimings(queue.TotalMilliseconds, moments.Forward.TotalMilliseconds, moments.Gradients.TotalMilliseconds,
                moments.Covariance.TotalMilliseconds, clock.Elapsed.TotalMilliseconds, job.SinceEnqueue.Elapsed.TotalMilliseconds);
            job.Completion.TrySetResult(new ClassificationOutcome(predictions, timings, prompts.Count));
        }
    }

    // Sampled posteriors: the forward passes give the predictions themselves (sample moments, averaged softmax).
    private static void RunSampled(List<ClassificationJob> live, Core.Sampling.SampledPosterior posterior, List<IReadOnlyList<int>> prompts, DateTime started,
        TokenBudget budget)
    {
        var first = live[0];
        var seeds = live.SelectMany(j => j.Prompts.Select((_, i) => unchecked(j.Seed + (ulong)i))).ToList();
        var result = Core.Sampling.SampledPredictor.Predict(posterior, first.Adapter.Base.Model, prompts, first.ClassIndices, first.Samples, seeds, budget);
        ServiceTelemetry.RecordPhase("uncertainty.forward", first.Trace, started, result.Forward, prompts.Count);
        ServiceTelemetry.RecordPhase("uncertainty.sampling", first.Trace, started + result.Forward, result.Summaries, prompts.Count);
        int offset = 0;
        foreach (var job in live)
        {
            var predictions = result.Predictions.Skip(offset).Take(job.Prompts.Count).ToList();
            offset += job.Prompts.Count;
            int bad = predictions.FindIndex(p => p.LogitMean.Any(v => !double.IsFinite(v)));
            if (bad >= 0)
            {
                job.Completion.TrySetException(new ServiceException(ErrorKind.Backend, "Model failure", $"prompts[{bad}]: the model produced non-finite logits"));
                continue;
            }
            var total = job.SinceEnqueue.Elapsed;
            var timings = new PhaseTimings((total - (DateTime.UtcNow - started)).TotalMilliseconds, result.Forward.TotalMilliseconds, 0, 0,
                result.Summaries.TotalMilliseconds, total.TotalMilliseconds);
            job.Completion.TrySetResult(new ClassificationOutcome(predictions, timings, prompts.Count));
        }
    }

    private static LogitMoments ComputeMoments(ClassificationJob job, IReadOnlyList<IReadOnlyList<int>> prompts, TokenBudget budget)
    {
        if (job.Method == "laplace")
            return LaplacePredictor.Moments(job.Adapter.Laplace!, prompts, job.ClassIndices, budget);
        var clock = Stopwatch.StartNew();
        var logits = MapPredictor.Logits(job.Adapter.Base.Model, job.Adapter.Adapter, prompts, job.ClassIndices, budget);
        int c = job.ClassIndices.Length;
        return new LogitMoments(logits, logits.Select(_ => new double[c, c]).ToArray(), clock.Elapsed, TimeSpan.Zero, TimeSpan.Zero);
    }

    public void Dispose() => channel.Writer.TryComplete();
}
