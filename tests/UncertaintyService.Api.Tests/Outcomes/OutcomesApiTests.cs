using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using UncertaintyService.Api.Outcomes;
using UncertaintyService.Api.Tests.Support;
using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Synthetic;

namespace UncertaintyService.Api.Tests.Outcomes;

/// <summary>
/// The loop through the service, on SQLite and on a real PostgreSQL server alike: answers carry prediction ids,
/// applications report outcomes, live calibration scores exactly what was answered, drift fires after a shift
/// and not before, and the store outlives a restart.
/// </summary>
[Collection(nameof(PostgresCollection))]
public sealed class OutcomesApiTests(PostgresServer postgres) : IDisposable
{
    private readonly TestModelRoot models = new();

    public void Dispose() => models.Dispose();

    private Dictionary<string, string?> Store(string store, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["UncertaintyService:Outcomes:PostgresConnectionString"] = store == "postgresql" ? postgres.NewDatabase() : "",
            ["UncertaintyService:Outcomes:EvaluateSeconds"] = "3600", // the tests evaluate when they choose
        };
        foreach (var (key, value) in more ?? []) settings[key] = value;
        return settings;
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task LiveCalibrationScoresExactlyWhatWasAnsweredAndBadOutcomesAreNamedWhileTheRestIsKept(string store)
    {
        await using var factory = new ServiceFactory(models, Store(store));
        var client = await factory.ReadyClient();
        var prompts = Enumerable.Range(0, 32).Select(i => $"Question {i}: is it so?\nAnswer:").ToArray();
        var answer = await Ok(client, "/v1/classify", new { adapter = "yes-no", prompts, method = "laplace", seed = 3, covariance = "none" });
        var results = answer["results"]!.AsArray();
        var ids = results.Select(r => (string)r!["prediction_id"]!).ToList();
        Assert.Equal(32, ids.Distinct().Count());
        Assert.All(ids, id => Assert.NotNull(PredictionIds.MadeAt(id)));

        // Truths drawn from the answered probabilities themselves (calibrated by construction).
        var random = new Random(11);
        var labels = results.Select(r => (string)r!["labels"]![random.NextDouble() < (double)r["probabilities"]!["sampled_mean"]![0]! ? 0 : 1]!).ToList();
        var first = await client.PostJson("/v1/outcomes", new { outcomes = ids.Take(24).Select((id, i) => new { prediction_id = id, label = labels[i] }) });
        Assert.Equal(24, (int)(await first.ReadNode())["accepted"]!);

        // One bad batch: each problem named by its entry, the good entries kept.
        var mixed = await client.PostJson("/v1/outcomes", new
        {
            outcomes = new object[]
            {
                new { prediction_id = ids[24], label = labels[24] },
                new { prediction_id = ids[0], label = labels[0] },                               // already has one
                new { prediction_id = ids[25], label = "maybe" },                                 // not a label
                new { prediction_id = "0190f5a0-0000-7000-8000-000000000000", label = "yes" },   // made in 2024: expired
                new { prediction_id = PredictionIds.New(DateTimeOffset.UtcNow), label = "yes" }, // never answered
                new { prediction_id = ids[26], vote_fraction = 0.9 },                            // not a pair
                new { prediction_id = ids[27], label = labels[27] },
                new { prediction_id = ids[27], label = labels[27] },                             // twice in one batch
            },
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, mixed.StatusCode);
        var problem = await mixed.ReadNode();
        Assert.Equal(2, (int)problem["accepted"]!);
        var errors = problem["errors"]!.AsObject();
        Assert.Equal(["outcomes[1].prediction_id", "outcomes[2].label", "outcomes[3].prediction_id", "outcomes[4].prediction_id",
            "outcomes[5].vote_fraction", "outcomes[7].prediction_id"], errors.Select(e => e.Key).Order());
        Assert.Contains("already has an outcome", (string)errors["outcomes[1].prediction_id"]![0]!);
        Assert.Contains("has expired", (string)errors["outcomes[3].prediction_id"]![0]!);
        Assert.Contains("is unknown", (string)errors["outcomes[4].prediction_id"]![0]!);

        var live = await Ok(client, "/v1/adapters/yes-no/calibration/live?method=laplace&target_accuracy=0.5", null);
        var laplace = live["methods"]!.AsArray().Single()!;
        Assert.Equal(26, (int)laplace["outcomes"]!);
        Assert.Equal(32, (long)laplace["predictions"]!);
        Assert.Equal(26.0 / 32, (double)laplace["outcome_coverage"]!, 12);
        // The direct computation over the 26 answers that got outcomes: what the response said, against the truths.
        int[] scored = [.. Enumerable.Range(0, 25), 27];
        var direct = CalibrationMetricsCalculator.Compute(
            scored.Select(i => results[i]!["probabilities"]!["sampled_mean"]!.AsArray().Select(p => (double)p!).ToArray()).ToArray(),
            scored.Select(i => labels[i] == "yes" ? 0 : 1).ToArray(), 15,
            scored.Select(i => (string)results[i]!["prediction"]! == "yes" ? 0 : 1).ToArray());
        Assert.Equal(direct.Acc, (double)laplace["live"]!["acc"]!, 12);
        Assert.Equal(direct.Ece, (double)laplace["live"]!["ece"]!, 12);
        Assert.Equal(direct.Nll, (double)laplace["live"]!["nll"]!, 12);
        Assert.Equal(direct.Brier, (double)laplace["live"]!["brier"]!, 12);
        Assert.Equal(direct.Bins!.Select(b => b.Count), laplace["live"]!["bins"]!.AsArray().Select(b => (int)b!["count"]!));
        Assert.False((bool)laplace["drift"]!["flag"]!);
        Assert.Equal(0.5, (double)laplace["selective"]!["target_accuracy"]!);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task ThePreferredResponseOrTheVoteFractionIsAPairsOutcome(string store)
    {
        RewardDemoAdapter.Write(models.Bundle, "reward", seed: 9);
        await using var factory = new ServiceFactory(models, Store(store));
        var client = await factory.ReadyClient();
        var pairs = Enumerable.Range(0, 3).Select(i => new { prompt = "Which word is more positive?", chosen = $"good {i}", rejected = $"bad {i}" }).ToArray();
        var answer = await Ok(client, "/v1/reward", new { adapter = "reward", pairs, method = "laplace", seed = 1 });
        var ids = answer["pairs"]!.AsArray().Select(p => (string)p!["prediction_id"]!).ToList();
        var items = await Ok(client, "/v1/reward", new { adapter = "reward", items = new[] { new { prompt = "Which word?", response = "good" } } });
        Assert.Null(items["items"]![0]!["prediction_id"]); // single scores have no outcome to report

        var response = await client.PostJson("/v1/outcomes", new
        {
            outcomes = new object[]
            {
                new { prediction_id = ids[0], label = "chosen" },
                new { prediction_id = ids[1], vote_fraction = 0.25 },
                new { prediction_id = ids[2], vote_fraction = 0.5 },
            },
        });
        var problem = await response.ReadNode();
        Assert.Equal(2, (int)problem["accepted"]!);
        Assert.Contains("other than 0.5", (string)problem["errors"]!["outcomes[2].vote_fraction"]![0]!);

        var live = (await Ok(client, "/v1/adapters/reward/calibration/live?method=laplace", null))["methods"]![0]!;
        Assert.Equal(2, (int)live["outcomes"]!);
        var p = answer["pairs"]!.AsArray().Select(x => (double)x!["p_chosen_preferred"]!).ToArray();
        // Pair 0: chosen preferred (label 0); pair 1: a quarter of votes for chosen, so rejected preferred (label 1).
        var direct = CalibrationMetricsCalculator.Compute([[p[0], 1 - p[0]], [p[1], 1 - p[1]]], [0, 1], 15,
            [p[0] >= 0.5 ? 0 : 1, p[1] >= 0.5 ? 0 : 1]);
        Assert.Equal(direct.Nll, (double)live["live"]!["nll"]!, 12);
        Assert.Equal(direct.Acc, (double)live["live"]!["acc"]!, 12);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task DriftFiresAfterAShiftAndNotBeforeInTheMetricsReadinessAndLog(string store)
    {
        // Offline, laplace was perfectly calibrated on the test split (ECE 0).
        new CalibrationReport
        {
            Splits = new Dictionary<string, IReadOnlyDictionary<string, CalibrationMetrics>>
            {
                ["test"] = new Dictionary<string, CalibrationMetrics> { ["laplace"] = new() { Acc = 0.7, Ece = 0.0, N = 100, Bins = [] } },
            },
        }.Save(Path.Combine(models.AdapterFolder("yes-no"), CalibrationReport.FileName));
        await using var service = new ServiceFactory(models, Store(store, new()
        {
            ["UncertaintyService:Outcomes:DriftMinOutcomes"] = "60",
            ["UncertaintyService:Outcomes:DriftMargin"] = "0.1",
            ["UncertaintyService:Outcomes:WindowOutcomes"] = "60",
        }));
        var logs = new CollectingLoggerProvider();
        await using var factory = service.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(logs)));
        var client = factory.CreateClient();
        while ((await client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK) await Task.Delay(50);
        var monitor = factory.Services.GetRequiredService<LiveCalibrationMonitor>();

        async Task Report(int seed, bool shifted)
        {
            var prompts = Enumerable.Range(0, 30).Select(i => $"Case {seed}-{i}: is it so?\nAnswer:").ToArray();
            foreach (var half in new[] { prompts[..15], prompts[15..] })
            {
                var answer = await Ok(client, "/v1/classify", new { adapter = "yes-no", prompts = half, method = "laplace", seed, covariance = "none" });
                var random = new Random(seed);
                var outcomes = answer["results"]!.AsArray().Select(r =>
                {
                    double pYes = (double)r!["probabilities"]!["sampled_mean"]![0]!;
                    // Before: truths drawn from the answered probabilities. After: always the class the service found less likely.
                    bool yes = shifted ? pYes < 0.5 : random.NextDouble() < pYes;
                    return new { prediction_id = (string)r["prediction_id"]!, label = yes ? "yes" : "no" };
                }).ToList();
                Assert.Equal(HttpStatusCode.OK, (await client.PostJson("/v1/outcomes", new { outcomes })).StatusCode);
            }
        }

        await Report(1, shifted: false);
        await Report(2, shifted: false);
        monitor.EvaluateAll();
        Assert.Empty(monitor.Drifting);
        Assert.DoesNotContain(logs.Lines, l => l.Contains("Calibration drift"));
        Assert.Empty((await Ok(client, "/health/ready", null))["checks"]!["models"]!["data"]!["calibration_drift"]!.AsArray());

        await Report(3, shifted: true);
        await Report(4, shifted: true);
        monitor.EvaluateAll();
        Assert.Equal(["yes-no/laplace"], monitor.Drifting);
        Assert.Single(logs.Lines, l => l.StartsWith("Warning") && l.Contains("Calibration drift on yes-no/laplace: live ECE is at least"));
        Assert.Equal("yes-no/laplace", (string)(await Ok(client, "/health/ready", null))["checks"]!["models"]!["data"]!["calibration_drift"]![0]!);
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("uncertainty_calibration_live{otel_scope_name=\"UncertaintyService\",adapter=\"yes-no\",method=\"laplace\",metric=\"drift\"} 1", metrics);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task TheStoreOutlivesARestartAndOutcomesForEarlierAnswersAreTaken(string store)
    {
        var settings = Store(store);
        List<string> ids;
        await using (var before = new ServiceFactory(models, settings))
        {
            var client = await before.ReadyClient();
            var answer = await Ok(client, "/v1/classify", new { adapter = "yes-no", prompts = new[] { "A?\nAnswer:", "B?\nAnswer:", "C?\nAnswer:" }, method = "map" });
            ids = answer["results"]!.AsArray().Select(r => (string)r!["prediction_id"]!).ToList();
        } // stopping drains the writer

        await using var after = new ServiceFactory(models, settings);
        var restarted = await after.ReadyClient();
        var response = await restarted.PostJson("/v1/outcomes", new { outcomes = ids.Select(id => new { prediction_id = id, label = "no" }) });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var live = (await Ok(restarted, "/v1/adapters/yes-no/calibration/live?method=map", null))["methods"]![0]!;
        Assert.Equal(3, (int)live["outcomes"]!);
    }

    [Fact]
    public async Task WhenTheDatabaseGoesAwayRequestsAreStillAnsweredAndTheOutcomeRoutesSay503()
    {
        var settings = Store("postgresql");
        await using var factory = new ServiceFactory(models, settings);
        var client = await factory.ReadyClient();
        var database = new Npgsql.NpgsqlConnectionStringBuilder(settings["UncertaintyService:Outcomes:PostgresConnectionString"]).Database!;
        postgres.Drop(database);

        var answer = await Ok(client, "/v1/classify", new { adapter = "yes-no", prompts = new[] { "A?\nAnswer:", "B?\nAnswer:" }, method = "map" });
        var id = (string)answer["results"]![0]!["prediction_id"]!;
        var outcome = await client.PostJson("/v1/outcomes", new { outcomes = new[] { new { prediction_id = id, label = "yes" } } });
        await outcome.AssertProblem(503, "Outcome store unavailable");
        Assert.NotNull(outcome.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/v1/adapters/yes-no/calibration/live")).StatusCode);
        // The two answers the writer could not store are counted as dropped; the service still answers.
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("uncertainty_outcomes_dropped_total{otel_scope_name=\"UncertaintyService\"} 2", metrics);
        await Ok(client, "/v1/classify", new { adapter = "yes-no", prompts = new[] { "C?\nAnswer:" }, method = "map" });
    }

    [Fact]
    public async Task WithTheStoreOffThereAreNoIdsAndTheRoutesSaySo()
    {
        await using var factory = new ServiceFactory(models, new Dictionary<string, string?> { ["UncertaintyService:Outcomes:Enabled"] = "false" });
        var client = await factory.ReadyClient();
        var answer = await Ok(client, "/v1/classify", new { adapter = "yes-no", prompts = new[] { "A?\nAnswer:" }, method = "map" });
        Assert.Null(answer["results"]![0]!["prediction_id"]);
        var response = await client.PostJson("/v1/outcomes", new { outcomes = new[] { new { prediction_id = "x", label = "yes" } } });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Outcomes:Enabled", await response.Content.ReadAsStringAsync());
        Assert.False(Directory.Exists(Path.Combine(models.Root, "outcomes-data")));
    }

    private static async Task<JsonNode> Ok(HttpClient client, string path, object? body)
    {
        var response = body is null ? await client.GetAsync(path) : await client.PostJson(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }
}
