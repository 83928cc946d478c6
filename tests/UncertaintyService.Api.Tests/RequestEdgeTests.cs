using System.Net;
using System.Text;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

/// <summary>The one JSON reading policy: exact-case names, no duplicates, bounded objects and errors, JSON in UTF-8 only.</summary>
public class RequestEdgeTests(SharedService service) : IClassFixture<SharedService>
{
    private readonly HttpClient client = service.Client;

    private Task<HttpResponseMessage> Post(string json, string contentType = "application/json") =>
        client.PostAsync("/v1/classify", new StringContent(json, Encoding.UTF8, contentType));

    [Fact]
    public async Task AKeyInAnotherCaseIsAnUnknownFieldNotASecondAdapter()
    {
        var response = await Post("""{"adapter":"yes-no","prompts":["x"],"Adapter":"multiple-choice","method":"map"}""");

        await response.AssertProblem(400, "$.Adapter", "unknown field");
    }

    [Fact]
    public async Task AKeyGivenTwiceIsRefused()
    {
        var response = await Post("""{"adapter":"yes-no","adapter":"multiple-choice","prompts":["x"]}""");

        await response.AssertProblem(400, "twice");
    }

    [Fact]
    public async Task ATemplateInputWithMoreFieldsThanTheLimitStopsBeingReadAtTheLimit()
    {
        var fields = string.Join(",", Enumerable.Range(0, 200_000).Select(i => $"\"k{i}\":\"v\""));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var response = await Post($$"""{"adapter":"yes-no","inputs":[{{{fields}}}]}""");

        await response.AssertProblem(400, "MaxTemplateFields");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task ManyBrokenRulesAreListedUpToTwentyThenCounted()
    {
        var fields = string.Join(",", Enumerable.Range(0, 50).Select(i => $"\"k{i}\":\"v\""));

        var response = await Post($$"""{"adapter":"yes-no","inputs":[{{{fields}}}]}""");

        var problem = await response.AssertProblem(422, "more problems not listed");
        Assert.True(problem["errors"]!.AsObject().Sum(e => e.Value!.AsArray().Count) <= 20);
        Assert.True(response.Content.Headers.ContentLength is null or < 10_000);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task AnythingButUtf8JsonIs415(string contentType)
    {
        var response = await client.PostAsync("/v1/classify",
            new StringContent("""{"adapter":"yes-no","prompts":["x"]}""", Encoding.UTF8, System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType)));

        await response.AssertProblem(415);
    }

    [Fact]
    public async Task AMissingContentTypeIs415()
    {
        var content = new ByteArrayContent("""{"adapter":"yes-no","prompts":["x"]}"""u8.ToArray());

        await (await client.PostAsync("/v1/classify", content)).AssertProblem(415, "Content-Type");
    }

    [Fact]
    public async Task InvalidUtf8IsSaidSo()
    {
        byte[] body = [.. """{"adapter":"yes-no","prompts":["""u8, (byte)'"', 0xC3, 0x28, (byte)'"', .. "]}"u8];
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        var response = await client.PostAsync("/v1/classify", content);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        await response.AssertProblem(400, "UTF-8");
    }

    [Fact]
    public async Task DeepNestingIsRefusedWhileReading()
    {
        var nested = new string('[', 5000) + new string(']', 5000);

        await (await Post($$"""{"adapter":"yes-no","prompts":{{nested}}}""")).AssertProblem(400);
    }

    [Theory]
    [InlineData("/v1/adapters")]
    [InlineData("/v1/models")]
    [InlineData("/v1/adapters/yes-no")]
    public async Task HeadOnAReadRouteIsAnsweredWithoutABody(string path)
    {
        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }
}
