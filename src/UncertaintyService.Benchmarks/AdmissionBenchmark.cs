using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace UncertaintyService.Benchmarks;

/// <summary>
/// The heavy requests the serving issue measured, sent to the service process (demo bundle, default
/// limits) each alone and eight at once: every answer's status and time, and the service's peak
/// resident memory. Then, with a 5 s request timeout, how long a MAP request waits behind the heaviest
/// admitted request.
/// dotnet run -c Release --project src/UncertaintyService.Benchmarks -- --admission
/// </summary>
internal static class AdmissionBenchmark
{
    // ~900 tokens of English under the 1,024-token limit.
    private static readonly string Long = string.Concat(Enumerable.Repeat(
        "The committee reviewed the proposal in detail and asked for a clearer account of the costs. ", 40));

    private static object[] Labels64 => [.. "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".Select(c => c.ToString()).Append("!").Append("?")];

    private static readonly (string Name, object Body)[] Requests =
    [
        ("mc_dropout, 1 prompt of ~900 tokens, 64 samples",
            new { adapter = "wordnet-mcq", method = "mc_dropout", samples = 64, prompts = new[] { Long } }),
        ("laplace, 32 prompts of ~900 tokens, 10,000 draws",
            new { adapter = "wordnet-mcq", method = "laplace", samples = 10_000, prompts = Enumerable.Repeat(Long, 32).ToArray() }),
        ("ensemble, 12 prompts of ~450 tokens",
            new { adapter = "wordnet-mcq", method = "ensemble", prompts = Enumerable.Repeat(Long[..(Long.Length / 2)], 12).ToArray() }),
        ("map, 4 prompts of ~900 tokens",
            new { adapter = "wordnet-mcq", method = "map", prompts = Enumerable.Repeat(Long, 4).ToArray() }),
        ("laplace, 64 labels, 1 prompt of ~900 tokens",
            new { adapter = "wordnet-mcq", method = "laplace", labels = Labels64, prompts = new[] { Long } }),
        ("laplace, 4 labels, 1 prompt of ~900 tokens",
            new { adapter = "wordnet-mcq", method = "laplace", prompts = new[] { Long } }),
        ("mc_dropout, 32 prompts, 64 samples",
            new { adapter = "wordnet-mcq", method = "mc_dropout", samples = 64, prompts = Enumerable.Range(0, 32).Select(i => $"Question {i}: what does 'bank' mean?").ToArray() }),
    ];

    public static async Task Run()
    {
        Console.WriteLine($"# Admission benchmark ({Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}), demo bundle, default limits");
        Console.WriteLine();
        Console.WriteLine("| request | sent | statuses | slowest 4xx ms | slowest 200 ms | service peak MB |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        await using (var service = await ServiceProcess.Start(maxBatch: 32, queueCapacity: 256))
        {
            foreach (var (name, body) in Requests)
                foreach (int copies in new[] { 1, 8 })
                {
                    var answers = await Task.WhenAll(Enumerable.Range(0, copies).Select(_ => Send(service.Client, body)));
                    var statuses = string.Join(", ", answers.GroupBy(a => (int)a.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));
                    string Slowest(Func<HttpStatusCode, bool> which) =>
                        answers.Where(a => which(a.Status)).Select(a => a.Milliseconds).DefaultIfEmpty(double.NaN).Max() is var ms && double.IsNaN(ms) ? "-" : $"{ms:F0}";
                    Console.WriteLine($"| {name} | {copies} | {statuses} | {Slowest(s => (int)s is >= 400 and < 500)} | {Slowest(s => s == HttpStatusCode.OK)} | {service.PeakMegabytes():F0} |");
                    foreach (var a in answers.Where(a => (int)a.Status >= 500).Take(1)) Console.WriteLine($"|   (5xx: {a.Detail}) |");
                }
        }

        // The heaviest admitted request (the cost limit's worth of MC dropout), then a MAP request.
        await using (var service = await ServiceProcess.Start(maxBatch: 32, queueCapacity: 256, ("UncertaintyService__RequestTimeoutSeconds", "5")))
        {
            var heavy = new { adapter = "wordnet-mcq", method = "mc_dropout", samples = 30, prompts = new[] { Long } };
            var running = Send(service.Client, heavy);
            await Task.Delay(300);
            var map = await Send(service.Client, new { adapter = "wordnet-mcq", method = "map", prompts = new[] { "Question: what does 'bank' mean?" } });
            var first = await running;
            Console.WriteLine();
            Console.WriteLine($"With RequestTimeoutSeconds 5: heaviest admitted request {(int)first.Status} in {first.Milliseconds:F0} ms; "
                + $"a MAP request sent 300 ms after it {(int)map.Status} in {map.Milliseconds:F0} ms.");
        }
    }

    private static async Task<(HttpStatusCode Status, double Milliseconds, string Detail)> Send(HttpClient client, object body)
    {
        var clock = Stopwatch.StartNew();
        using var response = await client.PostAsJsonAsync("/v1/classify", body);
        string detail = (int)response.StatusCode >= 400 ? await response.Content.ReadAsStringAsync() : "";
        return (response.StatusCode, clock.Elapsed.TotalMilliseconds, detail);
    }
}
