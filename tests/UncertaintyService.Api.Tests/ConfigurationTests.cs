using Microsoft.Extensions.Options;
using UncertaintyService.Api.Tests.Support;

namespace UncertaintyService.Api.Tests;

/// <summary>A setting outside its range stops start-up with its key named, in every section, nested ones included.</summary>
public sealed class ConfigurationTests : IDisposable
{
    private readonly TestModelRoot models = new();

    public void Dispose() => models.Dispose();

    [Fact]
    public async Task ARangeBrokenInANestedSectionStopsStartUpNamingTheKey()
    {
        await using var factory = new ServiceFactory(models, new Dictionary<string, string?>
        {
            ["UncertaintyService:Limits:MaxPromptsPerRequest"] = "0",
            ["UncertaintyService:Outcomes:WindowOutcomes"] = "0",
            ["UncertaintyService:Batching:QueueCapacity"] = "-1",
        });

        var refused = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("UncertaintyService:Limits:MaxPromptsPerRequest:", refused.Message);
        Assert.Contains("UncertaintyService:Outcomes:WindowOutcomes:", refused.Message);
        Assert.Contains("UncertaintyService:Batching:QueueCapacity:", refused.Message);
    }
}
