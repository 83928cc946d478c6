using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Sampling;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Support;

/// <summary>Random sampled posteriors over a tiny adapter's LoRA matrices, float64.</summary>
internal static class TinySampled
{
    public static BlobPosterior Blob(LoraAdapter mean, SigmaMapping mapping = SigmaMapping.Square, ulong seed = 5, string path = "(test)")
    {
        var generator = new Generator(seed, CPU);
        var g = mean.Modules.ToDictionary(m => m.ModulePath,
            m => 0.2 + 0.3 * rand(m.A.shape, ScalarType.Float64, CPU, generator: generator));
        return new BlobPosterior(path, mean, g, mapping, priorStd: 0.5);
    }

    public static SwagPosterior Swag(LoraAdapter mean, int k = 3, ulong seed = 6, string path = "(test)")
    {
        var generator = new Generator(seed, CPU);
        var moments = new Dictionary<string, SwagMoments>();
        foreach (var m in mean.Modules)
        {
            foreach (var (name, weight) in new[] { (m.NameA, m.A), (m.NameB, m.B) })
            {
                var variance = 0.01 + 0.05 * rand(weight.shape, ScalarType.Float64, CPU, generator: generator);
                var deviations = k > 0 ? 0.1 * randn(new[] { k, weight.shape[0], weight.shape[1] }, ScalarType.Float64, CPU, generator: generator) : null;
                moments[name] = new SwagMoments(weight.to(ScalarType.Float64), variance + weight.to(ScalarType.Float64).square(), deviations);
            }
        }
        return new SwagPosterior(path, mean, moments, k, scale: 0.5, snapshots: Math.Max(k, 1) + 2);
    }

    public static ParticlePosterior Particles(LoraAdapter structure, int members, ParticleTraining training = ParticleTraining.Independent, ulong seed = 7)
    {
        var generator = new Generator(seed, CPU);
        var adapters = Enumerable.Range(0, members).Select(_ => new LoraAdapter(structure.Id, structure.Config,
            structure.Modules.Select(m => new LoraModule(m.ModulePath,
                m.A + 0.3 * randn(m.A.shape, ScalarType.Float64, CPU, generator: generator),
                m.B + 0.3 * randn(m.B.shape, ScalarType.Float64, CPU, generator: generator), m.Scale)).ToList(),
            structure.SavedModules)).ToList();
        return ParticlePosterior.FromMembers("(test)", adapters, training);
    }

    /// <summary>An adapter with the weights of row <paramref name="row"/> of <paramref name="draws"/>.</summary>
    public static LoraAdapter RowAdapter(LoraAdapter structure, IReadOnlyDictionary<string, RowLoraWeights> draws, int row) =>
        new(structure.Id, structure.Config,
            structure.Modules.Select(m => new LoraModule(m.ModulePath, draws[m.ModulePath].A[row].contiguous(), draws[m.ModulePath].B[row].contiguous(), m.Scale)).ToList(),
            structure.SavedModules);
}
