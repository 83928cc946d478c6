using static TorchSharp.torch;

namespace UncertaintyService.Core.Model;

/// <summary>Which side padding goes on when prompts of different lengths share a batch.</summary>
public enum PaddingSide
{
    /// <summary>Pads after the prompt (the default; positions and masks make either side exact).</summary>
    Right,

    /// <summary>Pads before the prompt, as generation servers often do.</summary>
    Left,
}

/// <summary>Token ids of several prompts padded into one (B, T) batch, with the mask and each prompt's last real position.</summary>
public sealed class TokenBatch
{
    private TokenBatch(Tensor inputIds, Tensor attentionMask, Tensor lastPositions)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
        LastPositions = lastPositions;
    }

    public Tensor InputIds { get; }

    public Tensor AttentionMask { get; }

    /// <summary>The index of each prompt's last real token (B), where its class logits are read.</summary>
    public Tensor LastPositions { get; }

    public long Size => InputIds.shape[0];

    /// <summary>A batch of equal-length rows (B, T) with no padding, as pre-training uses.</summary>
    public static TokenBatch FromFullRows(Tensor inputIds)
    {
        long rows = inputIds.shape[0], length = inputIds.shape[1];
        return new TokenBatch(inputIds, ones_like(inputIds), full(rows, length - 1, dtype: ScalarType.Int64, device: inputIds.device));
    }

    public static TokenBatch Create(IReadOnlyList<IReadOnlyList<int>> prompts, Device device, PaddingSide side = PaddingSide.Right)
    {
        if (prompts.Count == 0)
            throw new ArgumentException("A batch needs at least one prompt.", nameof(prompts));
        int length = prompts.Max(p => p.Count);
        if (prompts.Any(p => p.Count == 0))
            throw new ArgumentException("Every prompt needs at least one token.", nameof(prompts));

        var ids = new long[prompts.Count * length];
        var mask = new long[prompts.Count * length];
        var last = new long[prompts.Count];
        for (int b = 0; b < prompts.Count; b++)
        {
            int offset = side == PaddingSide.Left ? length - prompts[b].Count : 0;
            for (int t = 0; t < prompts[b].Count; t++)
            {
                ids[b * length + offset + t] = prompts[b][t];
                mask[b * length + offset + t] = 1;
            }
            last[b] = offset + prompts[b].Count - 1;
        }
        return new TokenBatch(
            tensor(ids, new long[] { prompts.Count, length }, device: device),
            tensor(mask, new long[] { prompts.Count, length }, device: device),
            tensor(last, device: device));
    }
}
