using System.Text;
using System.Text.Json.Nodes;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

/// <summary>Thousands of malformed or random bodies: never a 5xx, always ProblemDetails for a 4xx.</summary>
public class FuzzTests(SharedService service) : IClassFixture<SharedService>
{
    private static readonly string[] Fragments =
    [
        "{", "}", "[", "]", ",", ":", "\"", "null", "true", "false", "NaN", "Infinity", "-0", "1e400", "-1e400", "18446744073709551616",
        "-9223372036854775809", "0.5", "\"adapter\"", "\"prompts\"", "\"inputs\"", "\"labels\"", "\"samples\"", "\"seed\"", "\"method\"",
        "\"covariance\"", "\"approximation\"", "\"yes-no\"", "\"multiple-choice\"", "\"laplace\"", "\"map\"", "\"full\"", "\"\\u0000\"",
        "\"\\ud800\"", "\"🤖\"", "\"\u202e\"", "\"\\n\\r\\t\"", "\"question\"", "{\"question\":\"q\"}", "[\"x\"]", "[]", "{}", "\u0000", "\\",
    ];

    internal static string RandomBody(Random random)
    {
        switch (random.Next(8))
        {
            case 6: // the edge cases of the JSON policy: keys in another case, keys twice, many fields, deep nesting
                return random.Next(4) switch
                {
                    0 => "{\"adapter\":\"yes-no\",\"prompts\":[\"x\"],\"" + (random.Next(2) == 0 ? "Adapter" : "PROMPTS") + "\":\"multiple-choice\"}",
                    1 => "{\"adapter\":\"yes-no\",\"adapter\":\"multiple-choice\",\"prompts\":[\"x\"]}",
                    2 => "{\"adapter\":\"yes-no\",\"inputs\":[{" + string.Join(",", Enumerable.Range(0, random.Next(1, 5000)).Select(i => $"\"k{i}\":\"v\"")) + "}]}",
                    _ => "{\"adapter\":\"yes-no\",\"prompts\":" + new string('[', random.Next(10, 3000)) + "\"x\"" + new string(']', random.Next(10, 3000)) + "}",
                };
            case 7: // a valid body cut short or with a stray byte
                var valid = "{\"adapter\":\"yes-no\",\"prompts\":[\"Question: is it?\\nAnswer:\"],\"samples\":50}";
                return random.Next(2) == 0 ? valid[..random.Next(valid.Length)] : valid.Insert(random.Next(valid.Length), ((char)random.Next(1, 0x7f)).ToString());
            case 0: // random bytes as text
                return Encoding.Latin1.GetString(Enumerable.Range(0, random.Next(0, 200)).Select(_ => (byte)random.Next(256)).ToArray());
            case 1: // random fragments
                return string.Concat(Enumerable.Range(0, random.Next(1, 30)).Select(_ => Fragments[random.Next(Fragments.Length)]));
            default: // a valid request with one field replaced by something random
                var body = new JsonObject
                {
                    ["adapter"] = random.Next(4) == 0 ? "nope" : "yes-no",
                    ["prompts"] = new JsonArray("Question: is it?\nAnswer:"),
                    ["samples"] = 50,
                };
                string field = new[] { "adapter", "prompts", "inputs", "labels", "samples", "seed", "method", "covariance", "approximation", "extra" }[random.Next(10)];
                body[field] = RandomValue(random, 0);
                return body.ToJsonString();
        }
    }

    internal static JsonNode? RandomValue(Random random, int depth) => random.Next(depth > 2 ? 5 : 8) switch
    {
        0 => null,
        1 => random.Next(-5, 20000),
        2 => random.NextDouble() * Math.Pow(10, random.Next(-5, 300)),
        3 => new string((char)random.Next(0, 0xd7ff), random.Next(0, 50)),
        4 => random.Next(2) == 0,
        5 => new JsonArray(Enumerable.Range(0, random.Next(0, 5)).Select(_ => RandomValue(random, depth + 1)).ToArray()),
        6 => new JsonArray(Enumerable.Range(0, random.Next(0, 3000)).Select(i => (JsonNode?)$"l{i}").ToArray()),
        _ => new JsonObject { ["question"] = RandomValue(random, depth + 1), ["x"] = "y" },
    };

    [Fact]
    public async Task RandomBodiesNeverGive5xxAndErrorsAreProblemDetails()
    {
        var random = new Random(20261122);
        var statuses = new Dictionary<int, int>();
        for (int i = 0; i < 3000; i++)
        {
            var body = RandomBody(random);
            using var response = await service.Client.PostAsync("/v1/classify", new StringContent(body, Encoding.UTF8, "application/json"));
            int status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            Assert.True(status < 500, $"{status} for body {body}");
            if (status >= 400)
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.True(statuses.Keys.Count(s => s >= 400) >= 3, string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}")));
    }
}

/// <summary>The same for /v1/reward and its OpenRLHF alias, over a service with a reward adapter.</summary>
public class RewardFuzzTests(RewardService service) : IClassFixture<RewardService>
{
    // A valid reward request (items, pairs, or the OpenRLHF alias) with one field replaced by something random.
    private static (string Path, string Body) RandomRewardBody(Random random)
    {
        if (random.Next(4) == 0)
        {
            var query = new JsonObject { ["query"] = new JsonArray("How does this word feel? good") };
            query[new[] { "query", "prompts", "labels", "extra" }[random.Next(4)]] = FuzzTests.RandomValue(random, 0);
            return ("/v1/reward/reward/get_reward", query.ToJsonString());
        }
        var body = new JsonObject
        {
            ["adapter"] = random.Next(5) == 0 ? "yes-no" : "reward",
            ["pairs"] = new JsonArray(new JsonObject { ["prompt"] = "Which word?", ["chosen"] = "good", ["rejected"] = "bad" }),
            ["samples"] = 50,
        };
        string field = new[] { "adapter", "pairs", "items", "samples", "seed", "method", "approximation", "extra" }[random.Next(8)];
        body[field] = field == "pairs" && random.Next(2) == 0
            ? new JsonArray(new JsonObject { ["prompt"] = FuzzTests.RandomValue(random, 1), ["chosen"] = FuzzTests.RandomValue(random, 1), ["rejected"] = "bad" })
            : FuzzTests.RandomValue(random, 0);
        return ("/v1/reward", random.Next(10) == 0 ? FuzzTests.RandomBody(random) : body.ToJsonString());
    }

    [Fact]
    public async Task RandomRewardBodiesNeverGive5xxAndErrorsAreProblemDetails()
    {
        var random = new Random(20261123);
        var statuses = new Dictionary<int, int>();
        for (int i = 0; i < 1500; i++)
        {
            var (path, body) = RandomRewardBody(random);
            using var response = await service.Client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            int status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            Assert.True(status < 500, $"{status} for {path} body {body}");
            if (status >= 400)
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.True(statuses.GetValueOrDefault(200) > 0 && statuses.Keys.Count(s => s >= 400) >= 3, string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}")));
    }
}
