using System.Globalization;
using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.SafeTensors;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Sampling;

/// <summary>How an adapter's K particles were trained.</summary>
public enum ParticleTraining
{
    /// <summary>K fine-tunes with different seeds (a deep ensemble).</summary>
    Independent,

    /// <summary>K particles moved jointly by Stein variational gradient descent with an RBF kernel.</summary>
    Svgd,
}

/// <summary>
/// K adapters whose predictive is the average of their softmax: a LoRA ensemble or SVGD particles.
/// The file (<c>ensemble.safetensors</c> or <c>svgd.safetensors</c>) stacks the members' PEFT tensors
/// along a leading dimension K, <c>&lt;module&gt;.lora_A.weight</c> (K, r, in) and
/// <c>&lt;module&gt;.lora_B.weight</c> (K, out, r); the header names the training and K.
/// An adapter that saves modules whole (a reward model's score head) stacks each member's own too,
/// <c>base_model.model.score.weight</c> (K, out, in); a file without them shares the adapter's.
/// Sample s is member s, so up to K samples, no randomness.
/// </summary>
public sealed class ParticlePosterior : SampledPosterior
{
    public const string Format = "particles-v1";
    public const string EnsembleMethod = "ensemble";
    public const string SvgdMethod = "svgd";

    private readonly IReadOnlyDictionary<string, RowLoraWeights> members;
    private readonly IReadOnlyDictionary<string, Tensor> memberSaved;

    /// <param name="memberSaved">Per saved module path, every member's own weight (K, out, in); empty when the members share the adapter's.</param>
    public ParticlePosterior(string filePath, LoraAdapter structure, IReadOnlyDictionary<string, RowLoraWeights> members, ParticleTraining training,
        IReadOnlyDictionary<string, Tensor>? memberSaved = null)
        : base(training == ParticleTraining.Svgd ? SvgdMethod : EnsembleMethod, filePath, structure)
    {
        this.members = members;
        this.memberSaved = memberSaved ?? new Dictionary<string, Tensor>();
        Training = training;
        Members = (int)members.Values.First().Rows;
    }

    public static string DefaultFileName(ParticleTraining training) => training == ParticleTraining.Svgd ? "svgd.safetensors" : "ensemble.safetensors";

    public ParticleTraining Training { get; }

    public int Members { get; }

    public override int? MaxSamples => Members;

    public override bool HasMeanWeights => false;

    /// <summary>Member k as an ordinary adapter.</summary>
    public LoraAdapter Member(int k) => new(Adapter.Id, Adapter.Config,
        Adapter.Modules.Select(m => new LoraModule(m.ModulePath, members[m.ModulePath].A[k], members[m.ModulePath].B[k], m.Scale)).ToList(),
        Adapter.SavedModules.Select(s => memberSaved.TryGetValue(s.ModulePath, out var own) ? new LinearWeight(s.ModulePath, own[k], s.Bias) : s).ToList());

    /// <summary>The stacked members from separate adapters of one structure, with their own saved modules if they have any.</summary>
    public static ParticlePosterior FromMembers(string filePath, IReadOnlyList<LoraAdapter> adapters, ParticleTraining training) =>
        new(filePath, adapters[0], adapters[0].Modules.ToDictionary(m => m.ModulePath, m => new RowLoraWeights(
                stack(adapters.Select(a => a.Module(m.ModulePath)!.A.detach()).ToList()),
                stack(adapters.Select(a => a.Module(m.ModulePath)!.B.detach()).ToList()))), training,
            adapters[0].SavedModules.ToDictionary(s => s.ModulePath, s => stack(adapters.Select(a => a.ReplacementFor(s.ModulePath)!.Weight.detach()).ToList())));

    /// <summary>The stacked members; the structure adapter belongs to whoever loaded it.</summary>
    protected override IEnumerable<Tensor> StoredTensors() => members.Values.SelectMany(m => new[] { m.A, m.B }).Concat(memberSaved.Values);

    public override IReadOnlyDictionary<string, Tensor>? SavedRows(int samples, ScalarType dtype, Device device) =>
        memberSaved.Count == 0 ? null : memberSaved.ToDictionary(p => p.Key, p => OnDevice(p.Value, dtype, device).narrow(0, 0, samples));

    public override IReadOnlyDictionary<string, RowLoraWeights> Draw(int samples, Generator generator, ScalarType dtype, Device device)
    {
        if (samples > Members)
            throw new ArgumentOutOfRangeException(nameof(samples), samples, $"An ensemble of {Members} members gives at most {Members} samples.");
        return members.ToDictionary(p => p.Key, p => new RowLoraWeights(
            OnDevice(p.Value.A, dtype, device).narrow(0, 0, samples), OnDevice(p.Value.B, dtype, device).narrow(0, 0, samples)));
    }

    public void Save(string path)
    {
        var tensors = new Dictionary<string, Tensor>();
        foreach (var module in Adapter.Modules)
        {
            tensors[module.NameA + ".weight"] = members[module.ModulePath].A.to(ScalarType.Float32, CPU);
            tensors[module.NameB + ".weight"] = members[module.ModulePath].B.to(ScalarType.Float32, CPU);
        }
        foreach (var (module, weights) in memberSaved)
            tensors[$"{LoraModule.PeftPrefix}{module}.weight"] = weights.to(ScalarType.Float32, CPU);
        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string>
        {
            ["format"] = Format,
            ["training"] = Training.ToString().ToLowerInvariant(),
            ["members"] = Members.ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>Reads the stacked members; <paramref name="expected"/> is the training the posterior.json entry implies.</summary>
    public static ParticlePosterior Load(string path, LoraAdapter structure, ParticleTraining expected)
    {
        using var file = PosteriorTensorFile.Open(path, Format);
        var trainingText = file.Text("training");
        if (!Enum.TryParse<ParticleTraining>(trainingText, ignoreCase: true, out var training) || trainingText.Any(char.IsDigit))
            throw new BundleFormatException(path, "__metadata__.training", $"'{trainingText}' is not independent or svgd");
        if (training != expected)
            throw new BundleFormatException(path, "__metadata__.training",
                $"'{trainingText}' particles listed as '{(expected == ParticleTraining.Svgd ? SvgdMethod : EnsembleMethod)}' in posterior.json");
        int k = (int)file.Number("members", v => v >= 1 && v == Math.Floor(v) && v < 1e6, "must be a positive integer");
        var members = new Dictionary<string, RowLoraWeights>();
        foreach (var m in structure.Modules)
        {
            members[m.ModulePath] = new RowLoraWeights(
                file.Take(m.NameA + ".weight", k, m.A.shape[0], m.A.shape[1]).to(m.A.dtype, m.A.device),
                file.Take(m.NameB + ".weight", k, m.B.shape[0], m.B.shape[1]).to(m.B.dtype, m.B.device));
        }
        var saved = new Dictionary<string, Tensor>();
        foreach (var s in structure.SavedModules)
        {
            var key = $"{LoraModule.PeftPrefix}{s.ModulePath}.weight";
            if (file.Has(key))
                saved[s.ModulePath] = file.Take(key, k, s.Weight.shape[0], s.Weight.shape[1]).to(s.Weight.dtype, s.Weight.device);
        }
        file.RequireAllUsed();
        return new ParticlePosterior(path, structure, members, training, saved);
    }
}
