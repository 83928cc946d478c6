using System.Text.Json;

namespace UncertaintyService.Benchmarks;

/// <summary>
/// Requests per second of the service process with the outcome store off, on SQLite, and on PostgreSQL (when a
/// connection string is given), 32 clients of mixed traffic whose every answer is recorded (classifications of
/// wordnet-mcq and spam, preference pairs of vader-reward; map, laplace and ensemble), from one run; plus each
/// service's peak resident memory and what its writer stored or dropped.
/// </summary>
internal static class OutcomeStoreOverhead
{
    private static readonly string[] Adapters = ["wordnet-mcq", "spam", "vader-reward"];
    private static readonly string[] Methods = ["map", "laplace", "ensemble"];

    public static async Task Run(int clients, TimeSpan duration, string? postgres, int rounds, bool mapOnly)
    {
        // MAP only is the worst case for the store: the cheapest answers, so the most predictions a second to write.
        var methods = mapOnly ? ["map"] : Methods;
        (string Path, string Body) Request(int worker, int i) => OutcomeStoreOverhead.Request(worker, i, methods);
        var stores = new List<(string Name, (string, string)[] Settings)>
        {
            ("off", [("UncertaintyService__Outcomes__Enabled", "false")]),
            ("sqlite", [("UncertaintyService__Outcomes__DataFolder", Path.Combine(Path.GetTempPath(), "uncertainty-bench-" + Guid.NewGuid().ToString("N")))]),
        };
        if (postgres is not null) stores.Add(("postgresql", [("UncertaintyService__Outcomes__PostgresConnectionString", postgres)]));
        else Console.WriteLine("(no --postgres connection string: the PostgreSQL row is left out)");

        // Rounds interleave the stores (off, sqlite, postgresql, off, ...) so a slow spell of the machine falls on all of them;
        // each store's row is its median round.
        var rows = new List<(string Store, int Round, MixedTrafficBenchmark.Row Row, double PeakMb, string Metrics)>();
        for (int round = 1; round <= rounds; round++)
            foreach (var (name, settings) in stores)
            {
                await using var service = await ServiceProcess.Start(32, 1024, settings);
                await MixedTrafficBenchmark.Load(service.Client, clients, TimeSpan.FromSeconds(3), Request); // warm-up
                var row = MixedTrafficBenchmark.Measure($"3 adapters x {string.Join(", ", methods)}, every answer recorded", name,
                    await MixedTrafficBenchmark.Load(service.Client, clients, duration, Request));
                var metrics = await service.Client.GetStringAsync("/metrics");
                rows.Add((name, round, row, service.PeakMegabytes(),
                    Counter(metrics, "uncertainty_outcomes_written") + " written, " + Counter(metrics, "uncertainty_outcomes_dropped") + " dropped"));
                Console.WriteLine($"round {round} {name}: {row.PerSecond:F1} req/s");
            }

        var medians = stores.Select(s => rows.Where(r => r.Store == s.Name).OrderBy(r => r.Row.PerSecond).ElementAt((rounds - 1) / 2)).ToList();
        Console.WriteLine($"\ntraffic: 3 adapters x {string.Join(", ", methods)}, {clients} clients, {duration.TotalSeconds:F0} s a round");
        Console.WriteLine($"| outcome store | requests | req/s (median of {rounds}) | p50 ms | p99 ms | peak MB | predictions | req/s vs off |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        double off = medians[0].Row.PerSecond;
        foreach (var (store, _, r, peak, stored) in medians)
            Console.WriteLine($"| {store} | {r.Requests} | {r.PerSecond:F1} | {r.P50Ms:F0} | {r.P99Ms:F0} | {peak:F0} | {stored} | {r.PerSecond / off:F3} |");
    }

    // Client w asks adapter w mod 3 with method (w / 3) mod 3: all nine pairs, as in the mixed-traffic benchmark, but pairs for the reward adapter.
    private static (string Path, string Body) Request(int worker, int i, string[] methods)
    {
        string adapter = Adapters[worker % 3], method = methods[worker / 3 % methods.Length];
        int? samples = method == "laplace" ? 100 : null;
        string tag = $"{worker}-{i}";
        object body = adapter switch
        {
            "wordnet-mcq" => new { adapter, method, samples, covariance = "none", inputs = new[] { new Dictionary<string, string>
                { ["text"] = $"a small domesticated animal number {tag}", ["a"] = "animal", ["b"] = "artifact", ["c"] = "plant", ["d"] = "act" } } },
            "spam" => new { adapter, method, samples, covariance = "none", inputs = new[] { new Dictionary<string, string> { ["email"] = $"Win a free cruise now, reply today {tag}" } } },
            _ => (object)new { adapter, method, samples, pairs = new[] { new { prompt = "Which word is more positive?", chosen = $"wonderful {tag}", rejected = $"dreadful {tag}" } } },
        };
        return (adapter == "vader-reward" ? "/v1/reward" : "/v1/classify",
            JsonSerializer.Serialize(body, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
    }

    private static string Counter(string metrics, string name) =>
        metrics.Split('\n').FirstOrDefault(l => l.StartsWith(name + "_total", StringComparison.Ordinal)) is { } line ? line.Split(' ')[^1] : "0";
}
