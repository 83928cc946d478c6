using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace UncertaintyService.Benchmarks;

/// <summary>
/// Requests per second of the service process over loopback when 32 clients spread over three adapters
/// of the demo base (two classification, one reward) and three methods (map, laplace, ensemble): with
/// heterogeneous batching (every request of the base may share a batch) and split by adapter and method
/// (Batching:SplitByAdapter, as before), from one run. Then one adapter and one method at a time, the
/// same 32 clients, for comparison with an earlier build (<c>--single --url</c> against its process).
/// </summary>
internal static class MixedTrafficBenchmark
{
    private static readonly string[] Adapters = ["wordnet-mcq", "spam", "vader-reward"];
    private static readonly string[] Methods = ["map", "laplace", "ensemble"];

    public sealed record Row(string Traffic, string Batching, double PerSecond, double P50Ms, double P99Ms, int Requests);

    public static async Task<List<Row>> Run(int clients, TimeSpan duration)
    {
        var rows = new List<Row>();
        foreach (var (batching, split) in new[] { ("heterogeneous", false), ("split by adapter and method", true) })
        {
            await using var service = await ServiceProcess.Start(32, 1024, ("UncertaintyService__Batching__SplitByAdapter", split.ToString()));
            await Load(service.Client, clients, TimeSpan.FromSeconds(3), Mixed); // warm-up
            rows.Add(Measure("3 adapters x 3 methods", batching, await Load(service.Client, clients, duration, Mixed)));
            if (!split)
                rows.AddRange(await Single(service.Client, clients, duration, batching));
        }
        return rows;
    }

    /// <summary>One adapter (wordnet-mcq) and one method at a time, against a running service.</summary>
    public static async Task<List<Row>> Single(HttpClient client, int clients, TimeSpan duration, string batching)
    {
        var rows = new List<Row>();
        foreach (var method in Methods)
        {
            await Load(client, clients, TimeSpan.FromSeconds(2), (_, i) => Request("wordnet-mcq", method, i));
            rows.Add(Measure($"wordnet-mcq {method} only", batching, await Load(client, clients, duration, (_, i) => Request("wordnet-mcq", method, i))));
        }
        return rows;
    }

    // Client w always asks adapter w mod 3 with method (w / 3) mod 3, so all nine pairs are in the traffic.
    private static (string Path, string Body) Mixed(int worker, int i) => Request(Adapters[worker % 3], Methods[worker / 3 % 3], $"{worker}-{i}");

    private static (string Path, string Body) Request(string adapter, string method, object tag)
    {
        int? samples = method == "laplace" ? 100 : null;
        object body = adapter switch
        {
            "wordnet-mcq" => new { adapter, method, samples, inputs = new[] { new Dictionary<string, string>
                { ["text"] = $"a small domesticated animal number {tag}", ["a"] = "animal", ["b"] = "artifact", ["c"] = "plant", ["d"] = "act" } } },
            "spam" => new { adapter, method, samples, inputs = new[] { new Dictionary<string, string> { ["email"] = $"Win a free cruise now, reply today {tag}" } } },
            _ => new { adapter, method, samples, items = new[] { new { prompt = "How does this word feel?", response = $"wonderful {tag}" } } },
        };
        return (adapter == "vader-reward" ? "/v1/reward" : "/v1/classify", JsonSerializer.Serialize(body, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
    }

    internal static Row Measure(string traffic, string batching, List<double> latencies)
    {
        latencies.Sort();
        return new Row(traffic, batching, latencies.Count / lastDuration.TotalSeconds, latencies[latencies.Count / 2], latencies[(int)(latencies.Count * 0.99)], latencies.Count);
    }

    private static TimeSpan lastDuration;

    internal static async Task<List<double>> Load(HttpClient client, int clients, TimeSpan duration, Func<int, int, (string Path, string Body)> request)
    {
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, clients).Select(async worker =>
        {
            var mine = new List<double>();
            int i = 0;
            while (clock.Elapsed < duration)
            {
                var (path, body) = request(worker, i++);
                var started = clock.Elapsed;
                using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
                if (response.StatusCode != HttpStatusCode.OK)
                    throw new InvalidOperationException($"{path} {body}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                mine.Add((clock.Elapsed - started).TotalMilliseconds);
            }
            lock (latencies) latencies.AddRange(mine);
        });
        await Task.WhenAll(workers);
        lastDuration = clock.Elapsed;
        return latencies;
    }

    public static void Print(IReadOnlyList<Row> rows)
    {
        Console.WriteLine("| traffic | batching | requests | req/s | p50 ms | p99 ms |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var r in rows)
            Console.WriteLine($"| {r.Traffic} | {r.Batching} | {r.Requests} | {r.PerSecond:F1} | {r.P50Ms:F0} | {r.P99Ms:F0} |");
        var mixed = rows.Where(r => r.Traffic.StartsWith("3 adapters")).ToList();
        if (mixed.Count == 2)
            Console.WriteLine($"\nheterogeneous / split: {mixed[0].PerSecond / mixed[1].PerSecond:F2}x requests per second");
    }
}
