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
        // Temporaries die with this scope, and the projections before rotation as soon as they are rotated.
        using var scope = NewDisposeScope();
        long batch = x.shape[0], length = x.shape[1];
        int heads = config.NumAttentionHeads, kvHeads = config.KeyValueHeads, dim = config.AttentionHeadDim;
        long group = heads / kvHeads;

        var query = context.Linear(x, Q).view(batch, length, heads, dim).transpose(1, 2);
        var key = context.Linear(x, K).view(batch, length, kvHeads, dim).transpose(1, 2);
        var value = context.Linear(x, V).view(batch, length, kvHeads, dim).transpose(1, 2);

        query = RotaryEmbedding.Apply(query, inputs.Cos, inputs.Sin);
        key = RotaryEmbedding.Apply(key, inputs.Cos, inputs.Sin);
        scope.DisposeEverythingBut(query, key, value);

        // Grouped-query attention without repeating K and V: query head h reads key head h / group, so
        // the group's query heads are stacked along the sequence axis of their key head, (B, kvH, group*T, d),
        // and the mask is tiled the same way. libtorch's fused kernel keeps softmax in float32 for
        // half types, never forms the (T, T) scores of all heads at once, and gives a fully masked
        // query (left padding) an output of zero rather than NaN.
        var grouped = query.reshape(batch, kvHeads, group * length, dim);
        var attended = nn.functional.scaled_dot_product_attention(grouped, key, value, inputs.Allowed)
            .view(batch, heads, length, dim).transpose(1, 2).reshape(batch, length, heads * dim);
        scope.DisposeEverythingBut(attended);
        return context.Linear(attended, O).MoveToOuterDisposeScope();
    }
}

/// <summary>What every layer's attention shares for one batch: rotary angles and the allowed (query, key) pairs.</summary>
public sealed record AttentionInputs(Tensor Cos, Tensor Sin, Tensor Allowed)
{
    /// <summary>
    /// Builds the inputs from an attention mask (B, T) of ones on real tokens. Positions count real
    /// tokens only, so a left-padded prompt sees the same rotary angles as the unpadded one.
    /// <paramref name="queryGroup"/> query heads share each key head; the mask is tiled for them.
    /// </summary>
    public static AttentionInputs Create(Tensor attentionMask, RotaryEmbedding rotary, int? slidingWindow, ScalarType dtype, long queryGroup)
    {
        long batch = attentionMask.shape[0], length = attentionMask.shape[1];
        var real = attentionMask.to(ScalarType.Bool);
        var positions = real.to(ScalarType.Int64).cumsum(1).sub(1).clamp_min(0);
        var (cos, sin) = rotary.Angles(positions, dtype);

        var index = arange(length, device: attentionMask.device);
        var distance = index.unsqueeze(1) - index.unsqueeze(0); // query minus key
        var allowed = distance.ge(0);
        if (slidingWindow is { } window)
            allowed = allowed.logical_and(distance.lt(window));
        // (B, 1, group*T, T): allowed when the key is not in the future, inside the window, and real.
        allowed = allowed.unsqueeze(0).logical_and(real.unsqueeze(1)).unsqueeze(1);
        if (queryGroup > 1)
            allowed = allowed.unsqueeze(2).expand(batch, 1, queryGroup, length, length).reshape(batch, 1, queryGroup * length, length);
        return new AttentionInputs(cos, sin, allowed);
    }
}
