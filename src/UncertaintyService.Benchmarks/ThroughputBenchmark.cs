using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace UncertaintyService.Benchmarks;

/// <summary>
/// Requests per second of the real service process over loopback, with micro-batching (MaxBatchPrompts
/// 32) and without (1), at several numbers of concurrent clients, each sending one-prompt Laplace requests.
/// </summary>
internal static class ThroughputBenchmark
{
    public sealed record Row(int Clients, double BatchedPerSecond, double UnbatchedPerSecond, double BatchedP50Ms, double UnbatchedP50Ms)
    {
        public double Ratio => BatchedPerSecond / UnbatchedPerSecond;
    }

    public static async Task<List<Row>> Run(int[] clientCounts, TimeSpan duration)
    {
        var batched = new Dictionary<int, (double, double)>();
        var unbatched = new Dictionary<int, (double, double)>();
        foreach (var (maxBatch, results) in new[] { (32, batched), (1, unbatched) })
        {
            await using var service = await ServiceProcess.Start(maxBatch);
            foreach (int clients in clientCounts)
                results[clients] = await Load(service.Client, clients, duration);
        }
        return clientCounts.Select(c => new Row(c, batched[c].Item1, unbatched[c].Item1, batched[c].Item2, unbatched[c].Item2)).ToList();
    }

    private static async Task<(double PerSecond, double P50)> Load(HttpClient client, int clients, TimeSpan duration)
    {
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, clients).Select(async worker =>
        {
            var mine = new List<double>();
            int i = 0;
            while (clock.Elapsed < duration)
            {
                var body = $$"""{"adapter":"wordnet-mcq","inputs":[{"text":"a small domesticated animal number {{worker}}-{{i++}}","a":"animal","b":"artifact","c":"plant","d":"act"}],"samples":100}""";
                var started = clock.Elapsed;
                using var response = await client.PostAsync("/v1/classify", new StringContent(body, Encoding.UTF8, "application/json"));
                if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"status {response.StatusCode}");
                mine.Add((clock.Elapsed - started).TotalMilliseconds);
            }
            lock (latencies) latencies.AddRange(mine);
        });
        await Task.WhenAll(workers);
        latencies.Sort();
        return (latencies.Count / clock.Elapsed.TotalSeconds, latencies[latencies.Count / 2]);
    }
}
