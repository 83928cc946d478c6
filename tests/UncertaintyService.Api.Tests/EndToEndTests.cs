using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

/// <summary>The real service process on a loopback port, as a user starts it.</summary>
public class EndToEndTests : IDisposable
{
    private readonly TestModelRoot models = new();

    [Fact]
    public async Task ServiceProcessServesClassifyAndDrainsOnShutdown()
    {
        var outcomes = Path.Combine(models.Root, "outcomes-e2e");
        var (process, output, client) = await ServiceProcess.Start(models.Root, new Dictionary<string, string>
        {
            ["UncertaintyService__Outcomes__DataFolder"] = outcomes,
        });
        using var _ = process;
        using var __ = client;
        try
        {

            var response = await client.PostJson("/v1/classify", new { adapter = "yes-no", inputs = new[] { new { question = "Is it?" } }, seed = 1 });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(2, (await response.ReadNode())["results"]![0]!["logit_covariance"]!.AsArray().Count);

            // A request in flight when SIGTERM arrives still gets its answer.
            var inFlight = client.PostJson("/v1/classify", new
            {
                adapter = "multiple-choice",
                prompts = Enumerable.Range(0, 32).Select(i => $"q{i}").ToArray(),
                samples = 10_000,
            });
            await Task.Delay(100);
            Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
            Assert.Equal(HttpStatusCode.OK, (await inFlight).StatusCode);
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "the service did not stop after SIGTERM");
            Assert.Equal(0, process.ExitCode);
            // Every answer, the in-flight request's 32 too, was stored before the process ended.
            var store = new Api.Outcomes.OutcomeStore(Api.Outcomes.StoreDialect.Sqlite(Path.Combine(outcomes, "outcomes.db")));
            Assert.Equal((33L, 0L), store.Counts());
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task ShutdownFailsWhatIsLeftWith503OnceTheDrainTimeIsOver()
    {
        var (process, output, client) = await ServiceProcess.Start(models.Root, new Dictionary<string, string>
        {
            ["UncertaintyService__Batching__DrainSeconds"] = "1",
            ["UncertaintyService__Limits__MaxPromptTokens"] = "64",
            ["UncertaintyService__Batching__ChunkTokens"] = "128",
            ["UncertaintyService__Limits__MaxRequestCost"] = "200000",
            ["UncertaintyService__Batching__MaxQueuedCost"] = "400000",
        });
        using var _ = process;
        using var __ = client;
        try
        {
            // 2,048 MC-dropout rows in two-row chunks: far longer than the drain time.
            var inFlight = client.PostJson("/v1/classify", new
            {
                adapter = "yes-no",
                method = "mc_dropout",
                samples = 64,
                prompts = Enumerable.Range(0, 32).Select(i => $"Question {i}: is this sentence, which goes on for quite a while so that it is long enough to fill most of the sixty-four tokens a prompt may have here, true?").ToArray(),
            });
            await Task.Delay(500);
            var clock = Stopwatch.StartNew();
            Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
            await (await inFlight).AssertProblem(503, "stopped before this request could finish");
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "the service did not stop after SIGTERM");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"stopping took {clock.Elapsed} with a drain time of 1 s");
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task BadTransfersAndClientsThatLeaveGet4xxOrNothingNeverA500OrAnErrorLog()
    {
        var (process, output, client) = await ServiceProcess.Start(models.Root, new Dictionary<string, string> { ["UncertaintyService__Limits__MaxBodyBytes"] = "100000" });
        using var _ = process;
        using var __ = client;
        int port = client.BaseAddress!.Port;
        try
        {
            // A body over Limits:MaxBodyBytes, declared up front: 413 before it is read.
            var big = await client.PostAsync("/v1/classify", Json.Body($$"""{"adapter":"yes-no","prompts":["{{new string('x', 200_000)}}"]}"""));
            await big.AssertProblem(413, "MaxBodyBytes");
            await Task.Delay(300);
            Assert.False(Snapshot(output).Contains("fail:", StringComparison.Ordinal), "after 413: " + Snapshot(output));

            // The amplifier, 2,000,000 unknown template fields (28 MB), announced by its length:
            // refused before it is sent, without the memory to read it.
            long rssBefore = ResidentBytes(process.Id);
            var clock = Stopwatch.StartNew();
            string refused = await Raw(port, "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 28000000\r\n\r\n{\"adapter\":\"yes-no\",\"inputs\":[{\"k0\":\"v\"");
            Assert.True(refused.StartsWith("HTTP/1.1 413", StringComparison.Ordinal), refused);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"refused after {clock.Elapsed}");
            long grown = ResidentBytes(process.Id) - rssBefore;
            Assert.True(grown < 100L << 20, $"resident memory grew by {grown >> 20} MiB");

            // A chunk size no one can send: 400.
            string answer = await Raw(port, "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n{}\r\n0\r\n\r\n");
            Assert.True(answer.StartsWith("HTTP/1.1 400", StringComparison.Ordinal), $"{answer}\n{Snapshot(output)}");
            await Task.Delay(300);
            Assert.False(Snapshot(output).Contains("fail:", StringComparison.Ordinal), "after chunk: " + Snapshot(output));

            // Twenty clients that reset the connection halfway through their body.
            await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => ResetMidBody(port)));

            var fine = await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = new[] { "Is it?" }, method = "map" });
            Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
            string metrics = await client.GetStringAsync("/metrics");
            Assert.DoesNotContain("http_response_status_code=\"500\"", metrics);
            await Task.Delay(200);
            lock (output)
            {
                Assert.False(output.ToString().Contains("fail:", StringComparison.Ordinal), output.ToString());
                Assert.DoesNotContain("Unhandled", output.ToString());
            }
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    // In its own process: in-process hosts of other test classes register the same meter name, and
    // OpenTelemetry keeps the first instrument of a name, so counts read in process would mix hosts.
    [Fact]
    public async Task EveryOutcomeIsCountedByStatusClassAndKindWithMillisecondBuckets()
    {
        var (process, output, client) = await ServiceProcess.Start(models.Root, new Dictionary<string, string>());
        using var _ = process;
        using var __ = client;
        try
        {
            await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = new[] { "x" }, method = "map" });
            await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = new[] { "x" }, samples = -1 });
            await client.PostJson("/v1/classify", new { adapter = "nope", prompts = new[] { "x" } });
            await client.PostAsync("/v1/classify", new StringContent("{}", System.Text.Encoding.UTF8, "text/plain"));
            await client.PostAsync("/v1/classify", Json.Body("{not json"));

            var text = await client.GetStringAsync("/metrics");
            string[] lines = text.Split('\n').Where(l => l.StartsWith("uncertainty_requests_total{", StringComparison.Ordinal)).ToArray();
            bool Has(params string[] parts) => lines.Any(l => parts.All(p => l.Contains(p, StringComparison.Ordinal)));
            Assert.True(Has("status_class=\"2xx\"", "kind=\"ok\"", "method=\"map\""), string.Join("\n", lines));
            Assert.True(Has("status=\"422\"", "kind=\"Validation\""), string.Join("\n", lines));
            Assert.True(Has("status=\"404\"", "kind=\"NotFound\""), string.Join("\n", lines));
            Assert.True(Has("status=\"415\"", "status_class=\"4xx\""), string.Join("\n", lines));
            Assert.True(Has("status=\"400\"", "kind=\"MalformedRequest\""), string.Join("\n", lines));
            // Buckets from 1 ms on, not the default 0, 5, 10, 25 ... seconds.
            Assert.Contains("uncertainty_request_duration_seconds_bucket{", text);
            Assert.Contains("le=\"0.001\"", text);
            Assert.Contains("le=\"60\"", text);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task WithTheImagesLoggingSettingsEveryLineIsJsonAndEachRequestHasOneAccessLineWithItsTraceId()
    {
        // The environment docker/Dockerfile sets.
        var (process, output, client) = await ServiceProcess.Start(models.Root, new Dictionary<string, string>
        {
            ["Logging__Console__FormatterName"] = "json",
            ["Logging__Console__FormatterOptions__IncludeScopes"] = "true",
            ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "yyyy-MM-ddTHH:mm:ss.fffZ",
        });
        using var _ = process;
        using var __ = client;
        try
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/classify")
            {
                Content = Json.Body("""{"adapter":"yes-no","prompts":["Is it?"],"method":"map"}"""),
            };
            request.Headers.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
            await (await client.PostJson("/v1/classify", new { adapter = "yes-no" })).AssertProblem(422);
            await Task.Delay(300);

            var lines = Snapshot(output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var records = lines.Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!).ToList(); // every line is JSON
            Assert.All(records, r =>
            {
                Assert.NotNull(r["Timestamp"]);
                Assert.NotNull(r["LogLevel"]);
            });
            Assert.DoesNotContain(records, r => r["LogLevel"]!.GetValue<string>() is "Error" or "Critical");
            var access = records.Where(r => r["Category"]!.GetValue<string>().EndsWith("RequestOutcomes", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, access.Count);
            string first = access[0].ToJsonString();
            Assert.Contains("4bf92f3577b34da6a3ce929d0e0e4736", first); // the caller's trace id
            Assert.Contains("RequestId", first);
            Assert.Contains("\"Status\":200", first);
            Assert.Contains("\"Status\":422", access[1].ToJsonString());
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    private static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    private static string Snapshot(System.Text.StringBuilder output)
    {
        lock (output) return output.ToString();
    }

    private static async Task<string> Raw(int port, string request)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var stream = socket.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
        var buffer = new byte[4096];
        int read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return System.Text.Encoding.ASCII.GetString(buffer, 0, read);
    }

    private static async Task ResetMidBody(int port)
    {
        using var socket = new TcpClient { LingerState = new LingerOption(true, 0) }; // close with RST
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var stream = socket.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
            "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000\r\n\r\n{\"adapter\":\"yes-no\",\"prompts\":[\"" + new string('y', 20_000)));
        await Task.Delay(50);
        socket.Client.Close();
    }

    public void Dispose() => models.Dispose();
}
