using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using UncertaintyService.Api.Options;
using UncertaintyService.Api.Serving;

namespace UncertaintyService.Api.Outcomes;

/// <summary>
/// Writes predictions off the request path: responses put them in a bounded channel and this service stores
/// them in batches, one transaction each. When the store falls behind and the channel is full, new predictions
/// are dropped and counted (uncertainty.outcomes.dropped), and requests are answered as usual. At shutdown it
/// stops after the inference worker and drains the channel, so nothing answered is lost. Retention runs here
/// too, at most once a minute, so deletes never contend with another writer.
/// </summary>
public sealed class PredictionWriter : IHostedService
{
    private readonly Channel<Entry> _channel;
    private readonly OutcomeStore _store;
    private readonly OutcomeOptions _options;
    private readonly ServiceTelemetry _telemetry;
    private readonly ILogger<PredictionWriter> _logger;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _retry;
    private DateTimeOffset _lastRetention = DateTimeOffset.MinValue;
    private Task _loop = Task.CompletedTask;

    // A prediction to store, or a flush request: completed once everything queued before it is stored.
    private sealed record Entry(StoredPrediction? Prediction, TaskCompletionSource? Flushed);

    public PredictionWriter(OutcomeStore store, IOptions<ServiceOptions> options, ServiceTelemetry telemetry, ILogger<PredictionWriter> logger,
        TimeProvider time)
    {
        _store = store;
        _options = options.Value.Outcomes;
        _telemetry = telemetry;
        _logger = logger;
        _time = time;
        _channel = Channel.CreateBounded<Entry>(new BoundedChannelOptions(_options.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        // A store that fails for a moment (a lock held too long, a restarted PostgreSQL) gets three more tries.
        _retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = 3,
            Delay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Exponential,
            ShouldHandle = new PredicateBuilder().Handle<System.Data.Common.DbException>(),
        }).Build();
    }

    /// <summary>Queues a prediction; false (and counted as dropped) when the writer is this far behind or stopped.</summary>
    public bool TryRecord(StoredPrediction prediction)
    {
        if (_channel.Writer.TryWrite(new Entry(prediction, null))) return true;
        _telemetry.OutcomeStoreDropped.Add(1);
        return false;
    }

    /// <summary>Completes once every prediction queued before this call is stored (or dropped by a failing store).</summary>
    public async Task Flush(CancellationToken cancellation)
    {
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _channel.Writer.WriteAsync(new Entry(null, flushed), cancellation);
        await flushed.Task.WaitAsync(cancellation);
    }

    // Not a BackgroundService: its loop is started without a cancellation token, so a stop that comes before the
    // thread pool ran it still drains what was queued instead of cancelling the loop unstarted.
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(WriteUntilCompleted, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Nothing new is accepted; what is queued is stored before this completes (or the host's shutdown timeout ends the wait).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _channel.Writer.TryComplete();
        await _loop.WaitAsync(cancellationToken);
    }

    // Reads until the channel is completed and empty.
    private async Task WriteUntilCompleted()
    {
        var batch = new List<StoredPrediction>(_options.WriteBatch);
        var flushes = new List<TaskCompletionSource>();
        while (await _channel.Reader.WaitToReadAsync())
        {
            while (batch.Count < _options.WriteBatch && _channel.Reader.TryRead(out var entry))
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
            _retry.Execute(() => _store.WritePredictions(batch));
            _telemetry.OutcomeStoreWritten.Add(batch.Count);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or IOException)
        {
            _telemetry.OutcomeStoreDropped.Add(batch.Count);
            _logger.LogError(e, "The outcome store refused {Count} predictions after retries; they are dropped", batch.Count);
        }
    }

    private void RetainNow()
    {
        var now = _time.GetUtcNow();
        if (now - _lastRetention < TimeSpan.FromMinutes(1)) return;
        _lastRetention = now;
        try
        {
            long deleted = _store.Retain((now - TimeSpan.FromHours(_options.RetentionHours)).ToUnixTimeMilliseconds(), _options.RetentionPredictions);
            if (deleted > 0) _logger.LogInformation("Retention deleted {Count} predictions and their outcomes", deleted);
        }
        catch (System.Data.Common.DbException e)
        {
            _logger.LogWarning(e, "Retention failed; it is tried again in a minute");
        }
    }
}
