using System.Diagnostics;
using Npgsql;

namespace UncertaintyService.Api.Tests.Support;

/// <summary>
/// A real PostgreSQL server from Debian's package (.ci/run installs it), started for the tests in a temporary
/// folder and listening only on a Unix socket there; each test asks for a fresh database. As root (CI) the
/// server runs as the package's postgres user, since initdb refuses root.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string folder;
    private readonly string binaries;
    private readonly string data;
    private readonly bool asPostgresUser;
    private int databases;

    public PostgresServer()
    {
        binaries = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault() ?? ""
            : "";
        if (binaries == "")
            throw new InvalidOperationException("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb); `apt-get install postgresql`, as .ci/run does.");
        folder = Path.Combine(Path.GetTempPath(), "uncertainty-pg-" + Guid.NewGuid().ToString("N")[..12]);
        data = Path.Combine(folder, "data");
        Directory.CreateDirectory(folder);
        asPostgresUser = Environment.UserName == "root";
        if (asPostgresUser) Run("chown", ["postgres:postgres", folder], asPostgres: false);
        Port = 20000 + Random.Shared.Next(20000);
        Run(Path.Combine(binaries, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
        Run(Path.Combine(binaries, "pg_ctl"), ["-D", data, "-w", "-t", "60", "-l", Path.Combine(folder, "server.log"), "-o",
            $"-p {Port} -k {folder} -c listen_addresses='' -c fsync=off -c full_page_writes=off", "start"]);
    }

    public int Port { get; }

    /// <summary>A connection string to a new, empty database of its own.</summary>
    public string NewDatabase()
    {
        string name = $"test_{Interlocked.Increment(ref databases)}_{Guid.NewGuid():N}"[..30];
        using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            command.ExecuteNonQuery();
        }
        return ConnectionString(name);
    }

    /// <summary>Drops a database with its connections, as an outage would take it away from the service.</summary>
    public void Drop(string database)
    {
        using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        connection.Open();
        using var command = new NpgsqlCommand($"DROP DATABASE {database} WITH (FORCE)", connection);
        command.ExecuteNonQuery();
    }

    private string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = folder, Port = Port, Username = "postgres", Database = database, Pooling = true }.ToString();

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            Run(Path.Combine(binaries, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder must not turn a passing test red.
            }
        }
    }

    private void Run(string program, string[] arguments, bool asPostgres = true)
    {
        var start = asPostgresUser && asPostgres
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", program, .. arguments])
            : new ProcessStartInfo(program, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = folder;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish in 120 s");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {output.Result}{error.Result}");
    }
}
