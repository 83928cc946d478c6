using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

public class ValidationTests(SharedService service) : IClassFixture<SharedService>
{
    private readonly HttpClient client = service.Client;

    public static TheoryData<string, string, string> InvalidBodies => new()
    {
        // body, field named, a word of the problem
        { """{"prompts":["x"]}""", "adapter", "required" },
        { """{"adapter":"yes-no"}""", "prompts", "exactly one" },
        { """{"adapter":"yes-no","prompts":["x"],"inputs":[{"question":"q"}]}""", "prompts", "exactly one" },
        { """{"adapter":"yes-no","prompts":[]}""", "prompts", "1..32" },
        { """{"adapter":"yes-no","prompts":[""]}""", "prompts[0]", "non-empty" },
        { """{"adapter":"yes-no","prompts":["ok", null]}""", "prompts[1]", "non-empty" },
        { """{"adapter":"yes-no","inputs":[{}]}""", "inputs[0].question", "required" },
        { """{"adapter":"yes-no","inputs":[{"question":"q","extra":"x"}]}""", "inputs[0].extra", "not a field" },
        { """{"adapter":"yes-no","prompts":["x"],"labels":["only-one"]}""", "labels", "2..64" },
        { """{"adapter":"yes-no","prompts":["x"],"labels":["yes","yes"]}""", "labels", "distinct" },
        { """{"adapter":"yes-no","prompts":["x"],"labels":["yes","definitely not spam","no ham here"]}""", "labels", "'definitely not spam', 'no ham here'" },
        { """{"adapter":"multiple-choice","prompts":["x"],"method":"swag"}""", "method", "available: map, laplace" },
        { """{"adapter":"yes-no","prompts":["x"],"method":"bayes"}""", "method", "available: map, laplace, blob, swag, ensemble, svgd, mc_dropout" },
        { """{"adapter":"yes-no","prompts":["x"],"samples":0}""", "samples", "1..10000" },
        { """{"adapter":"yes-no","prompts":["x"],"samples":10001}""", "samples", "1..10000" },
        { """{"adapter":"yes-no","prompts":["x"],"covariance":"half"}""", "covariance", "full, diag, none" },
        { """{"adapter":"yes-no","prompts":["x"],"approximation":"laplace"}""", "approximation", "mc, probit" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task InvalidRequestIs422NamingTheField(string body, string field, string problem)
    {
        var response = await client.PostAsync("/v1/classify", Json.Body(body));
        var problemDetails = await response.AssertProblem(422, field, problem);
        Assert.NotNull(problemDetails["errors"]![field]);
    }

    [Fact]
    public async Task TooManyPromptsIs422()
    {
        var response = await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = Enumerable.Repeat("x", 33).ToArray() });
        await response.AssertProblem(422, "prompts", "33 prompts");
    }

    [Fact]
    public async Task PromptOverTheTokenLimitIs422()
    {
        var response = await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = new[] { "ok", string.Join(' ', Enumerable.Repeat("word", 1100)) } });
        await response.AssertProblem(422, "prompts[1]", "tokens; the limit is 1024");
    }

    [Fact]
    public async Task PromptOverTheCharacterLimitIs422()
    {
        var response = await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = new[] { new string('a', 40_000) } });
        await response.AssertProblem(422, "prompts[0]", "characters");
    }

    [Fact]
    public async Task UnknownAdapterIs404NamingIt()
    {
        var response = await client.PostJson("/v1/classify", new { adapter = "nope", prompts = new[] { "x" } });
        await response.AssertProblem(404, "nope", "adapter");
    }

    [Fact]
    public async Task SeveralProblemsAreReportedTogether()
    {
        var response = await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = new[] { "x" }, samples = -1, covariance = "x" });
        var problem = await response.AssertProblem(422, "samples", "covariance");
        Assert.Equal(2, problem["errors"]!.AsObject().Count);
    }

    public static TheoryData<string, string?, string> MalformedBodies => new()
    {
        { "{not json", "application/json", "not a valid request" },
        { """{"adapter":"yes-no","prompts":"x"}""", "application/json", "$.prompts" },
        { """{"adapter":"yes-no","prompts":["x"],"samples":"many"}""", "application/json", "$.samples" },
        { """{"adapter":"yes-no","prompts":["x"],"samples":1e400}""", "application/json", "$.samples" },
        { """{"adapter":"yes-no","prompts":["x"],"samples":NaN}""", "application/json", "not a valid request" },
        { """{"adapter":"yes-no","prompts":["x"],"seed":-1}""", "application/json", "$.seed" },
        { """{"adapter":"yes-no","prompts":["x"],"temperature":2}""", "application/json", "unknown field" },
        { "null", "application/json", "null" },
        { "[1,2]", "application/json", "not a valid request" },
        { "", "application/json", "not a valid request" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task MalformedBodyIs400SayingWhere(string body, string? contentType, string named)
    {
        var content = new StringContent(body, System.Text.Encoding.UTF8, contentType ?? "application/json");
        var response = await client.PostAsync("/v1/classify", content);
        await response.AssertProblem(400, named);
    }

    [Fact]
    public async Task NonJsonContentTypeIs415ProblemDetails()
    {
        var response = await client.PostAsync("/v1/classify",
            new StringContent("""{"adapter":"yes-no","prompts":["x"]}""", System.Text.Encoding.UTF8, "text/plain"));
        await response.AssertProblem(415);
    }

    [Fact]
    public async Task UnicodeAndControlCharactersArePlainText()
    {
        var response = await client.PostJson("/v1/classify", new { adapter = "yes-no", prompts = new[] { "\u0000\u0007 héllo 🤖 \u202e\r\n\t" }, method = "map" });
        Assert.Equal(200, (int)response.StatusCode);
    }
}
