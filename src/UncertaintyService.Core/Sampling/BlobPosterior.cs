using System.Globalization;
using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.SafeTensors;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Sampling;

/// <summary>How BLoB maps its raw parameter G to the standard deviation of A.</summary>
public enum SigmaMapping
{
    /// <summary>sigma = G * G (the paper's choice).</summary>
    Square,

    /// <summary>sigma = log(1 + exp(G)).</summary>
    Softplus,
}

/// <summary>
/// BLoB (Wang et al., NeurIPS 2024): every LoRA A is Gaussian, A ~ N(M_A, sigma^2) elementwise with
/// sigma = map(G); B is deterministic. <c>blob.safetensors</c> holds per module the PEFT tensors
/// <c>&lt;module&gt;.lora_A.weight</c> (M_A) and <c>&lt;module&gt;.lora_B.weight</c>, plus
/// <c>&lt;module&gt;.lora_A.g</c> (G); the header names the mapping and the prior's standard deviation.
/// </summary>
public sealed class BlobPosterior : SampledPosterior
{
    public const string MethodName = "blob";
    public const string DefaultFileName = "blob.safetensors";
    public const string Format = "blob-v1";
    public const string SigmaSuffix = ".g";

    private readonly IReadOnlyDictionary<string, Tensor> sigmas;

    public BlobPosterior(string filePath, LoraAdapter mean, IReadOnlyDictionary<string, Tensor> sigmaParameters, SigmaMapping mapping, double priorStd)
        : base(MethodName, filePath, mean)
    {
        SigmaParameters = sigmaParameters;
        Mapping = mapping;
        PriorStd = priorStd;
        sigmas = sigmaParameters.ToDictionary(p => p.Key, p => Sigma(p.Value.to(ScalarType.Float64, CPU), mapping));
    }

    /// <summary>G per module path, as stored.</summary>
    public IReadOnlyDictionary<string, Tensor> SigmaParameters { get; }

    public SigmaMapping Mapping { get; }

    /// <summary>beta: the prior on A is N(0, beta^2) elementwise.</summary>
    public double PriorStd { get; }

    /// <summary>The standard deviation of A for one module (r x in, float64).</summary>
    public Tensor SigmaOf(string modulePath) => sigmas[modulePath];

    /// <summary>The mean weights (Load builds them from the file), G and sigma.</summary>
    protected override IEnumerable<Tensor> StoredTensors() => ModuleTensors(Adapter).Concat(SigmaParameters.Values).Concat(sigmas.Values);

    public static Tensor Sigma(Tensor g, SigmaMapping mapping) =>
        mapping == SigmaMapping.Square ? g * g : nn.functional.softplus(g);

    public override IReadOnlyDictionary<string, RowLoraWeights> Draw(int samples, Generator generator, ScalarType dtype, Device device)
    {
        var type = DrawType(dtype);
        var draws = new Dictionary<string, RowLoraWeights>();
        foreach (var module in Adapter.Modules)
        {
            var sigma = OnDevice(sigmas[module.ModulePath], type, device);
            var noise = randn(new[] { samples, sigma.shape[0], sigma.shape[1] }, type, device, generator: generator);
            var a = OnDevice(module.A, type, device).unsqueeze(0) + sigma.unsqueeze(0) * noise;
            draws[module.ModulePath] = new RowLoraWeights(a.to(dtype), Rows(OnDevice(module.B, dtype, device), samples));
        }
        return draws;
    }

    public void Save(string path)
    {
        var tensors = LoraAdapterWriter.ModuleTensors(Adapter);
        foreach (var module in Adapter.Modules)
            tensors[module.NameA + SigmaSuffix] = SigmaParameters[module.ModulePath].detach().to(ScalarType.Float32, CPU);
        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string>
        {
            ["format"] = Format,
            ["sigma_mapping"] = Mapping.ToString().ToLowerInvariant(),
            ["prior_std"] = PriorStd.ToString("R", CultureInfo.InvariantCulture),
        });
    }

    /// <summary>Reads <paramref name="path"/> for the modules of <paramref name="structure"/> (the folder's adapter).</summary>
    public static BlobPosterior Load(string path, LoraAdapter structure)
    {
        using var file = PosteriorTensorFile.Open(path, Format);
        var mappingText = file.Text("sigma_mapping");
        if (!Enum.TryParse<SigmaMapping>(mappingText, ignoreCase: true, out var mapping) || mappingText.Any(char.IsDigit))
            throw new BundleFormatException(path, "__metadata__.sigma_mapping", $"'{mappingText}' is not square or softplus");
        double priorStd = file.Number("prior_std", v => v > 0 && double.IsFinite(v), "must be positive and finite");
        var modules = structure.Modules.Select(file.TakeModule).ToList();
        var g = structure.Modules.ToDictionary(m => m.ModulePath, m => file.Take(m.NameA + SigmaSuffix, m.A.shape[0], m.A.shape[1]));
        file.RequireAllUsed();
        var mean = new LoraAdapter(structure.Id, structure.Config, modules, structure.SavedModules);
        return new BlobPosterior(path, mean, g, mapping, priorStd);
    }
}
