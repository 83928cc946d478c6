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
/// Where a posterior's factors come from, one factor at a time: a file read block by block at load
/// (<see cref="KfacFactorReader"/>) or factors in memory (<see cref="KfacFactorFile"/>).
/// </summary>
public interface IKfacFactorSource
{
    string FilePath { get; }
    KfacMetadata Metadata { get; }

    /// <summary>Every matrix (PEFT name without <c>.weight</c>) that has factors.</summary>
    IReadOnlyCollection<string> ModuleNames { get; }

    /// <summary>
    /// The stored key of a matrix's input or output factor. Matrices that see the same activations
    /// (q, k and v; gate and up) may share one stored input factor: their keys are then the same.
    /// </summary>
    string KeyOf(string module, bool input);

    /// <summary>Runs <paramref name="use"/> on the stored factor; a file reader frees it right after.</summary>
    T With<T>(string key, Func<Tensor, T> use);
}

/// <summary>
/// <c>kfac.safetensors</c>: for every LoRA matrix (key = its PEFT name without <c>.weight</c>) the
/// tensors <c>&lt;module&gt;.input_factor</c> and <c>&lt;module&gt;.output_factor</c>. Factors are
/// expectations per example, so module m's Fisher block is N (A_m kron S_m) in the column-major
/// vectorisation of the weight (input factor A, output factor S).
/// </summary>
public sealed record KfacFactorFile(string FilePath, KfacMetadata Metadata, IReadOnlyDictionary<string, KfacModuleFactors> Modules) : IKfacFactorSource
{
    public const string FileName = "kfac.safetensors";

    /// <summary>
    /// The key of a module the adapter saves whole (<c>base_model.model.score</c>): its name in
    /// adapter_model.safetensors without <c>.weight</c>, as LoRA matrices are keyed.
    /// </summary>
    public static string SavedModuleName(string modulePath) => Lora.LoraModule.PeftPrefix + modulePath;
    internal const string InputSuffix = ".input_factor";
    internal const string OutputSuffix = ".output_factor";

    /// <summary>Header key naming, as JSON, the matrices whose input factor is stored under another's: {"k": "q", ...}.</summary>
    internal const string SharedInputsKey = "shared_input_factors";

    IReadOnlyCollection<string> IKfacFactorSource.ModuleNames => (IReadOnlyCollection<string>)Modules.Keys;

    string IKfacFactorSource.KeyOf(string module, bool input) => module + (input ? InputSuffix : OutputSuffix);

    T IKfacFactorSource.With<T>(string key, Func<Tensor, T> use)
    {
        bool input = key.EndsWith(InputSuffix, StringComparison.Ordinal);
        var module = Modules[key[..^(input ? InputSuffix : OutputSuffix).Length]];
        return use(input ? module.InputFactor : module.OutputFactor);
    }

    /// <summary>Reads every factor as float64 on the CPU (for tools and tests; serving streams with <see cref="KfacFactorReader"/>).</summary>
    public static KfacFactorFile Load(string path)
    {
        using var reader = KfacFactorReader.Open(path);
        // A copy that outlives the reader's own tensor (to() may return that very tensor when it is float64 already).
        Tensor Copy(Tensor f) => f.to(ScalarType.Float64, CPU, copy: true).DetachFromDisposeScope();
        var modules = reader.ModuleNames.ToDictionary(m => m, m => new KfacModuleFactors(
            reader.With(reader.KeyOf(m, input: true), Copy), reader.With(reader.KeyOf(m, input: false), Copy)));
        return new KfacFactorFile(path, reader.Metadata, modules);
    }

    /// <summary>
    /// Writes the file. An input factor equal to one already written for a matrix of the same layer
    /// block (q, k and v read the same normalised hidden state; gate and up too) is stored once and
    /// named in the header's shared_input_factors, so a 4096-wide factor is kept and decomposed once.
    /// </summary>
    public void Save()
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        var shared = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var written = new List<(string Module, Tensor Factor)>();
        foreach (var (module, factors) in Modules.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            var twin = written.FirstOrDefault(w => SameBlock(w.Module, module) && w.Factor.shape.SequenceEqual(factors.InputFactor.shape)
                && w.Factor.dtype == factors.InputFactor.dtype && w.Factor.eq(factors.InputFactor).all().item<bool>());
            if (twin.Module is not null)
                shared[module] = twin.Module;
            else
            {
                tensors.Add(KeyValuePair.Create(module + InputSuffix, factors.InputFactor));
                written.Add((module, factors.InputFactor));
            }
            tensors.Add(KeyValuePair.Create(module + OutputSuffix, factors.OutputFactor));
        }
        var header = new Dictionary<string, string>
        {
            ["format"] = KfacMetadata.Format,
            ["n_examples"] = Metadata.NExamples.ToString(CultureInfo.InvariantCulture),
            ["fisher"] = Metadata.Fisher.ToString().ToLowerInvariant(),
            ["positions"] = Metadata.Positions.ToString().ToLowerInvariant(),
            ["normalisation"] = KfacMetadata.Normalisation,
        };
        if (shared.Count > 0) header[SharedInputsKey] = System.Text.Json.JsonSerializer.Serialize(shared);
        SafeTensorsWriter.Write(FilePath, tensors, header);
    }

    // "...layers.3.self_attn.q_proj.lora_A" and "...layers.3.self_attn.v_proj.lora_A": the same parent module.
    private static bool SameBlock(string a, string b)
    {
        static string Parent(string name) => name.Count(c => c == '.') >= 2 ? name[..name.LastIndexOf('.', name.LastIndexOf('.') - 1)] : "";
        return Parent(a) == Parent(b);
    }

    internal static KfacMetadata ReadMetadata(IReadOnlyDictionary<string, string> header, string path)
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
