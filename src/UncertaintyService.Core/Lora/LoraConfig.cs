using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Model;

namespace UncertaintyService.Core.Lora;

/// <summary>
/// PEFT's <c>adapter_config.json</c> for a LoRA adapter. Bookkeeping keys are skipped; keys for PEFT
/// features this server does not implement (DoRA, LoRA biases, fan-in-fan-out storage, ...) are
/// accepted only at their neutral value and otherwise rejected by name.
/// </summary>
public sealed record LoraConfig
{
    public const string FileName = "adapter_config.json";

    private static readonly IReadOnlySet<string> IgnoredKeys = new HashSet<string>
    {
        "base_model_name_or_path", "revision", "inference_mode", "init_lora_weights", "auto_mapping",
        "layers_pattern", "megatron_core", "peft_version",
        "qalora_group_size", // PEFT >= 0.16 writes it always; it only matters with use_qalora, which is refused
    };

    // Features this server does not implement: accepted only when absent, null, false or empty.
    private static readonly IReadOnlySet<string> NeutralOnlyKeys = new HashSet<string>
    {
        "use_dora", "fan_in_fan_out", "lora_bias", "layer_replication", "exclude_modules", "megatron_config",
        "loftq_config", "eva_config", "corda_config", "trainable_token_indices", "target_parameters",
        "use_qalora", "alora_invocation_tokens", "arrow_config", "ensure_weight_tying", "lora_ga_config", "use_bdlora",
    };

    public string PeftType { get; init; } = "LORA";
    public string? TaskType { get; init; }
    public int R { get; init; }
    public double LoraAlpha { get; init; }

    /// <summary>The largest lora_alpha (and alpha_pattern value) accepted.</summary>
    public const double MaxAlpha = 1e6;
    public double LoraDropout { get; init; }
    public bool UseRslora { get; init; }
    public string Bias { get; init; } = "none";
    public JsonElement? TargetModules { get; init; }
    public IReadOnlyList<string>? ModulesToSave { get; init; }
    public JsonElement? LayersToTransform { get; init; }
    public IReadOnlyDictionary<string, int>? RankPattern { get; init; }
    public IReadOnlyDictionary<string, double>? AlphaPattern { get; init; }

    // Derived, not a PEFT key: Save must not write it into adapter_config.json.
    [JsonIgnore]
    public ModelHead Head => TaskType == "SEQ_CLS" ? ModelHead.Score : ModelHead.LanguageModel;

    public static LoraConfig Load(string path)
    {
        if (!File.Exists(path)) throw new BundleFormatException(path, null, "file not found");
        var root = StrictJson.ReadObject(File.ReadAllText(path), path);
        foreach (var key in NeutralOnlyKeys)
        {
            if (root[key] is { } value && !IsNeutral(value))
                throw new BundleFormatException(path, key, $"{value.ToJsonString()} is not supported; this server implements plain LoRA");
            root.Remove(key);
        }
        var config = StrictJson.Bind<LoraConfig>(root, path, IgnoredKeys);
        config.Validate(path);
        return config;
    }

    // PEFT calls rank_pattern.keys() and alpha_pattern.keys() when it loads an adapter, so they are
    // written as empty objects rather than null.
    public void Save(string path) => StrictJson.Save(path, this with
    {
        RankPattern = RankPattern ?? new Dictionary<string, int>(),
        AlphaPattern = AlphaPattern ?? new Dictionary<string, double>(),
    });

    public void Validate(string path)
    {
        void Require(bool ok, string key, string problem)
        {
            if (!ok) throw new BundleFormatException(path, key, problem);
        }

        Require(PeftType == "LORA", "peft_type", $"'{PeftType}' is not supported; only 'LORA'");
        Require(TaskType is null or "CAUSAL_LM" or "SEQ_CLS", "task_type", $"'{TaskType}' is not supported; use CAUSAL_LM or SEQ_CLS");
        Require(R > 0, "r", "must be a positive rank");
        // A scale alpha / r beyond 1e6 overflows float16 and float32 activations; no trained adapter has one.
        Require(LoraAlpha > 0 && LoraAlpha <= MaxAlpha, "lora_alpha", $"{LoraAlpha} must be positive and at most {MaxAlpha:G}");
        Require(AlphaPattern is null || AlphaPattern.Values.All(a => a > 0 && a <= MaxAlpha), "alpha_pattern", $"every alpha must be positive and at most {MaxAlpha:G}");
        Require(LoraDropout is >= 0 and < 1, "lora_dropout", "must be in [0, 1)");
        Require(Bias == "none", "bias", $"'{Bias}' is not supported; only 'none'");
        Require(TargetModules is { ValueKind: JsonValueKind.Array or JsonValueKind.String }, "target_modules",
            "must be a list of module names or a regular expression");
        Require(LayersToTransform is null or { ValueKind: JsonValueKind.Null or JsonValueKind.Number or JsonValueKind.Array },
            "layers_to_transform", "must be a layer index or a list of them");
    }

    /// <summary>Whether PEFT would put a LoRA on this module path (<c>model.layers.0.self_attn.q_proj</c>).</summary>
    public bool Targets(string modulePath)
    {
        bool named = TargetModules!.Value.ValueKind == JsonValueKind.String
            ? TargetModules.Value.GetString() is "all-linear"
                ? modulePath is not ("lm_head" or "score")
                : Regex.IsMatch(modulePath, $"^(?:{TargetModules.Value.GetString()})$")
            : TargetModules.Value.EnumerateArray().Any(t => MatchesName(modulePath, t.GetString()!));
        return named && InTransformedLayer(modulePath);
    }

    /// <summary>Whether <paramref name="modulePath"/> is one of <see cref="ModulesToSave"/>.</summary>
    public bool Saves(string modulePath) => ModulesToSave?.Any(m => MatchesName(modulePath, m)) == true;

    /// <summary>The rank of one module, honouring PEFT's <c>rank_pattern</c>.</summary>
    public int RankOf(string modulePath) =>
        RankPattern?.FirstOrDefault(p => MatchesPattern(modulePath, p.Key)) is { Key: not null } hit ? hit.Value : R;

    /// <summary>alpha / r (or alpha / sqrt(r) with rsLoRA), honouring <c>alpha_pattern</c>.</summary>
    public double ScaleOf(string modulePath)
    {
        double alpha = AlphaPattern?.FirstOrDefault(p => MatchesPattern(modulePath, p.Key)) is { Key: not null } hit ? hit.Value : LoraAlpha;
        int rank = RankOf(modulePath);
        return UseRslora ? alpha / Math.Sqrt(rank) : alpha / rank;
    }

    private bool InTransformedLayer(string modulePath)
    {
        if (LayersToTransform is not { ValueKind: JsonValueKind.Number or JsonValueKind.Array } layers)
            return true;
        var match = Regex.Match(modulePath, @"^model\.layers\.(\d+)\.");
        if (!match.Success) return false;
        int layer = int.Parse(match.Groups[1].Value);
        return layers.ValueKind == JsonValueKind.Number
            ? layers.GetInt32() == layer
            : layers.EnumerateArray().Any(l => l.GetInt32() == layer);
    }

    // PEFT: a name matches the module itself or its last dotted components.
    private static bool MatchesName(string modulePath, string name) =>
        modulePath == name || modulePath.EndsWith("." + name, StringComparison.Ordinal);

    private static bool MatchesPattern(string modulePath, string pattern) =>
        Regex.IsMatch(modulePath, $"^(?:.*\\.)?{pattern}$");

    private static bool IsNeutral(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.Null => true,
        JsonValueKind.False => true,
        JsonValueKind.Array => value.AsArray().Count == 0,
        JsonValueKind.Object => value.AsObject().Count == 0,
        _ => false,
    };
}
