using UncertaintyService.Core.Execution;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Model;

/// <summary>Which output a prediction reads at the last real token.</summary>
public enum ModelHead
{
    /// <summary>The causal-LM head: next-token logits, of which the label tokens are the classes.</summary>
    LanguageModel,

    /// <summary>The sequence-classification <c>score</c> head (reward models: one output).</summary>
    Score,
}

/// <summary>
/// A Llama-family decoder with its LM head and optional <c>score</c> head. The weights are shared by
/// every adapter; what an adapter changes travels in the <see cref="ForwardContext"/>.
/// </summary>
public sealed class LlamaModel : ITensorOwner
{
    /// <summary>The Hugging Face module path of the sequence-classification head.</summary>
    public const string ScoreModulePath = "score";

    private readonly RotaryEmbedding rotary;

    public LlamaModel(LlamaConfig config, Tensor embedTokens, IReadOnlyList<LlamaDecoderLayer> layers, RmsNorm norm,
        LinearWeight? lmHead, LinearWeight? scoreHead)
    {
        Config = config;
        EmbedTokens = embedTokens;
        Layers = layers;
        Norm = norm;
        LmHead = lmHead;
        ScoreHead = scoreHead;
        rotary = new RotaryEmbedding(config, embedTokens.device);
    }

    public LlamaConfig Config { get; }
    public Tensor EmbedTokens { get; }
    public IReadOnlyList<LlamaDecoderLayer> Layers { get; }
    public RmsNorm Norm { get; }
    public LinearWeight? LmHead { get; }
    public LinearWeight? ScoreHead { get; }
    public ScalarType DType => EmbedTokens.dtype;
    public Device Device => EmbedTokens.device;

    /// <summary>Every linear module by its Hugging Face path, for resolving adapter targets.</summary>
    public IEnumerable<LinearWeight> LinearModules()
    {
        foreach (var layer in Layers)
        {
            yield return layer.Attention.Q;
            yield return layer.Attention.K;
            yield return layer.Attention.V;
            yield return layer.Attention.O;
            yield return layer.Mlp.Gate;
            yield return layer.Mlp.Up;
            yield return layer.Mlp.Down;
        }
        if (LmHead is not null) yield return LmHead;
        if (ScoreHead is not null) yield return ScoreHead;
    }

    /// <summary>The final-norm hidden states at every position (B, T, hidden); padding positions are junk.</summary>
    public Tensor HiddenStates(TokenBatch batch, ForwardContext context) => Norm.Forward(DecoderOutput(batch, context));

    /// <summary>The final-norm hidden state at each prompt's last real token (B, hidden).</summary>
    public Tensor LastHiddenState(TokenBatch batch, ForwardContext context)
    {
        var hidden = DecoderOutput(batch, context);
        var last = hidden.gather(1, batch.LastPositions.view(-1, 1, 1).expand(-1, 1, hidden.shape[2])).squeeze(1);
        return Norm.Forward(last);
    }

    /// <summary>Every weight tensor once (tied embeddings are one tensor), for training and accounting.</summary>
    public IEnumerable<Tensor> Weights()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        IEnumerable<Tensor?> All()
        {
            yield return EmbedTokens;
            foreach (var layer in Layers)
            {
                yield return layer.InputNorm.Weight;
                yield return layer.PostAttentionNorm.Weight;
            }
            yield return Norm.Weight;
            foreach (var linear in LinearModules())
            {
                yield return linear.Weight;
                yield return linear.Bias;
            }
        }
        return All().OfType<Tensor>().Where(seen.Add).ToList();
    }

    /// <summary>The weights and the rotary frequencies: everything the model allocated.</summary>
    public IEnumerable<Tensor> OwnedTensors() => Weights().Append(rotary.Frequencies);

    public void Dispose() => TensorOwner.DisposeAll(this);

    private Tensor DecoderOutput(TokenBatch batch, ForwardContext context)
    {
        var inputs = AttentionInputs.Create(batch.AttentionMask, rotary, Config.EffectiveSlidingWindow, DType,
            Config.NumAttentionHeads / Config.KeyValueHeads);
        var hidden = EmbedTokens.index_select(0, batch.InputIds.flatten()).view(batch.InputIds.shape[0], batch.InputIds.shape[1], -1);
        // Recording for a Jacobian: the graph must start at the embeddings so gradients reach every
        // LoRA activation, while no parameter (frozen base or adapter) needs requires_grad.
        if (context.Recorder is not null)
            hidden = hidden.detach().requires_grad_(true);
        foreach (var layer in Layers)
        {
            // Memory flat in depth: a layer's temporaries die with its scope, and its input once the
            // output exists. Under autograd the graph keeps what backward needs whatever the handles do;
            // the recorder owns the activations it keeps.
            Tensor next;
            using (NewDisposeScope())
                next = layer.Forward(hidden, inputs, context).MoveToOuterDisposeScope();
            hidden.Dispose();
            hidden = next;
        }
        return hidden;
    }

    /// <summary>The head's outputs at the last real token (B, vocab) or (B, num_labels).</summary>
    public Tensor HeadOutputs(Tensor lastHidden, ModelHead head, ForwardContext context) => head switch
    {
        ModelHead.LanguageModel => context.Linear(lastHidden, LmHead
            ?? throw new InvalidOperationException("This model has no LM head (a sequence-classification checkpoint).")),
        ModelHead.Score => context.Linear(lastHidden, ScoreHead ?? context.Adapter?.ReplacementFor(ScoreModulePath)
            ?? throw new InvalidOperationException("This model has no 'score' head (sequence classification), and the adapter saves none.")),
        _ => throw new ArgumentOutOfRangeException(nameof(head)),
    };

    /// <summary>Forward and head in one: (B, vocab) or (B, num_labels).</summary>
    public Tensor Forward(TokenBatch batch, ModelHead head, ForwardContext context) =>
        HeadOutputs(LastHiddenState(batch, context), head, context);
}
