using System.Text.RegularExpressions;
using UncertaintyService.Core.Formats;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Model;

/// <summary>
/// Builds a <see cref="LlamaModel"/> from tensors with Hugging Face names, strictly: a missing tensor,
/// a shape that disagrees with config.json, or a tensor the architecture has no place for is an error
/// naming it.
/// </summary>
public static class LlamaModelBuilder
{
    // Buffers older checkpoints carry that the model recomputes.
    private static readonly Regex RecomputedBuffer = new(@"^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$");

    public static LlamaModel Build(LlamaConfig config, ITensorSource source, ScalarType dtype, Device device)
    {
        var used = new HashSet<string>();
        void Check(string name, long[] shape)
        {
            if (!source.Names.Contains(name))
                throw new BundleFormatException(source.Location, name, "missing tensor");
            var actual = source.Shape(name);
            if (!actual.SequenceEqual(shape))
                throw new BundleFormatException(source.Location, name,
                    $"shape [{string.Join(", ", actual)}] does not match config.json, which implies [{string.Join(", ", shape)}]");
            used.Add(name);
        }

        Tensor Take(string name, params long[] shape)
        {
            Check(name, shape);
            return source.Load(name, dtype, device);
        }

        LinearWeight Linear(string path, long outFeatures, long inFeatures, bool bias) =>
            new(path, Take(path + ".weight", outFeatures, inFeatures), bias ? Take(path + ".bias", outFeatures) : null);

        long hidden = config.HiddenSize, vocab = config.VocabSize, ff = config.IntermediateSize;
        long qWidth = (long)config.NumAttentionHeads * config.AttentionHeadDim;
        long kvWidth = (long)config.KeyValueHeads * config.AttentionHeadDim;
        var embed = Take("model.embed_tokens.weight", vocab, hidden);

        var layers = new List<LlamaDecoderLayer>();
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            string prefix = $"model.layers.{i}";
            var attention = new LlamaAttention(config,
                Linear($"{prefix}.self_attn.q_proj", qWidth, hidden, config.QkvBias),
                Linear($"{prefix}.self_attn.k_proj", kvWidth, hidden, config.QkvBias),
                Linear($"{prefix}.self_attn.v_proj", kvWidth, hidden, config.QkvBias),
                Linear($"{prefix}.self_attn.o_proj", hidden, qWidth, config.OutputProjectionBias));
            var mlp = new LlamaMlp(
                Linear($"{prefix}.mlp.gate_proj", ff, hidden, config.MlpBias),
                Linear($"{prefix}.mlp.up_proj", ff, hidden, config.MlpBias),
                Linear($"{prefix}.mlp.down_proj", hidden, ff, config.MlpBias));
            layers.Add(new LlamaDecoderLayer(
                new RmsNorm(Take($"{prefix}.input_layernorm.weight", hidden), config.RmsNormEps), attention,
                new RmsNorm(Take($"{prefix}.post_attention_layernorm.weight", hidden), config.RmsNormEps), mlp));
        }
        var norm = new RmsNorm(Take("model.norm.weight", hidden), config.RmsNormEps);

        bool hasScore = source.Names.Contains("score.weight");
        LinearWeight? score = null;
        if (hasScore)
        {
            long labels = config.NumLabels ?? source.Shape("score.weight")[0];
            score = new LinearWeight("score", Take("score.weight", labels, hidden));
        }

        // Tied checkpoints may still store lm_head.weight (a copy); sequence-classification ones have none.
        LinearWeight? lmHead = null;
        if (config.TieWordEmbeddings)
        {
            if (source.Names.Contains("lm_head.weight")) Check("lm_head.weight", [vocab, hidden]);
            lmHead = new LinearWeight("lm_head", embed);
        }
        else if (source.Names.Contains("lm_head.weight") || !hasScore)
            lmHead = new LinearWeight("lm_head", Take("lm_head.weight", vocab, hidden));

        var unknown = source.Names.Where(n => !used.Contains(n) && !RecomputedBuffer.IsMatch(n)).Order().ToList();
        if (unknown.Count > 0)
            throw new BundleFormatException(source.Location, unknown[0],
                $"tensor has no place in a {config.ModelType} model ({unknown.Count} such: {string.Join(", ", unknown.Take(5))})");

        return new LlamaModel(config, embed, layers, norm, lmHead, score);
    }
}
