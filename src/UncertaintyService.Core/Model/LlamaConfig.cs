using System.Text.Json;
using System.Text.Json.Serialization;
using UncertaintyService.Core.Formats;

namespace UncertaintyService.Core.Model;

/// <summary>
/// The Hugging Face <c>config.json</c> of a Llama-family decoder (Llama 2/3, Mistral, Qwen2), bound
/// with snake_case names. Every key either binds here, is listed in <see cref="IgnoredKeys"/>
/// (bookkeeping that does not change the computation), or is rejected by name.
/// </summary>
public sealed record LlamaConfig
{
    public static readonly IReadOnlySet<string> SupportedModelTypes = new HashSet<string> { "llama", "mistral", "qwen2" };

    public static readonly IReadOnlySet<string> IgnoredKeys = new HashSet<string>
    {
        "_name_or_path", "architectures", "transformers_version", "torch_dtype", "dtype", "use_cache",
        "initializer_range", "bos_token_id", "eos_token_id", "pad_token_id", "max_window_layers",
        "attention_dropout", "id2label", "label2id", "problem_type", "output_router_logits",
        "tokenizer_class", "generation_config",
    };

    public string ModelType { get; init; } = "llama";
    public int VocabSize { get; init; }
    public int HiddenSize { get; init; }
    public int IntermediateSize { get; init; }
    public int NumHiddenLayers { get; init; }
    public int NumAttentionHeads { get; init; }
    public int? NumKeyValueHeads { get; init; }
    public int? HeadDim { get; init; }
    public string HiddenAct { get; init; } = "silu";
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000.0;
    public RopeScaling? RopeScaling { get; init; }
    public bool TieWordEmbeddings { get; init; }
    public bool AttentionBias { get; init; }
    public bool MlpBias { get; init; }
    public int? SlidingWindow { get; init; }
    public bool? UseSlidingWindow { get; init; }
    public int PretrainingTp { get; init; } = 1;

    /// <summary>Per-layer attention kinds newer transformers write (full_attention, sliding_attention).</summary>
    public IReadOnlyList<string>? LayerTypes { get; init; }

    /// <summary>Outputs of the sequence-classification <c>score</c> head (1 for a reward model).</summary>
    public int? NumLabels { get; init; }

    [JsonIgnore] public int KeyValueHeads => NumKeyValueHeads ?? NumAttentionHeads;
    [JsonIgnore] public int AttentionHeadDim => HeadDim ?? HiddenSize / NumAttentionHeads;

    /// <summary>Qwen2 puts biases on q, k and v; Llama's <c>attention_bias</c> puts them on q, k, v and o.</summary>
    [JsonIgnore] public bool QkvBias => AttentionBias || ModelType == "qwen2";
    [JsonIgnore] public bool OutputProjectionBias => AttentionBias;

    /// <summary>The window in tokens, or null when attention sees the whole prefix.</summary>
    [JsonIgnore] public int? EffectiveSlidingWindow => UseSlidingWindow == false ? null : SlidingWindow;

    public static LlamaConfig Load(string path)
    {
        var config = StrictJson.Load<LlamaConfig>(path, IgnoredKeys);
        config.Validate(path);
        return config;
    }

    public static LlamaConfig Parse(string json, string source)
    {
        var config = StrictJson.Parse<LlamaConfig>(json, source, IgnoredKeys);
        config.Validate(source);
        return config;
    }

    public string ToJson() => JsonSerializer.Serialize(this, StrictJson.Options);

    public void Validate(string source)
    {
        void Require(bool ok, string key, string problem)
        {
            if (!ok) throw new BundleFormatException(source, key, problem);
        }

        Require(SupportedModelTypes.Contains(ModelType), "model_type",
            $"'{ModelType}' is not supported; supported: {string.Join(", ", SupportedModelTypes)}");
        Require(VocabSize > 0, "vocab_size", "must be positive");
        Require(HiddenSize > 0, "hidden_size", "must be positive");
        Require(IntermediateSize > 0, "intermediate_size", "must be positive");
        Require(NumHiddenLayers > 0, "num_hidden_layers", "must be positive");
        Require(NumAttentionHeads > 0, "num_attention_heads", "must be positive");
        Require(KeyValueHeads > 0 && NumAttentionHeads % KeyValueHeads == 0, "num_key_value_heads",
            $"{KeyValueHeads} must be positive and divide num_attention_heads ({NumAttentionHeads})");
        Require(HeadDim is not null || HiddenSize % NumAttentionHeads == 0, "hidden_size",
            $"{HiddenSize} is not divisible by num_attention_heads ({NumAttentionHeads}) and head_dim is not given");
        Require(AttentionHeadDim > 0 && AttentionHeadDim % 2 == 0, "head_dim",
            $"{AttentionHeadDim} must be positive and even for rotary embeddings");
        Require(HiddenAct == "silu", "hidden_act", $"'{HiddenAct}' is not supported; only 'silu' (SwiGLU)");
        Require(RmsNormEps > 0, "rms_norm_eps", "must be positive");
        Require(RopeTheta > 0, "rope_theta", "must be positive");
        Require(MaxPositionEmbeddings > 0, "max_position_embeddings", "must be positive");
        Require(PretrainingTp == 1, "pretraining_tp", $"{PretrainingTp} is not supported; only 1");
        Require(SlidingWindow is null or > 0, "sliding_window", "must be positive when given");
        Require(NumLabels is null or > 0, "num_labels", "must be positive when given");
        RopeScaling?.Validate(source);
        if (LayerTypes is not null)
        {
            // Every layer must attend the way the model applies attention: the window to all or to none.
            string expected = EffectiveSlidingWindow is null ? "full_attention" : "sliding_attention";
            Require(LayerTypes.Count == NumHiddenLayers, "layer_types", $"lists {LayerTypes.Count} layers; num_hidden_layers is {NumHiddenLayers}");
            Require(LayerTypes.All(t => t == expected), "layer_types",
                $"mixes or uses kinds other than '{expected}' ({string.Join(", ", LayerTypes.Distinct())}); per-layer attention kinds are not supported");
        }
    }
}

/// <summary>
/// <c>rope_scaling</c>: none, <c>default</c>, <c>linear</c> (positions divided by the factor) or
/// <c>llama3</c> (Llama 3.1's frequency-dependent scaling). Others are rejected by name.
/// </summary>
public sealed record RopeScaling
{
    public static readonly IReadOnlySet<string> SupportedTypes = new HashSet<string> { "default", "linear", "llama3" };

    public string? RopeType { get; init; }

    /// <summary>The older spelling of <see cref="RopeType"/>.</summary>
    public string? Type { get; init; }

    public double? Factor { get; init; }
    public double? LowFreqFactor { get; init; }
    public double? HighFreqFactor { get; init; }
    public int? OriginalMaxPositionEmbeddings { get; init; }

    [JsonIgnore] public string Kind => RopeType ?? Type ?? "default";

    public void Validate(string source)
    {
        void Require(bool ok, string key, string problem)
        {
            if (!ok) throw new BundleFormatException(source, "rope_scaling." + key, problem);
        }

        // Name the spelling the file used, so the message points at the key the user can see.
        Require(SupportedTypes.Contains(Kind), RopeType is null && Type is not null ? "type" : "rope_type",
            $"'{Kind}' is not supported; supported: {string.Join(", ", SupportedTypes)}");
        if (Kind is "linear" or "llama3")
            Require(Factor is > 0, "factor", "must be given and positive");
        if (Kind == "llama3")
        {
            Require(LowFreqFactor is > 0, "low_freq_factor", "must be given and positive");
            Require(HighFreqFactor > LowFreqFactor, "high_freq_factor", "must be greater than low_freq_factor");
            Require(OriginalMaxPositionEmbeddings is > 0, "original_max_position_embeddings", "must be given and positive");
        }
    }
}
