using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace UncertaintyService.Benchmarks;

/// <summary>The service's own binary on a free loopback port, stopped on dispose.</summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process process;

    private ServiceProcess(Process process, HttpClient client)
    {
        this.process = process;
        Client = client;
    }

    public HttpClient Client { get; }

    /// <summary>Resident memory of the service process in MB, from /proc.</summary>
    public double ResidentMegabytes() => Status("VmRSS");

    /// <summary>The most resident memory the service process has had, in MB.</summary>
    public double PeakMegabytes() => Status("VmHWM");

    private double Status(string field)
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return double.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }

    public static async Task<ServiceProcess> Start(int maxBatch, int queueCapacity = 1024, params (string Key, string Value)[] settings)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var start = new ProcessStartInfo("dotnet", ["UncertaintyService.Api.dll", "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["UncertaintyService__Batching__MaxBatchPrompts"] = maxBatch.ToString();
        start.Environment["UncertaintyService__Batching__QueueCapacity"] = queueCapacity.ToString();
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings) start.Environment[key] = value;
        var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(120) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            try
            {
                if ((await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK)
                    return new ServiceProcess(process, client);
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        process.Kill();
        throw new TimeoutException("the service did not become ready");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }
}
