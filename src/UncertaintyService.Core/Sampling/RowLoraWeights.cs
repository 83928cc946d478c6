using static TorchSharp.torch;

namespace UncertaintyService.Core.Sampling;

/// <summary>
/// One LoRA module's weights per batch row: A (R, r, in) and B (R, out, r). Row r of a forward pass
/// uses A[r] and B[r], so R weight samples (or R ensemble members, or the rows of R different adapters)
/// run as one batched forward.
/// </summary>
public sealed record RowLoraWeights(Tensor A, Tensor B)
{
    /// <summary>
    /// Per-row alpha / r (R), when the rows come from adapters whose scales differ; null: every row
    /// uses the scale of the forward's adapter.
    /// </summary>
    public Tensor? Scales { get; init; }

    /// <summary>
    /// Per row, whether its adapter adapts this module at all (null: every row's does). A row that does
    /// not carries zero weights here, and its dropout draws nothing for this module, so its masks
    /// elsewhere are those it gets alone.
    /// </summary>
    public bool[]? Adapted { get; init; }

    public long Rows => A.shape[0];

    /// <summary>x (R, T, in) or (R, in) through A then B, row by row: (R, T, out) or (R, out).</summary>
    public (Tensor LowRank, Tensor UpProjection) Apply(Tensor x)
    {
        bool perToken = x.dim() == 3;
        var rows = perToken ? x : x.unsqueeze(1);
        var h = rows.bmm(A.transpose(1, 2));
        var u = h.bmm(B.transpose(1, 2));
        return perToken ? (h, u) : (h.squeeze(1), u.squeeze(1));
    }

    /// <summary>u scaled per row by <see cref="Scales"/> (R, ...).</summary>
    public Tensor ScaleRows(Tensor u) => u.mul(Scales!.view(Enumerable.Range(0, (int)u.dim()).Select(d => d == 0 ? -1L : 1L).ToArray()));

    /// <summary>Rows [first, first + count): some of one prompt's samples.</summary>
    public RowLoraWeights Slice(int first, int count) =>
        first == 0 && count == Rows ? this : new RowLoraWeights(A.narrow(0, first, count), B.narrow(0, first, count))
        {
            Scales = Scales?.narrow(0, first, count),
            Adapted = Adapted?[first..(first + count)],
        };

    /// <summary>The given rows (<paramref name="rows"/> on the weights' device, the same as <paramref name="rowList"/>), in that order.</summary>
    public RowLoraWeights Select(Tensor rows, IReadOnlyList<int> rowList) =>
        new(A.index_select(0, rows), B.index_select(0, rows))
        {
            Scales = Scales?.index_select(0, rows),
            Adapted = Adapted is null ? null : rowList.Select(r => Adapted[r]).ToArray(),
        };

    /// <summary>Row blocks stacked in order: the weights of several prompts' samples in one batch.</summary>
    public static RowLoraWeights Concatenate(IReadOnlyList<RowLoraWeights> blocks) =>
        blocks.Count == 1 ? blocks[0] : new RowLoraWeights(cat(blocks.Select(b => b.A).ToList(), 0), cat(blocks.Select(b => b.B).ToList(), 0));
}
