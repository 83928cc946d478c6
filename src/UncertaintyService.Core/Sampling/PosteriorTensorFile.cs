using System.Globalization;
using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.SafeTensors;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Sampling;

/// <summary>
/// Strict reading of a sampled posterior's safetensors file: the header's <c>format</c> must match,
/// every tensor taken is checked for shape and finiteness, and a tensor nobody took is an error.
/// Every failure names the file and the key.
/// </summary>
internal sealed class PosteriorTensorFile : IDisposable
{
    private readonly SafeTensorsFile file;
    private readonly HashSet<string> used = [];

    private PosteriorTensorFile(SafeTensorsFile file) => this.file = file;

    public string Path => file.FilePath;

    public static PosteriorTensorFile Open(string path, string format)
    {
        if (!File.Exists(path)) throw new BundleFormatException(path, null, "file not found");
        var file = SafeTensorsFile.Open(path);
        var opened = new PosteriorTensorFile(file);
        var actual = opened.Text("format");
        if (actual != format)
        {
            file.Dispose();
            throw new BundleFormatException(path, "__metadata__.format", $"'{actual}' is not '{format}'");
        }
        return opened;
    }

    public string Text(string key) =>
        file.Metadata.TryGetValue(key, out var value) ? value : throw new BundleFormatException(Path, $"__metadata__.{key}", "missing");

    public double Number(string key, Func<double, bool> valid, string requirement)
    {
        var text = Text(key);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !valid(value))
            throw new BundleFormatException(Path, $"__metadata__.{key}", $"'{text}' {requirement}");
        return value;
    }

    public bool Has(string name) => file.Contains(name);

    /// <summary>The tensor as float64 on the CPU; null dimensions in <paramref name="shape"/> accept any size.</summary>
    public Tensor Take(string name, params long?[] shape)
    {
        if (!file.Contains(name)) throw new BundleFormatException(Path, name, "missing");
        var actual = file.GetEntry(name).Shape;
        if (actual.Length != shape.Length || actual.Zip(shape).Any(p => p.Second is { } s && s != p.First))
            throw new BundleFormatException(Path, name,
                $"shape [{string.Join(", ", actual)}] does not match the adapter, which implies [{string.Join(", ", shape.Select(s => s?.ToString(CultureInfo.InvariantCulture) ?? "*"))}]");
        used.Add(name);
        var tensor = file.Load(name, ScalarType.Float64, CPU);
        if (!tensor.isfinite().all().item<bool>())
            throw new BundleFormatException(Path, name, "contains NaN or infinite values");
        return tensor;
    }

    /// <summary>A module's PEFT tensors <c>lora_A.weight</c> and <c>lora_B.weight</c>, shaped and placed like <paramref name="structure"/>'s.</summary>
    public LoraModule TakeModule(LoraModule structure) => new(structure.ModulePath,
        Take(structure.NameA + ".weight", structure.A.shape[0], structure.A.shape[1]).to(structure.A.dtype, structure.A.device),
        Take(structure.NameB + ".weight", structure.B.shape[0], structure.B.shape[1]).to(structure.B.dtype, structure.B.device),
        structure.Scale);

    public void RequireAllUsed()
    {
        var unknown = file.Entries.Select(e => e.Name).Where(n => !used.Contains(n)).Order().ToList();
        if (unknown.Count > 0)
            throw new BundleFormatException(Path, unknown[0], $"tensor belongs to no LoRA matrix of the adapter ({unknown.Count} such)");
    }

    public void Dispose() => file.Dispose();
}
