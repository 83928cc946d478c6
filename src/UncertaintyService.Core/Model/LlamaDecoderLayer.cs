using static TorchSharp.torch;

namespace UncertaintyService.Core.Model;

/// <summary>One pre-norm decoder layer: x + attn(norm(x)), then + mlp(norm(.)).</summary>
public sealed class LlamaDecoderLayer(RmsNorm inputNorm, LlamaAttention attention, RmsNorm postAttentionNorm, LlamaMlp mlp)
{
    public RmsNorm InputNorm { get; } = inputNorm;
    public LlamaAttention Attention { get; } = attention;
    public RmsNorm PostAttentionNorm { get; } = postAttentionNorm;
    public LlamaMlp Mlp { get; } = mlp;

    public Tensor Forward(Tensor x, AttentionInputs inputs, ForwardContext context)
    {
        // Each block's input and output are freed once the residual sum exists.
        using var scope = NewDisposeScope();
        var afterAttention = x + Attention.Forward(InputNorm.Forward(x), inputs, context);
        scope.DisposeEverythingBut(afterAttention);
        return (afterAttention + Mlp.Forward(PostAttentionNorm.Forward(afterAttention), context)).MoveToOuterDisposeScope();
    }
}
