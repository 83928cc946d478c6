using System.Globalization;
using UncertaintyService.Core.Formats;
using UncertaintyService.Core.SafeTensors;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Laplace;

/// <summary>How the Fisher behind the factors was formed.</summary>
public enum FisherKind
{
    /// <summary>The GGN of softmax cross-entropy: every class back-propagated with weight sqrt(p_c) (e_c - p).</summary>
    Exact,

    /// <summary>One label per example sampled from the model's own predictive.</summary>
    Mc,

    /// <summary>The true labels (the empirical Fisher).</summary>
    Empirical,
}

/// <summary>How token positions enter the factors (Eschenhagen et al. 2023).</summary>
public enum PositionHandling
{
    /// <summary>K-FAC-expand: every position is a separate term.</summary>
    Expand,

    /// <summary>K-FAC-reduce: positions are summed before the outer products.</summary>
    Reduce,

    /// <summary>Only the last real position.</summary>
    Last,
}

/// <summary>The header metadata of a <c>kfac.safetensors</c> file.</summary>
public sealed record KfacMetadata(long NExamples, FisherKind Fisher, PositionHandling Positions)
{
    public const string Format = "kfac-v1";
    public const string Normalisation = "expectation";
}

/// <summary>One LoRA matrix's two factors, as stored (square, or a tall square root).</summary>
public sealed record KfacModuleFactors(Tensor InputFactor, Tensor OutputFactor);

/// <summary>
/// <c>kfac.safetensors</c>: for every LoRA matrix (key = its PEFT name without <c>.weight</c>) the
/// tensors <c>&lt;module&gt;.input_factor</c> and <c>&lt;module&gt;.output_factor</c>. Factors are
/// expectations per example, so module m's Fisher block is N (A_m kron S_m) in the column-major
/// vectorisation of the weight (input factor A, output factor S).
/// </summary>
public sealed record KfacFactorFile(string FilePath, KfacMetadata Metadata, IReadOnlyDictionary<string, KfacModuleFactors> Modules)
{
    public const string FileName = "kfac.safetensors";

    /// <summary>
    /// The key of a module the adapter saves whole (<c>base_model.model.score</c>): its name in
    /// adapter_model.safetensors without <c>.weight</c>, as LoRA matrices are keyed.
    /// </summary>
    public static string SavedModuleName(string modulePath) => Lora.LoraModule.PeftPrefix + modulePath;
    private const string InputSuffix = ".input_factor";
    private const string OutputSuffix = ".output_factor";

    /// <summary>Reads every factor as float64 on the CPU.</summary>
    public static KfacFactorFile Load(string path)
    {
        if (!File.Exists(path)) throw new BundleFormatException(path, null, "file not found");
        using var file = SafeTensorsFile.Open(path);
        var metadata = ReadMetadata(file.Metadata, path);
        var modules = new Dictionary<string, KfacModuleFactors>();
        foreach (var entry in file.Entries)
        {
            string module = entry.Name.EndsWith(InputSuffix, StringComparison.Ordinal) ? entry.Name[..^InputSuffix.Length]
                : entry.Name.EndsWith(OutputSuffix, StringComparison.Ordinal) ? entry.Name[..^OutputSuffix.Length]
                : throw new BundleFormatException(path, entry.Name, $"unknown key: expected '<module>{InputSuffix}' or '<module>{OutputSuffix}'");
            if (modules.ContainsKey(module)) continue;
            foreach (var suffix in new[] { InputSuffix, OutputSuffix })
            {
                if (!file.Contains(module + suffix))
                    throw new BundleFormatException(path, module + suffix, "missing: every module needs both factors");
            }
            modules[module] = new KfacModuleFactors(
                file.Load(module + InputSuffix, ScalarType.Float64),
                file.Load(module + OutputSuffix, ScalarType.Float64));
        }
        return new KfacFactorFile(path, metadata, modules);
    }

    public void Save()
    {
        var tensors = Modules.SelectMany(m => new[]
        {
            KeyValuePair.Create(m.Key + InputSuffix, m.Value.InputFactor),
            KeyValuePair.Create(m.Key + OutputSuffix, m.Value.OutputFactor),
        });
        SafeTensorsWriter.Write(FilePath, tensors, new Dictionary<string, string>
        {
            ["format"] = KfacMetadata.Format,
            ["n_examples"] = Metadata.NExamples.ToString(CultureInfo.InvariantCulture),
            ["fisher"] = Metadata.Fisher.ToString().ToLowerInvariant(),
            ["positions"] = Metadata.Positions.ToString().ToLowerInvariant(),
            ["normalisation"] = KfacMetadata.Normalisation,
        });
    }

    private static KfacMetadata ReadMetadata(IReadOnlyDictionary<string, string> header, string path)
    {
        string Get(string key) => header.TryGetValue(key, out var value)
            ? value
            : throw new BundleFormatException(path, "__metadata__." + key, "missing");

        if (Get("format") != KfacMetadata.Format)
            throw new BundleFormatException(path, "__metadata__.format", $"'{Get("format")}' is not supported; expected '{KfacMetadata.Format}'");
        if (Get("normalisation") != KfacMetadata.Normalisation)
            throw new BundleFormatException(path, "__metadata__.normalisation",
                $"'{Get("normalisation")}' is not supported; factors must be expectations per example ('{KfacMetadata.Normalisation}'); see README for converting sums");
        if (!long.TryParse(Get("n_examples"), NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n <= 0)
            throw new BundleFormatException(path, "__metadata__.n_examples", $"'{Get("n_examples")}' is not a positive integer");
        if (!TryParseName<FisherKind>(Get("fisher"), out var fisher))
            throw new BundleFormatException(path, "__metadata__.fisher", $"'{Get("fisher")}' is not one of exact, mc, empirical");
        if (!TryParseName<PositionHandling>(Get("positions"), out var positions))
            throw new BundleFormatException(path, "__metadata__.positions", $"'{Get("positions")}' is not one of expand, reduce, last");
        return new KfacMetadata(n, fisher, positions);
    }

    // By name only: Enum.TryParse would also accept a number ("1") or a combination ("exact,mc").
    private static bool TryParseName<T>(string value, out T result) where T : struct, Enum
    {
        var name = Enum.GetNames<T>().FirstOrDefault(n => n.Equals(value, StringComparison.OrdinalIgnoreCase));
        result = name is null ? default : Enum.Parse<T>(name);
        return name is not null;
    }
}
