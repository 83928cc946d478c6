using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using UncertaintyService.Api.Outcomes;
using UncertaintyService.Api.Tests.Support;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Api.Tests.Outcomes;

/// <summary>
/// What every outcome store must do, run against SQLite as shipped and a real PostgreSQL server: the same
/// tests, the same numbers. Streams of predictions are drawn from a chosen reliability curve, so the live
/// calibration has a known answer besides the direct computation it must equal.
/// </summary>
public abstract class OutcomeStoreContract
{
    protected abstract OutcomeStore NewStore();

    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void MigrationsAreAppliedOnceInOrderAndANewerSchemaIsRefused()
    {
        var store = NewStore();

        Assert.Equal([1], store.Migrate());
        Assert.Empty(store.Migrate());
        Assert.Equal([1], StoreMigrations.Applied(store.Dialect));

        using (var connection = store.Dialect.Connect())
            StoreMigrations.Execute(connection, null, "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (99, 0)");
        var refused = Assert.Throws<InvalidOperationException>(() => store.Migrate());
        Assert.Contains("schema version 99, newer than this build's 1", refused.Message);
    }

    [Fact]
    public void LiveCalibrationOfAStreamFromAKnownReliabilityCurveIsTheDirectComputationOfTheNewestWindow()
    {
        var store = Migrated();
        // 1,500 binary predictions, confidence uniform in [0.5, 1), right with probability confidence^2 (over-confident).
        var stream = Stream(1500, seed: 1, accuracyAt: c => c * c);
        Write(store, stream);

        var window = store.Window("spam", "laplace", 0, maxOutcomes: 1000);
        var live = LiveCalibration.Metrics(window)!;

        // Newest first, exactly the last 1,000 outcomes.
        Assert.Equal(stream.TakeLast(1000).Reverse().Select(s => s.Outcome.CreatedAtMs), window.Select(w => w.OutcomeAtMs));
        var newest = stream.TakeLast(1000).ToList();
        var direct = CalibrationMetricsCalculator.Compute(newest.Select(s => s.Prediction.Probabilities).ToArray(),
            newest.Select(s => s.Outcome.Label).ToArray(), 15, newest.Select(s => s.Prediction.Predicted).ToArray());
        Assert.Equal(direct.Acc, live.Acc, 12);
        Assert.Equal(direct.Ece, live.Ece, 12);
        Assert.Equal(direct.Nll, live.Nll, 12);
        Assert.Equal(direct.Brier, live.Brier, 12);
        Assert.Equal(direct.Bins!.Select(b => b.Count), live.Bins!.Select(b => b.Count));
        // Sums in another order (newest first): equal to the last bits.
        Assert.All(direct.Bins!.Zip(live.Bins!), pair =>
        {
            Assert.Equal(pair.First.Accuracy, pair.Second.Accuracy, 12);
            Assert.Equal(pair.First.Confidence, pair.Second.Confidence, 12);
        });
        // And the curve shows: E[c - c^2] over c ~ U(0.5, 1) = 0.75 - 7/12 = 0.1667; accuracy E[c^2] = 7/12.
        Assert.InRange(live.Ece, 0.13, 0.21);
        Assert.InRange(live.Acc, 7.0 / 12 - 0.05, 7.0 / 12 + 0.05);
        // Other adapters' and methods' outcomes and older ones stay out.
        Assert.Empty(store.Window("spam", "map", 0, 1000));
        Assert.Equal(10, store.Window("spam", "laplace", stream[^10].Outcome.CreatedAtMs, 1000).Count);
        Assert.Equal((1500L, 1500L), store.CountPredictions("spam", "laplace", 0));
        store.WritePredictions([stream[0].Prediction with { Id = PredictionIds.New(DateTimeOffset.UtcNow) }]);
        Assert.Equal((1501L, 1500L), store.CountPredictions("spam", "laplace", 0));
    }

    [Fact]
    public void DriftFiresAfterAShiftAndNotBefore()
    {
        var store = Migrated();
        double offlineEce = 0.03;
        // 600 calibrated outcomes (right with probability = confidence): no drift.
        var calibrated = Stream(600, seed: 2, accuracyAt: c => c);
        Write(store, calibrated);
        var before = LiveCalibration.Judge(store.Window("spam", "laplace", 0, 500), offlineEce, margin: 0.05, minOutcomes: 200);
        Assert.False(before.Flag, before.Reason);

        // Then the inputs shift: right 30 points less often than confident. The newest 500 are all shifted.
        var shifted = Stream(600, seed: 3, accuracyAt: c => c - 0.3, startIndex: 600);
        Write(store, shifted);
        var after = LiveCalibration.Judge(store.Window("spam", "laplace", 0, 500), offlineEce, margin: 0.05, minOutcomes: 200);
        Assert.True(after.Flag, after.Reason);
        Assert.InRange(after.LiveEceLower!.Value, 0.2, 0.4);

        // Too few outcomes never flag, however bad they are.
        var few = LiveCalibration.Judge(store.Window("spam", "laplace", 0, 100), offlineEce, margin: 0.05, minOutcomes: 200);
        Assert.False(few.Flag);
        Assert.Contains("fewer than the 200 needed", few.Reason);
    }

    [Fact]
    public void RetentionDeletesByAgeAndByCountWithTheirOutcomes()
    {
        var store = Migrated();
        var stream = Stream(100, seed: 4, accuracyAt: c => c); // one prediction a second from Start
        Write(store, stream);

        // By age: everything before the 30th second.
        Assert.Equal(30, store.Retain(Start.AddSeconds(30).ToUnixTimeMilliseconds(), keepNewest: 1000));
        Assert.Equal((70L, 70L), store.Counts());
        // By count: the newest 50.
        Assert.Equal(20, store.Retain(0, keepNewest: 50));
        Assert.Equal((50L, 50L), store.Counts());
        Assert.Single(store.FindForOutcomes([stream[50].Prediction.Id]));
        Assert.Empty(store.FindForOutcomes([stream[49].Prediction.Id]));
        Assert.Equal(stream[50].Outcome.CreatedAtMs, store.Window("spam", "laplace", 0, 1000).Min(w => w.OutcomeAtMs));
    }

    [Fact]
    public void AnOutcomeIsStoredOnceAndItsPredictionSaysSo()
    {
        var store = Migrated();
        var stream = Stream(3, seed: 5, accuracyAt: c => c);
        store.WritePredictions(stream.Select(s => s.Prediction).ToList());

        Assert.Empty(store.WriteOutcomes([(stream[0].Outcome, "spam", "laplace")]));
        Assert.Equal([stream[0].Prediction.Id], store.WriteOutcomes([(stream[0].Outcome with { Label = 1 - stream[0].Outcome.Label }, "spam", "laplace")]));

        var found = store.FindForOutcomes([stream[0].Prediction.Id, stream[1].Prediction.Id, "missing"]);
        Assert.True(found[stream[0].Prediction.Id].HasOutcome);
        Assert.False(found[stream[1].Prediction.Id].HasOutcome);
        Assert.Equal(["spam", "ham"], found[stream[1].Prediction.Id].Labels);
        Assert.Equal(("spam", "laplace", PredictionKind.Classification), (found[stream[1].Prediction.Id].Adapter, found[stream[1].Prediction.Id].Method,
            found[stream[1].Prediction.Id].Kind));
        Assert.Equal(stream[0].Outcome.Label, store.Window("spam", "laplace", 0, 10).Single().Label); // the first outcome stands
    }

    [Fact]
    public void VoteFractionsOfPairsComeBackAndAgreementIsMeasured()
    {
        var store = Migrated();
        var pairs = new List<(StoredPrediction, StoredOutcome)>();
        for (int i = 0; i < 4; i++)
        {
            double p = 0.2 + 0.2 * i, votes = i % 2 == 0 ? 0.8 : 0.3;
            pairs.Add((new StoredPrediction($"pair-{i}", Start.AddSeconds(i).ToUnixTimeMilliseconds(), "vader-reward", "sha", "ensemble",
                PredictionKind.Preference, ["chosen", "rejected"], [p, 1 - p], p >= 0.5 ? 0 : 1, null),
                new StoredOutcome($"pair-{i}", Start.AddSeconds(i).ToUnixTimeMilliseconds(), votes > 0.5 ? 0 : 1, votes)));
        }
        store.WritePredictions(pairs.Select(p => p.Item1).ToList());
        store.WriteOutcomes(pairs.Select(p => (p.Item2, "vader-reward", "ensemble")).ToList());

        var live = LiveCalibration.Metrics(store.Window("vader-reward", "ensemble", 0, 10))!;

        // Aligned to the preferred response: p = [0.2, 1 - 0.4, 0.6, 1 - 0.8], votes for it = [0.8, 0.7, 0.8, 0.7].
        var expected = PreferenceMetricsCalculator.Agreement([0.2, 0.6, 0.6, 0.2], [0.8, 0.7, 0.8, 0.7]);
        var agreement = live.HumanVotes!;
        Assert.Equal(expected.Mae, agreement.Mae, 12);
        Assert.Equal(expected.Brier, agreement.Brier, 12);
        Assert.Equal(expected.Correlation, agreement.Correlation, 12);
        Assert.Equal(expected.CrossEntropy, agreement.CrossEntropy, 12);
        Assert.Equal(expected.VoteEntropy, agreement.VoteEntropy, 12);
        Assert.Equal(0.5, live.Acc, 12); // pairs 1 and 2 were answered right: the side above 0.5 got most votes
    }

    /// <summary>SQL that, run in a transaction on its own connection, makes every writer wait until it is rolled back.</summary>
    protected abstract string BlockWritesSql { get; }

    [Fact]
    public async Task TheWriterDrainsWhatIsQueuedWhenTheServiceStops()
    {
        var store = Migrated();
        var writer = Writer(store, capacity: 10_000);
        await writer.StartAsync(CancellationToken.None);
        // The store is locked, so at the stop every prediction is still queued (or waiting for the lock).
        var blocker = store.Dialect.Connect();
        var transaction = blocker.BeginTransaction();
        StoreMigrations.Execute(blocker, transaction, BlockWritesSql);
        var stream = Stream(3000, seed: 6, accuracyAt: c => c);
        Assert.All(stream, s => Assert.True(writer.TryRecord(s.Prediction)));

        var stopping = writer.StopAsync(CancellationToken.None);
        await Task.Delay(300);
        Assert.Empty(log.Entries);
        Assert.Equal(0, store.Counts().Predictions);
        Assert.False(stopping.IsCompleted); // waiting for the store, not giving up on what it holds
        transaction.Rollback();
        blocker.Dispose();
        await stopping.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(log.Entries);
        Assert.Equal(3000, store.Counts().Predictions);
        Assert.False(writer.TryRecord(stream[0].Prediction)); // stopped: nothing more is taken
    }

    [Fact]
    public async Task PredictionsBeyondTheQueueAreDroppedAndCountedAndAFlushSeesTheRestStored()
    {
        var store = Migrated();
        long dropped = 0;
        var meters = Meters();
        using var listener = new MeterListener();
        // This writer's own meter only: other tests' writers run in parallel.
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "uncertainty.outcomes.dropped" && ReferenceEquals(instrument.Meter.Scope, meters)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => Interlocked.Add(ref dropped, value));
        listener.Start();
        var writer = Writer(store, capacity: 10, meters);
        var stream = Stream(15, seed: 7, accuracyAt: c => c);

        var queued = stream.Select(s => writer.TryRecord(s.Prediction)).ToList();

        Assert.Equal(10, queued.Count(q => q));
        Assert.Equal(5, Interlocked.Read(ref dropped));
        await writer.StartAsync(CancellationToken.None);
        await writer.Flush(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(log.Entries);
        Assert.Equal(10, store.Counts().Predictions);
        await writer.StopAsync(CancellationToken.None);
        Assert.Empty(log.Entries);
    }

    private static IMeterFactory Meters() => new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    private readonly CollectingLogger<PredictionWriter> log = new();

    private PredictionWriter Writer(OutcomeStore store, int capacity, IMeterFactory? meters = null)
    {
        meters ??= Meters();
        var options = new Api.Options.ServiceOptions();
        options.Outcomes.QueueCapacity = capacity;
        options.Outcomes.WriteBatch = 500;
        options.Outcomes.RetentionHours = 100_000; // the streams are dated November 2026

        return new PredictionWriter(store, Microsoft.Extensions.Options.Options.Create(options), new Api.Serving.ServiceTelemetry(meters), log,
            TimeProvider.System);
    }

    private OutcomeStore Migrated()
    {
        var store = NewStore();
        store.Migrate();
        return store;
    }

    private static void Write(OutcomeStore store, IReadOnlyList<(StoredPrediction Prediction, StoredOutcome Outcome)> stream)
    {
        store.WritePredictions(stream.Select(s => s.Prediction).ToList());
        Assert.Empty(store.WriteOutcomes(stream.Select(s => (s.Outcome, s.Prediction.Adapter, s.Prediction.Method)).ToList()));
    }

    // Binary predictions one second apart: confidence c uniform in [0.5, 1) for a random class, right with probability accuracyAt(c).
    internal static List<(StoredPrediction Prediction, StoredOutcome Outcome)> Stream(int count, int seed, Func<double, double> accuracyAt, int startIndex = 0)
    {
        var random = new Random(seed);
        var stream = new List<(StoredPrediction, StoredOutcome)>(count);
        for (int i = startIndex; i < startIndex + count; i++)
        {
            double confidence = 0.5 + 0.5 * random.NextDouble();
            int predicted = random.Next(2);
            var probabilities = predicted == 0 ? new[] { confidence, 1 - confidence } : [1 - confidence, confidence];
            int label = random.NextDouble() < accuracyAt(confidence) ? predicted : 1 - predicted;
            long at = Start.AddSeconds(i).ToUnixTimeMilliseconds();
            string id = PredictionIds.New(Start.AddSeconds(i));
            stream.Add((new StoredPrediction(id, at, "spam", "sha", "laplace", PredictionKind.Classification, ["spam", "ham"], probabilities, predicted, null),
                new StoredOutcome(id, at, label, null)));
        }
        return stream;
    }
}

public sealed class SqliteOutcomeStoreTests : OutcomeStoreContract, IDisposable
{
    private readonly TempFolder _folder = new();

    protected override OutcomeStore NewStore() => new(StoreDialect.Sqlite(_folder.File($"outcomes-{Guid.NewGuid():N}.db")));

    // SQLite's write lock is the whole file's.
    protected override string BlockWritesSql => "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (1000, 0)";

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}

[Collection(nameof(PostgresCollection))]
public sealed class PostgresOutcomeStoreTests(PostgresServer server) : OutcomeStoreContract
{
    protected override OutcomeStore NewStore() => new(StoreDialect.Postgres(server.NewDatabase()));

    protected override string BlockWritesSql => "LOCK TABLE predictions IN EXCLUSIVE MODE";
}

/// <summary>One PostgreSQL server for every test class that needs one.</summary>
[CollectionDefinition(nameof(PostgresCollection))]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>;
