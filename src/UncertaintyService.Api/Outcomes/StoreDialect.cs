using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace UncertaintyService.Api.Outcomes;

/// <summary>
/// What differs between the two databases the store runs on: how a connection is opened and the column
/// types of the schema. Every query the store runs is written once, in SQL both accept.
/// </summary>
public sealed record StoreDialect(string Name, Func<DbConnection> Connect, string Text, string BigInt, string Int, string Real)
{
    /// <summary>SQLite in one file, write-ahead logged (readers do not block the writer), waiting up to 5 s for a lock.</summary>
    public static StoreDialect Sqlite(string file) => new("sqlite", () =>
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, DefaultTimeout = 5, Pooling = true }.ToString());
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;";
        pragma.ExecuteNonQuery();
        return connection;
    }, "TEXT", "INTEGER", "INTEGER", "REAL");

    public static StoreDialect Postgres(string connectionString)
    {
        var source = NpgsqlDataSource.Create(connectionString);
        return new StoreDialect("postgresql", () => source.OpenConnection(), "text", "bigint", "integer", "double precision");
    }
}
