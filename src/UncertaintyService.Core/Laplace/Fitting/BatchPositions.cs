using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Laplace.Fitting;

/// <summary>
/// Which positions of a recorded (B, P, D) tensor are real tokens, and how each positions mode turns
/// them into factor rows. Decoder modules see P = T (the padded length, masked); head modules see
/// P = 1, the last real token alone. Pad positions never reach a row.
/// </summary>
internal sealed class BatchPositions
{
    private readonly Tensor realIndex; // flattened (b * P + t) of every real position
    private readonly Tensor mask;      // (B, P) float64, 1 at real positions
    private readonly Tensor lengths;   // (B, 1) float64, real positions per prompt
    private readonly Tensor last;      // (B) long, each prompt's last real position

    private BatchPositions(Tensor mask, Tensor last)
    {
        this.mask = mask.to(ScalarType.Float64);
        this.last = last;
        realIndex = mask.flatten().nonzero().squeeze(1);
        lengths = this.mask.sum(1, keepdim: true);
    }

    /// <summary>The positions of a tensor recorded with <paramref name="positions"/> positions per prompt.</summary>
    public static BatchPositions For(TokenBatch batch, long positions)
    {
        if (positions == batch.InputIds.shape[1])
            return new BatchPositions(batch.AttentionMask, batch.LastPositions);
        if (positions == 1)
            return new BatchPositions(ones(batch.Size, 1, ScalarType.Int64, batch.InputIds.device), zeros(batch.Size, ScalarType.Int64, batch.InputIds.device));
        throw new InvalidOperationException($"A LoRA activation has {positions} positions per prompt; the batch has {batch.InputIds.shape[1]}.");
    }

    /// <summary>
    /// The rows whose X^T X a factor adds, from <paramref name="values"/> (B, P, D): expand, every real
    /// position; reduce, one row per prompt, the sum over its real positions (divided by their count
    /// when <paramref name="meanOverPositions"/>); last, the last real position.
    /// </summary>
    public Tensor Rows(Tensor values, PositionHandling handling, bool meanOverPositions)
    {
        long width = values.shape[^1];
        return handling switch
        {
            PositionHandling.Expand => values.reshape(-1, width).index_select(0, realIndex),
            PositionHandling.Reduce when meanOverPositions => (values * mask.unsqueeze(-1)).sum(1) / lengths,
            PositionHandling.Reduce => (values * mask.unsqueeze(-1)).sum(1),
            PositionHandling.Last => values.gather(1, last.view(-1, 1, 1).expand(-1, 1, width)).squeeze(1),
            _ => throw new ArgumentOutOfRangeException(nameof(handling)),
        };
    }
}
