using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Core.Synthetic;

namespace UncertaintyService.Core.Tests.Support;

/// <summary>Random sampled posteriors over a tiny adapter's LoRA matrices (float64), with the tests' fixed seeds.</summary>
internal static class TinySampled
{
    public static BlobPosterior Blob(LoraAdapter mean, SigmaMapping mapping = SigmaMapping.Square, ulong seed = 5) =>
        RandomPosteriors.Blob(mean, seed, "(test)", mapping);

    public static SwagPosterior Swag(LoraAdapter mean, int k = 3, ulong seed = 6) => RandomPosteriors.Swag(mean, seed, k, "(test)");

    public static ParticlePosterior Particles(LoraAdapter structure, int members, ParticleTraining training = ParticleTraining.Independent, ulong seed = 7) =>
        RandomPosteriors.Particles(structure, members, seed, training, "(test)");

    /// <summary>An adapter with the weights of row <paramref name="row"/> of <paramref name="draws"/>.</summary>
    public static LoraAdapter RowAdapter(LoraAdapter structure, IReadOnlyDictionary<string, RowLoraWeights> draws, int row) =>
        new(structure.Id, structure.Config,
            structure.Modules.Select(m => new LoraModule(m.ModulePath, draws[m.ModulePath].A[row].contiguous(), draws[m.ModulePath].B[row].contiguous(), m.Scale)).ToList(),
            structure.SavedModules);
}
