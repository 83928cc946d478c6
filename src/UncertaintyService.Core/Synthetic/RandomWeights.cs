using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Synthetic;

/// <summary>
/// Seeded random weights with Hugging Face and PEFT names, for tests on tiny models and for the
/// generated demo bundle. Scales keep activations of order one so that every nonlinearity matters.
/// </summary>
public static class RandomWeights
{
    /// <param name="embeddingStd">1 gives order-one activations for tests; a model trained from scratch starts near 0.02.</param>
    public static Dictionary<string, Tensor> Llama(LlamaConfig config, ulong seed, ScalarType dtype = ScalarType.Float32, bool withScoreHead = false,
        double embeddingStd = 1.0)
    {
        var generator = new Generator(seed, CPU);
        var tensors = new Dictionary<string, Tensor>();
        Tensor Normal(double std, params long[] shape) => (randn(shape, ScalarType.Float64, CPU, generator: generator) * std).to(dtype);
        Tensor Norm(long size) => (1 + 0.1 * randn(new[] { size }, ScalarType.Float64, CPU, generator: generator)).to(dtype);
        void Linear(string path, long outFeatures, long inFeatures, bool bias)
        {
            tensors[path + ".weight"] = Normal(1 / Math.Sqrt(inFeatures), outFeatures, inFeatures);
            if (bias) tensors[path + ".bias"] = Normal(0.1, outFeatures);
        }

        long hidden = config.HiddenSize, ff = config.IntermediateSize;
        long qWidth = (long)config.NumAttentionHeads * config.AttentionHeadDim;
        long kvWidth = (long)config.KeyValueHeads * config.AttentionHeadDim;
        tensors["model.embed_tokens.weight"] = Normal(embeddingStd, config.VocabSize, hidden);
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            string p = $"model.layers.{i}";
            tensors[$"{p}.input_layernorm.weight"] = Norm(hidden);
            Linear($"{p}.self_attn.q_proj", qWidth, hidden, config.QkvBias);
            Linear($"{p}.self_attn.k_proj", kvWidth, hidden, config.QkvBias);
            Linear($"{p}.self_attn.v_proj", kvWidth, hidden, config.QkvBias);
            Linear($"{p}.self_attn.o_proj", hidden, qWidth, config.OutputProjectionBias);
            tensors[$"{p}.post_attention_layernorm.weight"] = Norm(hidden);
            Linear($"{p}.mlp.gate_proj", ff, hidden, config.MlpBias);
            Linear($"{p}.mlp.up_proj", ff, hidden, config.MlpBias);
            Linear($"{p}.mlp.down_proj", hidden, ff, config.MlpBias);
        }
        tensors["model.norm.weight"] = Norm(hidden);
        if (!config.TieWordEmbeddings)
            Linear("lm_head", config.VocabSize, hidden, bias: false);
        if (withScoreHead)
            Linear("score", config.NumLabels ?? 1, hidden, bias: false);
        return tensors;
    }

    /// <summary>
    /// PEFT-named LoRA tensors for every module <paramref name="config"/> targets on
    /// <paramref name="model"/>. Unlike PEFT's initialisation (B = 0), B is random too, so that
    /// gradients with respect to A are not zero.
    /// </summary>
    public static Dictionary<string, Tensor> Lora(LoraConfig config, LlamaModel model, ulong seed, double scale = 0.3)
    {
        var generator = new Generator(seed, CPU);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var linear in model.LinearModules().Where(l => config.Targets(l.ModulePath)))
        {
            int rank = config.RankOf(linear.ModulePath);
            string prefix = LoraModule.PeftPrefix + linear.ModulePath;
            tensors[prefix + ".lora_A.weight"] = (randn(new[] { rank, linear.InFeatures }, ScalarType.Float64, CPU, generator: generator)
                * (scale / Math.Sqrt(linear.InFeatures))).to(model.DType);
            tensors[prefix + ".lora_B.weight"] = (randn(new[] { linear.OutFeatures, (long)rank }, ScalarType.Float64, CPU, generator: generator)
                * scale).to(model.DType);
        }
        return tensors;
    }

    /// <summary>
    /// Random positive semi-definite K-FAC factors for every LoRA matrix of <paramref name="adapter"/>:
    /// square M M^T / n on the rank side, tall rank-<paramref name="rank"/> square roots on the large
    /// sides (as fit-kfac --rank-k stores them; sides no larger than the rank stay square, since a root
    /// must be tall). Float32, as a fitted file would be stored.
    /// </summary>
    public static KfacFactorFile KfacFactors(LoraAdapter adapter, string path, long examples, int rank, ulong seed)
    {
        var generator = new Generator(seed, CPU);
        Tensor Square(long n)
        {
            var m = randn(new[] { n, n + 4 }, ScalarType.Float64, CPU, generator: generator);
            return (m.matmul(m.T) / (n + 4)).to(ScalarType.Float32);
        }
        Tensor Tall(long n) => n <= rank ? Square(n)
            : (randn(new[] { n, (long)rank }, ScalarType.Float64, CPU, generator: generator) / Math.Sqrt(rank)).to(ScalarType.Float32);

        var modules = new Dictionary<string, KfacModuleFactors>();
        foreach (var m in adapter.Modules)
        {
            modules[m.NameA] = new KfacModuleFactors(Tall(m.A.shape[1]), Square(m.Rank));
            modules[m.NameB] = new KfacModuleFactors(Square(m.Rank), Tall(m.B.shape[0]));
        }
        return new KfacFactorFile(path, new KfacMetadata(examples, FisherKind.Exact, PositionHandling.Expand), modules);
    }
}
