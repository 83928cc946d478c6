using System.Globalization;
using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.SafeTensors;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Sampling;

/// <summary>One LoRA matrix's SWAG moments: the mean, the second moment and K deviation columns (K, rows, cols).</summary>
public sealed record SwagMoments(Tensor Mean, Tensor SecondMoment, Tensor? Deviations)
{
    /// <summary>sqrt(max(E[theta^2] - E[theta]^2, 0)): the diagonal standard deviation.</summary>
    public Tensor DiagonalStd() => (SecondMoment - Mean.square()).clamp_min(0).sqrt();
}

/// <summary>
/// SWAG over the LoRA weights (Maddox et al. 2019; Onal et al. 2024 for LoRA): from snapshots taken
/// during the last epochs of fine-tuning, theta = mean + sqrt(scale) (sigma z1 + D z2 / sqrt(K - 1))
/// with z1, z2 standard normal, sigma the diagonal standard deviation and D the last K deviations
/// from the running mean. <c>swag.safetensors</c> holds per LoRA matrix (PEFT name without
/// <c>.weight</c>) <c>.mean</c>, <c>.sq_mean</c> and, when K &gt; 0, <c>.deviations</c> (K, rows, cols);
/// the header names scale, K and the number of snapshots.
/// </summary>
public sealed class SwagPosterior : SampledPosterior
{
    public const string MethodName = "swag";
    public const string DefaultFileName = "swag.safetensors";
    public const string Format = "swag-v1";

    private readonly IReadOnlyDictionary<string, Tensor> diagonalStds;

    public SwagPosterior(string filePath, LoraAdapter mean, IReadOnlyDictionary<string, SwagMoments> moments, int deviationColumns, double scale, int snapshots)
        : base(MethodName, filePath, mean)
    {
        if (deviationColumns == 1) throw new ArgumentOutOfRangeException(nameof(deviationColumns), "K must be 0 (diagonal only) or at least 2.");
        Moments = moments;
        diagonalStds = moments.ToDictionary(p => p.Key, p => p.Value.DiagonalStd());
        DeviationColumns = deviationColumns;
        Scale = scale;
        Snapshots = snapshots;
    }

    /// <summary>By PEFT matrix name without <c>.weight</c> (<see cref="LoraModule.NameA"/>, <see cref="LoraModule.NameB"/>).</summary>
    public IReadOnlyDictionary<string, SwagMoments> Moments { get; }

    /// <summary>K, the rank of the low-rank part; 0 for diagonal SWAG.</summary>
    public int DeviationColumns { get; }

    /// <summary>The covariance scale: 1/2 when the low-rank term is used, as in the paper.</summary>
    public double Scale { get; }

    public int Snapshots { get; }

    /// <summary>The mean weights (Load builds them from the file), the moments and the diagonal standard deviations.</summary>
    protected override IEnumerable<Tensor> StoredTensors() => ModuleTensors(Adapter)
        .Concat(Moments.Values.SelectMany(m => m.Deviations is null ? new[] { m.Mean, m.SecondMoment } : [m.Mean, m.SecondMoment, m.Deviations]))
        .Concat(diagonalStds.Values);

    public override IReadOnlyDictionary<string, RowLoraWeights> Draw(int samples, Generator generator, ScalarType dtype, Device device)
    {
        var type = DrawType(dtype);
        // One z2 per sample, shared by every matrix: the low-rank part couples all of them.
        var lowRank = DeviationColumns > 0 ? randn(new long[] { samples, DeviationColumns }, type, device, generator: generator) : null;
        Tensor Sample(string name)
        {
            var m = Moments[name];
            var shape = m.Mean.shape;
            var draw = OnDevice(diagonalStds[name], type, device).unsqueeze(0) * randn(new[] { samples, shape[0], shape[1] }, type, device, generator: generator);
            if (lowRank is not null)
                draw += lowRank.matmul(OnDevice(m.Deviations!, type, device).view(DeviationColumns, -1)).view(samples, shape[0], shape[1]) / Math.Sqrt(DeviationColumns - 1);
            return (OnDevice(m.Mean, type, device).unsqueeze(0) + Math.Sqrt(Scale) * draw).to(dtype);
        }
        return Adapter.Modules.ToDictionary(m => m.ModulePath, m => new RowLoraWeights(Sample(m.NameA), Sample(m.NameB)));
    }

    public void Save(string path)
    {
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, m) in Moments)
        {
            tensors[name + ".mean"] = m.Mean.to(ScalarType.Float32, CPU);
            tensors[name + ".sq_mean"] = m.SecondMoment.to(ScalarType.Float32, CPU);
            if (m.Deviations is not null) tensors[name + ".deviations"] = m.Deviations.to(ScalarType.Float32, CPU);
        }
        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string>
        {
            ["format"] = Format,
            ["scale"] = Scale.ToString("R", CultureInfo.InvariantCulture),
            ["deviation_columns"] = DeviationColumns.ToString(CultureInfo.InvariantCulture),
            ["snapshots"] = Snapshots.ToString(CultureInfo.InvariantCulture),
        });
    }

    public static SwagPosterior Load(string path, LoraAdapter structure)
    {
        using var file = PosteriorTensorFile.Open(path, Format);
        double scale = file.Number("scale", v => v > 0 && double.IsFinite(v), "must be positive and finite");
        int k = (int)file.Number("deviation_columns", v => v is 0 or >= 2 && v == Math.Floor(v) && v < 1e6, "must be 0 or an integer of at least 2");
        int snapshots = (int)file.Number("snapshots", v => v >= 1 && v == Math.Floor(v) && v < 1e9, "must be a positive integer");
        if (k > snapshots)
            throw new BundleFormatException(path, "__metadata__.deviation_columns", $"{k} deviation columns cannot come from {snapshots} snapshots");

        var moments = new Dictionary<string, SwagMoments>();
        SwagMoments Read(string name, Tensor like)
        {
            long rows = like.shape[0], cols = like.shape[1];
            var mean = file.Take(name + ".mean", rows, cols);
            var second = file.Take(name + ".sq_mean", rows, cols);
            // E[theta^2] >= E[theta]^2 up to the rounding of float32 storage.
            var deficit = (mean.square() - second).max().item<double>();
            if (deficit > 1e-4 * Math.Max(1, second.abs().max().item<double>()))
                throw new BundleFormatException(path, name + ".sq_mean", $"is below the squared mean by {deficit:G3}: not a second moment");
            var deviations = k > 0 ? file.Take(name + ".deviations", k, rows, cols) : null;
            return moments[name] = new SwagMoments(mean, second, deviations);
        }
        var modules = new List<LoraModule>();
        foreach (var module in structure.Modules)
        {
            var a = Read(module.NameA, module.A);
            var b = Read(module.NameB, module.B);
            modules.Add(new LoraModule(module.ModulePath, a.Mean.to(module.A.dtype, module.A.device), b.Mean.to(module.B.dtype, module.B.device), module.Scale));
        }
        file.RequireAllUsed();
        return new SwagPosterior(path, new LoraAdapter(structure.Id, structure.Config, modules, structure.SavedModules), moments, k, scale, snapshots);
    }
}
