using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Laplace;

/// <summary>
/// One parameter matrix's eigenbases, decomposed at load time: rows of Theta (the large side: the
/// input factor for A and for a saved weight, the output factor for B) and columns (the small side).
/// </summary>
internal sealed class KfacBlock
{
    private KfacBlock(string name, string modulePath, LoraSide side, FactorEigenbasis rows, FactorEigenbasis columns)
    {
        Name = name;
        ModulePath = modulePath;
        Side = side;
        Rows = rows;
        Columns = columns;
        EigenvalueProducts = rows.Values.outer(columns.Values);
    }

    public string Name { get; }
    public string ModulePath { get; }
    public LoraSide Side { get; }
    public FactorEigenbasis Rows { get; }
    public FactorEigenbasis Columns { get; }

    /// <summary>l_i s_j for the kept directions (kRows x kColumns).</summary>
    public Tensor EigenvalueProducts { get; }

    public long ParameterCount => Rows.Dimension * Columns.Dimension;

    /// <summary>Q_L^T G Q_S for gradients G (.., D, r) in float64, computed in the eigenvectors' dtype: (.., kL * kS) float64.</summary>
    public Tensor Project(Tensor gradients)
    {
        var type = Rows.Vectors.dtype;
        return Rows.Vectors.T.matmul(gradients.to(type)).matmul(Columns.Vectors.to(type)).to(ScalarType.Float64).flatten(-2);
    }

    public static KfacBlock Create(FactorLoader factors, string name, LoraModule module, LoraSide side) =>
        side == LoraSide.A
            // Theta = A^T (in x r): rows from the input factor.
            ? Create(factors, name, module.ModulePath, side, module.A.shape[1], module.Rank, "the LoRA rank is", inputOnRows: true)
            // Theta = B (out x r): rows from the output factor.
            : Create(factors, name, module.ModulePath, side, module.B.shape[0], module.Rank, "the LoRA rank is", inputOnRows: false);

    /// <summary>A saved module's full weight W (out x in), as Theta = W^T (in x out): rows from the input factor.</summary>
    public static KfacBlock Create(FactorLoader factors, string name, LinearWeight saved) =>
        Create(factors, name, saved.ModulePath, LoraSide.Weight, saved.InFeatures, saved.OutFeatures, "the weight's outputs are", inputOnRows: true);

    private static KfacBlock Create(FactorLoader factors, string name, string modulePath, LoraSide side,
        long rowsExpected, long columnsExpected, string columnsMeaning, bool inputOnRows) =>
        new(name, modulePath, side,
            factors.Eigenbasis(name, input: inputOnRows, rowsExpected, "the matrix needs"),
            factors.Eigenbasis(name, input: !inputOnRows, columnsExpected, columnsMeaning));
}

/// <summary>
/// Decomposes the factors of one source for a posterior, one stored factor at a time, each once:
/// matrices that share a stored input factor share its eigenbasis. Eigenvectors are kept in
/// <see cref="VectorType"/> (float32 unless the model is float64), eigenvalues in float64.
/// </summary>
public sealed class FactorLoader(IKfacFactorSource source, Device device, ScalarType vectorType)
{
    private readonly Dictionary<string, FactorEigenbasis> decomposed = new(StringComparer.Ordinal);

    public ScalarType VectorType { get; } = vectorType;

    /// <summary>
    /// Decomposes every stored factor of the source without an adapter to check sizes against: what
    /// a load costs, for the scale benchmark. Returns how many factors were decomposed.
    /// </summary>
    public int DecomposeAll()
    {
        foreach (var module in source.ModuleNames)
            foreach (bool input in new[] { true, false })
            {
                string key = source.KeyOf(module, input);
                if (!decomposed.ContainsKey(key))
                    decomposed[key] = source.With(key, factor => KroneckerFactor.Decompose(factor, source.FilePath, key, device, VectorType));
            }
        return decomposed.Count;
    }

    /// <summary>Every eigenbasis made so far, once each (shared ones once).</summary>
    public IEnumerable<FactorEigenbasis> All => decomposed.Values;

    internal FactorEigenbasis Eigenbasis(string module, bool input, long sizeExpected, string sizeMeaning)
    {
        string key = source.KeyOf(module, input);
        if (decomposed.TryGetValue(key, out var basis))
        {
            if (basis.Dimension != sizeExpected)
                throw new BundleFormatException(source.FilePath, key, $"has {basis.Dimension} rows; {sizeMeaning} {sizeExpected} for {module}");
            return basis;
        }
        basis = source.With(key, factor =>
        {
            if (factor.dim() >= 1 && factor.shape[0] != sizeExpected)
                throw new BundleFormatException(source.FilePath, key, $"has {factor.shape[0]} rows; {sizeMeaning} {sizeExpected}");
            return KroneckerFactor.Decompose(factor, source.FilePath, key, device, VectorType);
        });
        decomposed[key] = basis;
        return basis;
    }
}
