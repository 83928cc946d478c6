using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Lora;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Laplace;

/// <summary>
/// One LoRA matrix's eigenbases, decomposed at load time: rows of Theta (the large side: the input
/// factor for A, the output factor for B) and columns (the rank side).
/// </summary>
internal sealed class KfacBlock
{
    private KfacBlock(string name, LoraModule module, LoraSide side, FactorEigenbasis rows, FactorEigenbasis columns)
    {
        Name = name;
        Module = module;
        Side = side;
        Rows = rows;
        Columns = columns;
        EigenvalueProducts = rows.Values.outer(columns.Values);
    }

    public string Name { get; }
    public LoraModule Module { get; }
    public LoraSide Side { get; }
    public FactorEigenbasis Rows { get; }
    public FactorEigenbasis Columns { get; }

    /// <summary>l_i s_j for the kept directions (kRows x kColumns).</summary>
    public Tensor EigenvalueProducts { get; }

    public long ParameterCount => Rows.Dimension * Columns.Dimension;

    public static KfacBlock Create(string filePath, string name, LoraModule module, LoraSide side, KfacModuleFactors factors, Device device)
    {
        // Theta = A^T (in x r): rows from the input factor. Theta = B (out x r): rows from the output factor.
        var (rowFactor, rowKey, columnFactor, columnKey) = side == LoraSide.A
            ? (factors.InputFactor, name + ".input_factor", factors.OutputFactor, name + ".output_factor")
            : (factors.OutputFactor, name + ".output_factor", factors.InputFactor, name + ".input_factor");
        long rowsExpected = side == LoraSide.A ? module.A.shape[1] : module.B.shape[0];
        long columnsExpected = module.Rank;
        if (rowFactor.shape[0] != rowsExpected)
            throw new BundleFormatException(filePath, rowKey, $"has {rowFactor.shape[0]} rows; the LoRA matrix needs {rowsExpected}");
        if (columnFactor.shape[0] != columnsExpected)
            throw new BundleFormatException(filePath, columnKey, $"has {columnFactor.shape[0]} rows; the LoRA rank is {columnsExpected}");
        return new KfacBlock(name, module, side,
            KroneckerFactor.Decompose(rowFactor, filePath, rowKey, device),
            KroneckerFactor.Decompose(columnFactor, filePath, columnKey, device));
    }
}
