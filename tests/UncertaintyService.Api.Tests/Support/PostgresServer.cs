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
    private readonly string _folder;
    private readonly string _binaries;
    private readonly string _data;
    private readonly bool _asPostgresUser;
    private int _databases;

    public PostgresServer()
    {
        _binaries = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault() ?? ""
            : "";
        if (_binaries == "")
            throw new InvalidOperationException("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb); `apt-get install postgresql`, as .ci/run does.");
        _folder = Path.Combine(Path.GetTempPath(), "uncertainty-pg-" + Guid.NewGuid().ToString("N")[..12]);
        _data = Path.Combine(_folder, "data");
        Directory.CreateDirectory(_folder);
        _asPostgresUser = Environment.UserName == "root";
        if (_asPostgresUser) Run("chown", ["postgres:postgres", _folder], asPostgres: false);
        Port = 20000 + Random.Shared.Next(20000);
        Run(Path.Combine(_binaries, "initdb"), ["-D", _data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
        Run(Path.Combine(_binaries, "pg_ctl"), ["-D", _data, "-w", "-t", "60", "-l", Path.Combine(_folder, "server.log"), "-o",
            $"-p {Port} -k {_folder} -c listen_addresses='' -c fsync=off -c full_page_writes=off", "start"]);
    }

    public int Port { get; }

    /// <summary>A connection string to a new, empty database of its own.</summary>
    public string NewDatabase()
    {
        string name = $"test_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..30];
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
        new NpgsqlConnectionStringBuilder { Host = _folder, Port = Port, Username = "postgres", Database = database, Pooling = true }.ToString();

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            Run(Path.Combine(_binaries, "pg_ctl"), ["-D", _data, "-m", "immediate", "-w", "stop"]);
        }
        finally
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder must not turn a passing test red.
            }
        }
    }

    private void Run(string program, string[] arguments, bool asPostgres = true)
    {
        var start = _asPostgresUser && asPostgres
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", program, .. arguments])
            : new ProcessStartInfo(program, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = _folder;
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
