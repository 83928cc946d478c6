using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace UncertaintyService.Api.Tests.Support;

/// <summary>The real service process on a loopback port, as a user starts it.</summary>
public static class ServiceProcess
{
    private static readonly List<string> OutcomeFolders = [];

    static ServiceProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (OutcomeFolders)
                foreach (var folder in OutcomeFolders)
                {
                    try
                    {
                        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
                    }
                    catch (IOException)
                    {
                        // A leftover temp folder must not turn a passing test red.
                    }
                }
        };
    }

    /// <summary>Starts the built service on a free loopback port over the bundles under <paramref name="modelRoot"/> and waits until it is ready.</summary>
    public static async Task<(Process Process, System.Text.StringBuilder Output, HttpClient Client)> Start(string modelRoot, Dictionary<string, string> environment)
    {
        int port = FreeLoopbackPort();
        var start = new ProcessStartInfo("dotnet", ["UncertaintyService.Api.dll", "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["UncertaintyService__ModelRoot"] = modelRoot;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // A fresh outcome store per process (the committed models folder is shared by several tests and runs), removed when the tests end.
        string outcomes = Path.Combine(Path.GetTempPath(), "uncertainty-outcomes-" + Guid.NewGuid().ToString("N"));
        lock (OutcomeFolders) OutcomeFolders.Add(outcomes);
        start.Environment["UncertaintyService__Outcomes__DataFolder"] = outcomes;
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var process = new Process { StartInfo = start };
        process.Start();
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        await WaitReady(client, process, output);
        return (process, output, client);
    }

    private static async Task WaitReady(HttpClient client, Process process, System.Text.StringBuilder output)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (process.HasExited) throw new InvalidOperationException($"The service exited with {process.ExitCode}:\n{output}");
            try
            {
                if ((await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The service was not ready within 90 s:\n{output}");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

}
