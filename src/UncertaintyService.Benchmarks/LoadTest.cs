using System.Diagnostics;
using System.Text;

namespace UncertaintyService.Benchmarks;

/// <summary>
/// Sustained load on the real service over loopback: many concurrent clients for a fixed time, bounded
/// in count and time; reports latency percentiles, answers by status code and the process's memory.
/// </summary>
internal static class LoadTest
{
    public static async Task Run(int clients, TimeSpan duration)
    {
        await using var service = await ServiceProcess.Start(maxBatch: 32, queueCapacity: 48);
        // Warm up, then measure memory from a steady start.
        for (int i = 0; i < 20; i++) await Send(service.Client, 0, i);
        double memoryStart = service.ResidentMegabytes();

        var statuses = new Dictionary<int, int>();
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        var samples = new List<string>();
        var sampler = Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                await Task.Delay(TimeSpan.FromSeconds(15));
                lock (samples) samples.Add($"{clock.Elapsed.TotalSeconds:F0} s: {service.ResidentMegabytes():F0} MB");
            }
        });
        var workers = Enumerable.Range(0, clients).Select(async worker =>
        {
            int i = 0;
            while (clock.Elapsed < duration)
            {
                var started = clock.Elapsed;
                int status = await Send(service.Client, worker, i++);
                lock (latencies)
                {
                    latencies.Add((clock.Elapsed - started).TotalMilliseconds);
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                }
                if (status == 429) await Task.Delay(50);
            }
        });
        await Task.WhenAll(workers);
        await sampler;
        double memoryEnd = service.ResidentMegabytes();
        latencies.Sort();

        Console.WriteLine($"| clients | seconds | requests | p50 ms | p99 ms | by status | RSS start MB | RSS end MB |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        Console.WriteLine($"| {clients} | {clock.Elapsed.TotalSeconds:F0} | {latencies.Count} | {Percentile(latencies, 0.5):F0} | {Percentile(latencies, 0.99):F0} | "
            + $"{string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))} | {memoryStart:F0} | {memoryEnd:F0} |");
        Console.WriteLine();
        Console.WriteLine($"Resident memory during the run: {string.Join("; ", samples)}");
    }

    private static async Task<int> Send(HttpClient client, int worker, int i)
    {
        var body = $$"""{"adapter":"wordnet-mcq","inputs":[{"text":"a load test sense {{worker}}-{{i}}","a":"animal","b":"artifact","c":"plant","d":"act"}],"samples":200}""";
        using var response = await client.PostAsync("/v1/classify", new StringContent(body, Encoding.UTF8, "application/json"));
        return (int)response.StatusCode;
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
}
