using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;

namespace UncertaintyService.Core.Sampling;

/// <summary>Reads every sampled posterior a posterior.json lists, from the files beside it.</summary>
public static class SampledPosteriorLoader
{
    public static IReadOnlyDictionary<string, SampledPosterior> LoadAll(string adapterFolder, PosteriorConfig config, LoraAdapter adapter) =>
        config.SampledEntries().ToDictionary(p => p.Key, p => Load(adapterFolder, p.Key, p.Value, adapter));

    public static SampledPosterior Load(string adapterFolder, string method, SampledMethodEntry entry, LoraAdapter adapter)
    {
        var path = Path.Combine(adapterFolder, entry.File);
        SampledPosterior posterior = method switch
        {
            BlobPosterior.MethodName => BlobPosterior.Load(path, adapter),
            SwagPosterior.MethodName => SwagPosterior.Load(path, adapter),
            ParticlePosterior.EnsembleMethod => ParticlePosterior.Load(path, adapter, ParticleTraining.Independent),
            ParticlePosterior.SvgdMethod => ParticlePosterior.Load(path, adapter, ParticleTraining.Svgd),
            McDropoutPosterior.MethodName => McDropoutPosterior.Load(path, adapter),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "not a sampled method"),
        };
        if (posterior.MaxSamples is { } max && entry.Samples > max)
            throw new Formats.BundleFormatException(Path.Combine(adapterFolder, PosteriorConfig.FileName), $"{method}.samples",
                $"{entry.Samples} is more than the {max} members in {entry.File}");
        return posterior;
    }
}
