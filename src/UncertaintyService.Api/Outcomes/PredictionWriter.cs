using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Polly;
using UncertaintyService.Api.Options;
using UncertaintyService.Api.Serving;

namespace UncertaintyService.Api.Outcomes;

/// <summary>
/// Writes predictions off the request path: responses put them in a bounded channel and this service stores
/// them in batches, one transaction each. When the store falls behind and the channel is full, new predictions
/// are dropped and counted (uncertainty.outcomes.dropped), and requests are answered as usual. At shutdown it
/// stops after the inference worker and drains the channel, so nothing answered is lost. Retention runs here
/// too, at most once a minute, so its deletes never run beside this writer's inserts.
/// </summary>
public sealed class PredictionWriter : IHostedService
{
    private readonly Channel<Entry> channel;
    private readonly OutcomeStore store;
    private readonly OutcomeOptions options;
    private readonly ServiceTelemetry telemetry;
    private readonly ILogger<PredictionWriter> logger;
    private readonly TimeProvider time;
    private readonly ResiliencePipeline retry;
    private DateTimeOffset lastRetention = DateTimeOffset.MinValue;
    private Task loop = Task.CompletedTask;

    // A prediction to store, or a flush request: completed once everything queued before it is stored.
    private sealed record Entry(StoredPrediction? Prediction, TaskCompletionSource? Flushed);

    public PredictionWriter(OutcomeStore store, IOptions<ServiceOptions> options, ServiceTelemetry telemetry, ILogger<PredictionWriter> logger,
        TimeProvider time)
    {
        this.store = store;
        this.options = options.Value.Outcomes;
        this.telemetry = telemetry;
        this.logger = logger;
        this.time = time;
        channel = Channel.CreateBounded<Entry>(new BoundedChannelOptions(this.options.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        // A store that fails for a moment (a lock held too long, a restarted PostgreSQL) gets three more tries.
        retry = TransientRetry.Create(4, TimeSpan.FromMilliseconds(200), e => e is System.Data.Common.DbException);
    }

    /// <summary>Queues a prediction; false (and counted as dropped) when the writer is this far behind or stopped.</summary>
    public bool TryRecord(StoredPrediction prediction)
    {
        if (channel.Writer.TryWrite(new Entry(prediction, null))) return true;
        telemetry.OutcomeStoreDropped.Add(1);
        return false;
    }

    /// <summary>Completes once every prediction queued before this call is stored (or dropped by a failing store).</summary>
    public async Task Flush(CancellationToken cancellation)
    {
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await channel.Writer.WriteAsync(new Entry(null, flushed), cancellation);
        await flushed.Task.WaitAsync(cancellation);
    }

    // Not a BackgroundService: its loop is started without a cancellation token, so a stop that comes before the
    // thread pool ran it still drains what was queued instead of cancelling the loop unstarted.
    public Task StartAsync(CancellationToken cancellationToken)
    {
        loop = Task.Run(WriteUntilCompleted, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Nothing new is accepted; what is queued is stored before this completes (or the host's shutdown timeout ends the wait).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        channel.Writer.TryComplete();
        await loop.WaitAsync(cancellationToken);
    }

    // Reads until the channel is completed and empty.
    private async Task WriteUntilCompleted()
    {
        var batch = new List<StoredPrediction>(options.WriteBatch);
        var flushes = new List<TaskCompletionSource>();
        while (await channel.Reader.WaitToReadAsync())
        {
            while (batch.Count < options.WriteBatch && channel.Reader.TryRead(out var entry))
            {
                if (entry.Prediction is not null) batch.Add(entry.Prediction);
                else flushes.Add(entry.Flushed!);
            }
            Store(batch);
            foreach (var flushed in flushes) flushed.TrySetResult();
            batch.Clear();
            flushes.Clear();
            RetainNow();
        }
    }

    private void Store(List<StoredPrediction> batch)
    {
        if (batch.Count == 0) return;
        try
        {
            retry.Execute(() => store.WritePredictions(batch));
            telemetry.OutcomeStoreWritten.Add(batch.Count);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or IOException)
        {
            telemetry.OutcomeStoreDropped.Add(batch.Count);
            logger.LogError(e, "The outcome store refused {Count} predictions after retries; they are dropped", batch.Count);
        }
    }

    private void RetainNow()
    {
        var now = time.GetUtcNow();
        if (now - lastRetention < TimeSpan.FromMinutes(1)) return;
        lastRetention = now;
        try
        {
            long deleted = store.Retain((now - TimeSpan.FromHours(options.RetentionHours)).ToUnixTimeMilliseconds(), options.RetentionPredictions);
            if (deleted > 0) logger.LogInformation("Retention deleted {Count} predictions and their outcomes", deleted);
        }
        catch (System.Data.Common.DbException e)
        {
            logger.LogWarning(e, "Retention failed; it is tried again in a minute");
        }
    }
}
