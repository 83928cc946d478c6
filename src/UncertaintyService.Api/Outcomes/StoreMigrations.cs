using System.Data.Common;

namespace UncertaintyService.Api.Outcomes;

/// <summary>
/// The store's schema as numbered migrations, applied in order at start-up inside one transaction each and
/// recorded in <c>schema_migrations</c>, so a database made by an older build is brought up to date and one
/// made by a newer build is refused rather than misread. A released migration is never edited; a change is a new one.
/// </summary>
public static class StoreMigrations
{
    /// <summary>Migration n (from 1) as SQL for a dialect.</summary>
    public static IReadOnlyList<Func<StoreDialect, string>> All { get; } =
    [
        // 1: predictions and their outcomes. Probabilities and labels are JSON arrays; times are Unix milliseconds.
        d => $"""
            CREATE TABLE predictions (
                id {d.Text} PRIMARY KEY,
                created_at_ms {d.BigInt} NOT NULL,
                adapter {d.Text} NOT NULL,
                adapter_sha256 {d.Text} NOT NULL,
                method {d.Text} NOT NULL,
                kind {d.Int} NOT NULL,
                labels {d.Text} NOT NULL,
                probabilities {d.Text} NOT NULL,
                predicted {d.Int} NOT NULL,
                prompt {d.Text} NULL
            );
            CREATE INDEX predictions_created ON predictions (created_at_ms);
            CREATE TABLE outcomes (
                prediction_id {d.Text} PRIMARY KEY,
                created_at_ms {d.BigInt} NOT NULL,
                adapter {d.Text} NOT NULL,
                method {d.Text} NOT NULL,
                label {d.Int} NOT NULL,
                vote_fraction {d.Real} NULL
            );
            CREATE INDEX outcomes_window ON outcomes (adapter, method, created_at_ms);
            """,
    ];

    public static int Latest => All.Count;

    /// <summary>Applies every migration the database lacks; returns the versions applied.</summary>
    public static IReadOnlyList<int> Apply(StoreDialect dialect)
    {
        using var connection = dialect.Connect();
        Execute(connection, null, $"CREATE TABLE IF NOT EXISTS schema_migrations (version {dialect.Int} PRIMARY KEY, applied_at_ms {dialect.BigInt} NOT NULL)");
        int current = Convert.ToInt32(Scalar(connection, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
        if (current > Latest)
            throw new InvalidOperationException($"The outcome store is at schema version {current}, newer than this build's {Latest}; use a newer build or another database.");
        var applied = new List<int>();
        for (int version = current + 1; version <= Latest; version++)
        {
            using var transaction = connection.BeginTransaction();
            Execute(connection, transaction, All[version - 1](dialect));
            Execute(connection, transaction, "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (@version, @at)",
                ("version", version), ("at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            transaction.Commit();
            applied.Add(version);
        }
        return applied;
    }

    /// <summary>The versions recorded, in order.</summary>
    public static IReadOnlyList<int> Applied(StoreDialect dialect)
    {
        using var connection = dialect.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT version FROM schema_migrations ORDER BY version";
        using var reader = command.ExecuteReader();
        var versions = new List<int>();
        while (reader.Read()) versions.Add(Convert.ToInt32(reader.GetValue(0)));
        return versions;
    }

    public static void Execute(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) Add(command, name, value);
        command.ExecuteNonQuery();
    }

    public static object? Scalar(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public static DbParameter Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }
}
