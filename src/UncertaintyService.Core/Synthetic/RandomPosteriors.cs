using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Sampling;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Synthetic;

/// <summary>
/// Random sampled posteriors around an adapter's weights, for the generated demo bundle and the
/// tests: valid distributions of the right shapes whose numbers carry no meaning. Spreads are
/// relative to each matrix's typical entry so samples perturb the logits without swamping them.
/// </summary>
public static class RandomPosteriors
{
    public static BlobPosterior Blob(LoraAdapter mean, ulong seed, string path = "(generated)", SigmaMapping mapping = SigmaMapping.Square, double spread = 0.5)
    {
        var generator = new Generator(seed, CPU);
        var g = mean.Modules.ToDictionary(m => m.ModulePath, m =>
        {
            var sigma = spread * Typical(m.A) * (0.5 + rand(m.A.shape, ScalarType.Float64, CPU, generator: generator));
            return mapping == SigmaMapping.Square ? sigma.sqrt() : (sigma.exp() - 1).log();
        });
        return new BlobPosterior(path, mean, g, mapping, priorStd: 0.2);
    }

    public static SwagPosterior Swag(LoraAdapter mean, ulong seed, int k = 3, string path = "(generated)", double spread = 0.3)
    {
        var generator = new Generator(seed, CPU);
        var moments = new Dictionary<string, SwagMoments>();
        foreach (var m in mean.Modules)
        {
            foreach (var (name, weight) in new[] { (m.NameA, m.A), (m.NameB, m.B) })
            {
                var w = weight.to(ScalarType.Float64, CPU);
                double scale = spread * Typical(weight);
                var variance = scale * scale * (0.2 + rand(weight.shape, ScalarType.Float64, CPU, generator: generator));
                var deviations = k > 0 ? scale * randn(new[] { k, weight.shape[0], weight.shape[1] }, ScalarType.Float64, CPU, generator: generator) : null;
                moments[name] = new SwagMoments(w, variance + w.square(), deviations);
            }
        }
        return new SwagPosterior(path, mean, moments, k, scale: 0.5, snapshots: Math.Max(k, 1) + 2);
    }

    public static ParticlePosterior Particles(LoraAdapter structure, int members, ulong seed, ParticleTraining training = ParticleTraining.Independent,
        string path = "(generated)", double spread = 0.5)
    {
        var generator = new Generator(seed, CPU);
        Tensor Perturbed(Tensor w) => w + (spread * Typical(w) * randn(w.shape, ScalarType.Float64, CPU, generator: generator)).to(w.dtype, w.device);
        // Members of a reward adapter get their own score heads too, as trained members have.
        var adapters = Enumerable.Range(0, members).Select(_ => new LoraAdapter(structure.Id, structure.Config,
            structure.Modules.Select(m => new LoraModule(m.ModulePath, Perturbed(m.A), Perturbed(m.B), m.Scale)).ToList(),
            structure.SavedModules.Select(s => new Model.LinearWeight(s.ModulePath, Perturbed(s.Weight), s.Bias)).ToList())).ToList();
        return ParticlePosterior.FromMembers(path, adapters, training);
    }

    /// <summary>Writes all five beside posterior.json and returns its entries, by method.</summary>
    public static IReadOnlyDictionary<string, string> WriteAll(LoraAdapter adapter, string folder, ulong seed)
    {
        var files = new Dictionary<string, string>
        {
            [BlobPosterior.MethodName] = BlobPosterior.DefaultFileName,
            [SwagPosterior.MethodName] = SwagPosterior.DefaultFileName,
            [ParticlePosterior.EnsembleMethod] = ParticlePosterior.DefaultFileName(ParticleTraining.Independent),
            [ParticlePosterior.SvgdMethod] = ParticlePosterior.DefaultFileName(ParticleTraining.Svgd),
            [McDropoutPosterior.MethodName] = McDropoutPosterior.DefaultFileName,
        };
        Blob(adapter, seed).Save(Path.Combine(folder, files[BlobPosterior.MethodName]));
        Swag(adapter, seed + 1).Save(Path.Combine(folder, files[SwagPosterior.MethodName]));
        Particles(adapter, 4, seed + 2).Save(Path.Combine(folder, files[ParticlePosterior.EnsembleMethod]));
        Particles(adapter, 3, seed + 3, ParticleTraining.Svgd).Save(Path.Combine(folder, files[ParticlePosterior.SvgdMethod]));
        new McDropoutPosterior("(generated)", adapter, 0.1).Save(Path.Combine(folder, files[McDropoutPosterior.MethodName]));
        return files;
    }

    private static double Typical(Tensor weight) => Math.Max(weight.to(ScalarType.Float64).abs().mean().item<double>(), 1e-3);
}
