using System.Net;
using System.Text.Json.Nodes;
using PuppeteerSharp;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

/// <summary>
/// The page at / in a real browser: Debian's chromium, driven headless through the DevTools protocol
/// (PuppeteerSharp, no browser download), over the committed demo bundle served by the service process.
/// It must list the adapters, draw a reliability diagram from calibration.json and show a prediction.
/// </summary>
public class PageTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task ThePageShowsTheAdaptersACalibrationDiagramAndAPrediction()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (bash .ci/run does)");
        var (process, output, client) = await ServiceProcess.Start(RepositoryFiles.Path("models"), new Dictionary<string, string>());
        using var _ = process;
        using var __ = client;
        try
        {
            // The diagrams are served as SVG at a stable route too.
            var svg = await client.GetAsync("/v1/adapters/wordnet-mcq/reliability/test/laplace.svg");
            Assert.Equal(HttpStatusCode.OK, svg.StatusCode);
            Assert.Equal("image/svg+xml", svg.Content.Headers.ContentType?.MediaType);
            Assert.Contains("class=\"bin\"", await svg.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/adapters/wordnet-mcq/reliability/test/nope.svg")).StatusCode);

            await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            });
            await using var page = await browser.NewPageAsync();
            await page.SetViewportAsync(new ViewPortOptions { Width = 1100, Height = 1400 });
            var errors = new List<string>();
            page.Console += (_, e) => { if (e.Message.Type == ConsoleType.Error) errors.Add($"{e.Message.Text} {e.Message.Location?.URL}"); };
            await page.GoToAsync(client.BaseAddress!.ToString(), WaitUntilNavigation.Networkidle0);

            var adapters = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#adapters button')].map(b => b.dataset.adapter)");
            Assert.Equal(["spam", "vader-reward", "wordnet-mcq"], adapters.Order());

            await page.ClickAsync("button[data-adapter='wordnet-mcq']");
            await page.WaitForFunctionAsync("() => document.getElementById('adapter-title').textContent === 'wordnet-mcq'");
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('img.diagram')].some(i => i.complete && i.naturalWidth > 0)");
            int rows = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#calibration tr').length");
            Assert.True(rows > 10, $"{rows} rows in the calibration table");

            await page.TypeAsync("input[name=text]", "a flow of water");
            foreach (var (field, value) in new[] { ("a", "noun.act"), ("b", "noun.object"), ("c", "noun.state"), ("d", "noun.time") })
                await page.TypeAsync($"input[name={field}]", value);
            await page.SelectAsync("#method", "laplace");
            await page.ClickAsync("#ask button[type=submit]");
            await page.WaitForSelectorAsync("#prediction .bar", new WaitForSelectorOptions { Timeout = 60_000 });
            string answer = await page.EvaluateExpressionAsync<string>("document.getElementById('answer').innerText");
            Assert.Contains("prediction", answer);
            Assert.Contains("epistemic", answer);
            int bars = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#prediction .bar').length");
            Assert.Equal(4, bars);

            // Outcomes reported for two answers appear as the live diagram over the test split's.
            var asked = JsonNode.Parse(await (await client.PostAsync("/v1/classify", Json.Body("""
                {"adapter":"wordnet-mcq","method":"laplace","samples":200,"prompts":["Sense: a flow of water\nA. act\nB. object\nC. state\nD. time\nAnswer:","Sense: a large cat\nA. animal\nB. plant\nC. act\nD. time\nAnswer:"]}
                """))).Content.ReadAsStringAsync())!;
            var outcomes = asked["results"]!.AsArray().Select((r, i) => new { prediction_id = (string)r!["prediction_id"]!, label = i == 0 ? "B" : "A" });
            Assert.Equal(HttpStatusCode.OK, (await client.PostJson("/v1/outcomes", new { outcomes })).StatusCode);
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#split option')].some(o => o.value === 'live')");
            await page.SelectAsync("#split", "live");
            await page.WaitForFunctionAsync(
                "() => [...document.querySelectorAll('img.diagram')].some(i => i.src.includes('/reliability/live/laplace.svg') && i.complete && i.naturalWidth > 0)");
            var liveSvg = await client.GetStringAsync("/v1/adapters/wordnet-mcq/reliability/live/laplace.svg");
            Assert.Contains("class=\"live-bin\"", liveSvg);
            Assert.Matches("live ECE [0-9.]+ · acc [0-9.]+ · n 2<", liveSvg[liveSvg.IndexOf("live ECE")..]);
            await page.SelectAsync("#split", "test");
            Assert.True(errors.Count == 0, string.Join("\n", errors));

            // What a person sees (README's docs/page.png is this file, taken after the form was answered).
            await page.EvaluateExpressionAsync("window.scrollTo(0, 0)");
            Directory.CreateDirectory(RepositoryFiles.Path("artifacts"));
            await page.ScreenshotAsync(RepositoryFiles.Path("artifacts/page.png"), new ScreenshotOptions { FullPage = false });
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
