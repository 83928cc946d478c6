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

    public static KfacBlock Create(string filePath, string name, LoraModule module, LoraSide side, KfacModuleFactors factors, Device device) =>
        side == LoraSide.A
            // Theta = A^T (in x r): rows from the input factor.
            ? Create(filePath, name, module.ModulePath, side, factors, module.A.shape[1], module.Rank, "the LoRA rank is", inputOnRows: true, device)
            // Theta = B (out x r): rows from the output factor.
            : Create(filePath, name, module.ModulePath, side, factors, module.B.shape[0], module.Rank, "the LoRA rank is", inputOnRows: false, device);

    /// <summary>A saved module's full weight W (out x in), as Theta = W^T (in x out): rows from the input factor.</summary>
    public static KfacBlock Create(string filePath, string name, LinearWeight saved, KfacModuleFactors factors, Device device) =>
        Create(filePath, name, saved.ModulePath, LoraSide.Weight, factors, saved.InFeatures, saved.OutFeatures, "the weight's outputs are", inputOnRows: true, device);

    private static KfacBlock Create(string filePath, string name, string modulePath, LoraSide side, KfacModuleFactors factors,
        long rowsExpected, long columnsExpected, string columnsMeaning, bool inputOnRows, Device device)
    {
        var (rowFactor, rowKey, columnFactor, columnKey) = inputOnRows
            ? (factors.InputFactor, name + ".input_factor", factors.OutputFactor, name + ".output_factor")
            : (factors.OutputFactor, name + ".output_factor", factors.InputFactor, name + ".input_factor");
        if (rowFactor.shape[0] != rowsExpected)
            throw new BundleFormatException(filePath, rowKey, $"has {rowFactor.shape[0]} rows; the matrix needs {rowsExpected}");
        if (columnFactor.shape[0] != columnsExpected)
            throw new BundleFormatException(filePath, columnKey, $"has {columnFactor.shape[0]} rows; {columnsMeaning} {columnsExpected}");
        return new KfacBlock(name, modulePath, side,
            KroneckerFactor.Decompose(rowFactor, filePath, rowKey, device),
            KroneckerFactor.Decompose(columnFactor, filePath, columnKey, device));
    }
}
