using Spectre.Console;
using UncertaintyService.Core.Laplace;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>Lists a freshly fitted sampled posterior in the adapter's posterior.json, keeping what else it lists.</summary>
public static class SampledPosteriorOutput
{
    /// <param name="makeDefault">Serve this method when a request names none.</param>
    public static void Register(string adapterFolder, string method, string fileName, int samples, bool makeDefault)
    {
        var path = Path.Combine(adapterFolder, PosteriorConfig.FileName);
        using var guard = AdapterFolderLock.Hold(adapterFolder);
        var existing = File.Exists(path) ? PosteriorConfig.Load(path) : null;
        var config = (existing ?? new PosteriorConfig { Method = method }).WithSampled(method, new SampledMethodEntry { File = fileName, Samples = samples });
        if (makeDefault) config = config with { Method = method };
        config.Validate(path);
        config.Save(path);
        AnsiConsole.MarkupLine($"posterior.json lists {string.Join(", ", config.AvailableMethods())}; default {config.Method}");
    }
}
