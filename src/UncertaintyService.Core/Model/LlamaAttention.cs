using static TorchSharp.torch;

namespace UncertaintyService.Core.Model;

/// <summary>Grouped-query self-attention with rotary embeddings and a padding-aware causal mask.</summary>
public sealed class LlamaAttention(LlamaConfig config, LinearWeight q, LinearWeight k, LinearWeight v, LinearWeight o)
{
    public LinearWeight Q { get; } = q;
    public LinearWeight K { get; } = k;
    public LinearWeight V { get; } = v;
    public LinearWeight O { get; } = o;

    public Tensor Forward(Tensor x, AttentionInputs inputs, ForwardContext context)
    {
        long batch = x.shape[0], length = x.shape[1];
        int heads = config.NumAttentionHeads, kvHeads = config.KeyValueHeads, dim = config.AttentionHeadDim;

        var query = context.Linear(x, Q).view(batch, length, heads, dim).transpose(1, 2);
        var key = context.Linear(x, K).view(batch, length, kvHeads, dim).transpose(1, 2);
        var value = context.Linear(x, V).view(batch, length, kvHeads, dim).transpose(1, 2);

        query = RotaryEmbedding.Apply(query, inputs.Cos, inputs.Sin);
        key = RotaryEmbedding.Apply(key, inputs.Cos, inputs.Sin);
        if (kvHeads != heads)
        {
            key = key.repeat_interleave(heads / kvHeads, dim: 1);
            value = value.repeat_interleave(heads / kvHeads, dim: 1);
        }

        // Softmax in at least float32. Masked scores get the dtype's lowest finite value rather than
        // -inf: a query whose keys are all masked (left padding) then gets finite uniform weights
        // instead of NaN, and a real query gives masked keys a weight of exactly zero.
        var scoreType = query.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : query.dtype;
        var scores = query.to(scoreType).matmul(key.to(scoreType).transpose(-2, -1)) / Math.Sqrt(dim);
        scores = scores.masked_fill(inputs.Blocked, LowestFinite(scoreType));
        var weights = scores.softmax(-1).to(value.dtype);

        var attended = weights.matmul(value).transpose(1, 2).reshape(batch, length, heads * dim);
        return context.Linear(attended, O);
    }

    private static double LowestFinite(ScalarType type) => type switch
    {
        ScalarType.Float64 => double.MinValue,
        _ => float.MinValue,
    };
}

/// <summary>What every layer's attention shares for one batch: rotary angles and the blocked (query, key) pairs.</summary>
public sealed record AttentionInputs(Tensor Cos, Tensor Sin, Tensor Blocked)
{
    /// <summary>
    /// Builds the inputs from an attention mask (B, T) of ones on real tokens. Positions count real
    /// tokens only, so a left-padded prompt sees the same rotary angles as the unpadded one.
    /// </summary>
    public static AttentionInputs Create(Tensor attentionMask, RotaryEmbedding rotary, int? slidingWindow, ScalarType dtype)
    {
        long length = attentionMask.shape[1];
        var real = attentionMask.to(ScalarType.Bool);
        var positions = real.to(ScalarType.Int64).cumsum(1).sub(1).clamp_min(0);
        var (cos, sin) = rotary.Angles(positions, dtype);

        var index = arange(length, device: attentionMask.device);
        var distance = index.unsqueeze(1) - index.unsqueeze(0); // query minus key
        var allowed = distance.ge(0);
        if (slidingWindow is { } window)
            allowed = allowed.logical_and(distance.lt(window));
        // (B, 1, T, T): blocked when the key is in the future, outside the window, or padding.
        var blocked = allowed.logical_not().unsqueeze(0).logical_or(real.logical_not().unsqueeze(1)).unsqueeze(1);
        return new AttentionInputs(cos, sin, blocked);
    }
}
