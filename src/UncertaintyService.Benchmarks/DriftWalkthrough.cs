using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace UncertaintyService.Benchmarks;

/// <summary>
/// README's worked example of live calibration: the demo's spam adapter answers its test split and then its ood
/// split (hard ham and later spam) through /v1/classify, an application reports every true label through
/// /v1/outcomes, and after each phase GET /v1/adapters/spam/calibration/live shows what the window measured and
/// whether drift fired (window: the newest 500 outcomes; drift: 200 outcomes, margin 0.05).
/// </summary>
internal static class DriftWalkthrough
{
    private static readonly string[] Methods = ["map", "temperature", "laplace"];

    public static async Task Run(string examplesPath)
    {
        var examples = File.ReadLines(examplesPath).Select(l => JsonNode.Parse(l)!)
            .Select(n => (Prompt: (string)n["prompt"]!, Label: (string)n["label"]!, Split: (string)n["split"]!)).ToList();
        await using var service = await ServiceProcess.Start(32, 1024,
            ("UncertaintyService__Outcomes__DataFolder", Path.Combine(Path.GetTempPath(), "uncertainty-drift-" + Guid.NewGuid().ToString("N"))),
            ("UncertaintyService__Outcomes__WindowOutcomes", "500"),
            ("UncertaintyService__Outcomes__DriftMinOutcomes", "200"),
            ("UncertaintyService__Outcomes__DriftMargin", "0.05"),
            ("UncertaintyService__Outcomes__EvaluateSeconds", "1"));
        var client = service.Client;

        Console.WriteLine("| method | after | outcomes in window | live acc | live ECE | live NLL | offline test ECE | live ECE 90% interval | drift |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var method in Methods)
            foreach (var split in new[] { "test", "ood" })
            {
                var part = examples.Where(e => e.Split == split).ToList();
                // Four e-mails a request keeps Laplace's cost (padded tokens x (1 + 2C)) under the default Limits:MaxRequestCost.
                for (int start = 0; start < part.Count; start += 4)
                {
                    var chunk = part.Skip(start).Take(4).ToList();
                    using var answer = await client.PostAsJsonAsync("/v1/classify",
                        new { adapter = "spam", method, prompts = chunk.Select(c => c.Prompt), covariance = "none", seed = start });
                    if (!answer.IsSuccessStatusCode) throw new InvalidOperationException(await answer.Content.ReadAsStringAsync());
                    var results = (await answer.Content.ReadFromJsonAsync<JsonNode>())!["results"]!.AsArray();
                    var outcomes = results.Select((r, i) => new { prediction_id = (string)r!["prediction_id"]!, label = chunk[i].Label });
                    using var reported = await client.PostAsJsonAsync("/v1/outcomes", new { outcomes });
                    if (!reported.IsSuccessStatusCode) throw new InvalidOperationException(await reported.Content.ReadAsStringAsync());
                }
                var live = (await client.GetFromJsonAsync<JsonNode>($"/v1/adapters/spam/calibration/live?method={method}"))!["methods"]![0]!;
                var drift = live["drift"]!;
                Console.WriteLine($"| {method} | {split} ({part.Count}) | {live["outcomes"]} | {(double)live["live"]!["acc"]!:F3} | {(double)live["live"]!["ece"]!:F3} | " +
                    $"{(double)live["live"]!["nll"]!:F3} | {(double?)drift["offline_ece"]:F3} | {(double?)drift["live_ece_lower"]:F3}-{(double?)drift["live_ece_upper"]:F3} | " +
                    $"{((bool)drift["flag"]! ? "**yes**" : "no")} |");
            }
        await Task.Delay(1500); // one monitor round
        var ready = (await client.GetFromJsonAsync<JsonNode>("/health/ready"))!;
        Console.WriteLine($"\n/health/ready calibration_drift: {ready["checks"]!["models"]!["data"]!["calibration_drift"]!.ToJsonString()}");
    }
}
