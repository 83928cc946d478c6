using System.Data.Common;
using System.Text.Json;

namespace UncertaintyService.Api.Outcomes;

/// <summary>
/// The one data-access layer of predictions and outcomes, over SQLite or PostgreSQL alike (<see cref="StoreDialect"/>).
/// Each call opens a pooled connection, so the writer and request threads never share one.
/// </summary>
public sealed class OutcomeStore(StoreDialect dialect)
{
    public StoreDialect Dialect { get; } = dialect;

    /// <summary>Brings the schema up to date (<see cref="StoreMigrations"/>).</summary>
    public IReadOnlyList<int> Migrate() => StoreMigrations.Apply(Dialect);

    /// <summary>Stores predictions in one transaction; an id already stored is left as it is.</summary>
    public void WritePredictions(IReadOnlyList<StoredPrediction> predictions)
    {
        if (predictions.Count == 0) return;
        using var connection = Dialect.Connect();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO predictions (id, created_at_ms, adapter, adapter_sha256, method, kind, labels, probabilities, predicted, prompt)
            VALUES (@id, @at, @adapter, @sha, @method, @kind, @labels, @probabilities, @predicted, @prompt)
            ON CONFLICT (id) DO NOTHING
            """;
        var id = StoreMigrations.Add(command, "id", "");
        var at = StoreMigrations.Add(command, "at", 0L);
        var adapter = StoreMigrations.Add(command, "adapter", "");
        var sha = StoreMigrations.Add(command, "sha", "");
        var method = StoreMigrations.Add(command, "method", "");
        var kind = StoreMigrations.Add(command, "kind", 0);
        var labels = StoreMigrations.Add(command, "labels", "");
        var probabilities = StoreMigrations.Add(command, "probabilities", "");
        var predicted = StoreMigrations.Add(command, "predicted", 0);
        var prompt = StoreMigrations.Add(command, "prompt", "");
        foreach (var p in predictions)
        {
            id.Value = p.Id;
            at.Value = p.CreatedAtMs;
            adapter.Value = p.Adapter;
            sha.Value = p.AdapterSha256;
            method.Value = p.Method;
            kind.Value = (int)p.Kind;
            labels.Value = JsonSerializer.Serialize(p.Labels);
            probabilities.Value = JsonSerializer.Serialize(p.Probabilities);
            predicted.Value = p.Predicted;
            prompt.Value = (object?)p.Prompt ?? DBNull.Value;
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>The stored predictions among <paramref name="ids"/>, by id (absent ids are not in the result).</summary>
    public Dictionary<string, PredictionForOutcome> FindForOutcomes(IReadOnlyCollection<string> ids)
    {
        var found = new Dictionary<string, PredictionForOutcome>(StringComparer.Ordinal);
        if (ids.Count == 0) return found;
        using var connection = Dialect.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT p.id, p.adapter, p.method, p.kind, p.labels, o.prediction_id
            FROM predictions p LEFT JOIN outcomes o ON o.prediction_id = p.id
            WHERE p.id = @id
            """;
        var id = StoreMigrations.Add(command, "id", "");
        foreach (var value in ids.Distinct(StringComparer.Ordinal))
        {
            id.Value = value;
            using var reader = command.ExecuteReader();
            if (reader.Read())
                found[value] = new PredictionForOutcome(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                    (PredictionKind)Convert.ToInt32(reader.GetValue(3)), JsonSerializer.Deserialize<string[]>(reader.GetString(4))!, !reader.IsDBNull(5));
        }
        return found;
    }

    /// <summary>
    /// Stores outcomes in one transaction; returns the ids that already had one (a concurrent request may have
    /// stored it since they were looked up), which are left unchanged.
    /// </summary>
    public IReadOnlyList<string> WriteOutcomes(IReadOnlyList<(StoredOutcome Outcome, string Adapter, string Method)> outcomes)
    {
        var duplicates = new List<string>();
        if (outcomes.Count == 0) return duplicates;
        using var connection = Dialect.Connect();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO outcomes (prediction_id, created_at_ms, adapter, method, label, vote_fraction)
            VALUES (@id, @at, @adapter, @method, @label, @votes)
            ON CONFLICT (prediction_id) DO NOTHING
            """;
        var id = StoreMigrations.Add(command, "id", "");
        var at = StoreMigrations.Add(command, "at", 0L);
        var adapter = StoreMigrations.Add(command, "adapter", "");
        var method = StoreMigrations.Add(command, "method", "");
        var label = StoreMigrations.Add(command, "label", 0);
        var votes = StoreMigrations.Add(command, "votes", 0.0);
        foreach (var (outcome, adapterId, methodName) in outcomes)
        {
            id.Value = outcome.PredictionId;
            at.Value = outcome.CreatedAtMs;
            adapter.Value = adapterId;
            method.Value = methodName;
            label.Value = outcome.Label;
            votes.Value = (object?)outcome.VoteFraction ?? DBNull.Value;
            if (command.ExecuteNonQuery() == 0) duplicates.Add(outcome.PredictionId);
        }
        transaction.Commit();
        return duplicates;
    }

    /// <summary>
    /// The newest outcomes of one adapter and method, at most <paramref name="maxOutcomes"/> and none before
    /// <paramref name="sinceMs"/>, each with the prediction it scores, newest first.
    /// </summary>
    public List<ScoredPrediction> Window(string adapter, string method, long sinceMs, int maxOutcomes)
    {
        using var connection = Dialect.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT p.probabilities, p.predicted, o.label, o.vote_fraction, o.created_at_ms
            FROM outcomes o JOIN predictions p ON p.id = o.prediction_id
            WHERE o.adapter = @adapter AND o.method = @method AND o.created_at_ms >= @since
            ORDER BY o.created_at_ms DESC, o.prediction_id DESC
            LIMIT @limit
            """;
        StoreMigrations.Add(command, "adapter", adapter);
        StoreMigrations.Add(command, "method", method);
        StoreMigrations.Add(command, "since", sinceMs);
        StoreMigrations.Add(command, "limit", maxOutcomes);
        using var reader = command.ExecuteReader();
        var rows = new List<ScoredPrediction>();
        while (reader.Read())
            rows.Add(new ScoredPrediction(JsonSerializer.Deserialize<double[]>(reader.GetString(0))!, Convert.ToInt32(reader.GetValue(1)),
                Convert.ToInt32(reader.GetValue(2)), reader.IsDBNull(3) ? null : reader.GetDouble(3), Convert.ToInt64(reader.GetValue(4))));
        return rows;
    }

    /// <summary>
    /// How many predictions of one adapter and method were made since <paramref name="sinceMs"/>, and how many of
    /// those have an outcome: their ratio is how much of what was answered has come back with its truth.
    /// </summary>
    public (long Predictions, long WithOutcome) CountPredictions(string adapter, string method, long sinceMs)
    {
        using var connection = Dialect.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT COUNT(*), COUNT(o.prediction_id)
            FROM predictions p LEFT JOIN outcomes o ON o.prediction_id = p.id
            WHERE p.adapter = @adapter AND p.method = @method AND p.created_at_ms >= @since
            """;
        StoreMigrations.Add(command, "adapter", adapter);
        StoreMigrations.Add(command, "method", method);
        StoreMigrations.Add(command, "since", sinceMs);
        using var reader = command.ExecuteReader();
        reader.Read();
        return (Convert.ToInt64(reader.GetValue(0)), Convert.ToInt64(reader.GetValue(1)));
    }

    /// <summary>The (adapter, method) pairs that have outcomes since <paramref name="sinceMs"/>.</summary>
    public List<(string Adapter, string Method)> ScoredMethods(long sinceMs)
    {
        using var connection = Dialect.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT adapter, method FROM outcomes WHERE created_at_ms >= @since ORDER BY adapter, method";
        StoreMigrations.Add(command, "since", sinceMs);
        using var reader = command.ExecuteReader();
        var pairs = new List<(string, string)>();
        while (reader.Read()) pairs.Add((reader.GetString(0), reader.GetString(1)));
        return pairs;
    }

    /// <summary>
    /// Deletes predictions (with their outcomes) older than <paramref name="beforeMs"/> and beyond the newest
    /// <paramref name="keepNewest"/>; returns how many predictions went.
    /// </summary>
    public long Retain(long beforeMs, long keepNewest)
    {
        using var connection = Dialect.Connect();
        using var transaction = connection.BeginTransaction();
        // The newest-N bound as a time: the created_at of the (N+1)th newest prediction, if there is one.
        using (var nth = connection.CreateCommand())
        {
            nth.Transaction = transaction;
            nth.CommandText = "SELECT created_at_ms FROM predictions ORDER BY created_at_ms DESC LIMIT 1 OFFSET @keep";
            StoreMigrations.Add(nth, "keep", keepNewest);
            if (nth.ExecuteScalar() is { } value and not DBNull) beforeMs = Math.Max(beforeMs, Convert.ToInt64(value) + 1);
        }
        StoreMigrations.Execute(connection, transaction,
            "DELETE FROM outcomes WHERE prediction_id IN (SELECT id FROM predictions WHERE created_at_ms < @before)", ("before", beforeMs));
        using var delete = connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = "DELETE FROM predictions WHERE created_at_ms < @before";
        StoreMigrations.Add(delete, "before", beforeMs);
        long deleted = delete.ExecuteNonQuery();
        transaction.Commit();
        return deleted;
    }

    /// <summary>Rows in each table.</summary>
    public (long Predictions, long Outcomes) Counts()
    {
        using var connection = Dialect.Connect();
        return (Convert.ToInt64(StoreMigrations.Scalar(connection, "SELECT COUNT(*) FROM predictions")),
            Convert.ToInt64(StoreMigrations.Scalar(connection, "SELECT COUNT(*) FROM outcomes")));
    }
}
