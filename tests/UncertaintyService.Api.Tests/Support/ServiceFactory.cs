using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace UncertaintyService.Api.Tests.Support;

/// <summary>The real service in process over a generated bundle, with settings injected in memory.</summary>
public sealed class ServiceFactory : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key";
    private readonly Dictionary<string, string?> settings;

    public ServiceFactory(TestModelRoot models, IDictionary<string, string?>? overrides = null)
    {
        Models = models;
        settings = new Dictionary<string, string?>
        {
            ["UncertaintyService:ModelRoot"] = models.Root,
            ["UncertaintyService:Bundles:0:Name"] = "demo",
            ["UncertaintyService:Bundles:0:Path"] = "demo",
            ["UncertaintyService:Admin:ApiKey"] = AdminKey,
            ["UncertaintyService:Batching:MaxWaitMilliseconds"] = "2",
            // Each service its own outcome store, beside its models (not the shared default data/ folder).
            ["UncertaintyService:Outcomes:DataFolder"] = Path.Combine(models.Root, "outcomes-data"),
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) settings[key] = value;
    }

    public TestModelRoot Models { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
    }

    /// <summary>A client once /health/ready says the models are loaded.</summary>
    public async Task<HttpClient> ReadyClient()
    {
        var client = CreateClient();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string last = "";
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var response = await client.GetAsync("/health/ready");
            if (response.StatusCode == HttpStatusCode.OK) return client;
            last = await response.Content.ReadAsStringAsync();
            await Task.Delay(50);
        }
        throw new TimeoutException($"The service did not become ready within 60 s: {last}");
    }
}
