using System.Reflection;
using System.Text.Json.Nodes;
using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Tests.Support;

namespace UncertaintyService.Core.Tests.Model;

public sealed class LlamaConfigTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private LlamaConfig LoadText(string json) => LlamaConfig.Load(folder.Write(LlamaModelLoader.ConfigFile, json));

    [Fact]
    public void Llama2HubConfigBindsEveryValue()
    {
        var config = LoadText(HubConfigs.Llama2);

        // Record equality compares every property, so a value bound wrongly or left at its default fails here.
        Assert.Equal(new LlamaConfig
        {
            ModelType = "llama", VocabSize = 32000, HiddenSize = 4096, IntermediateSize = 11008, NumHiddenLayers = 32,
            NumAttentionHeads = 32, NumKeyValueHeads = 32, HiddenAct = "silu", MaxPositionEmbeddings = 4096,
            RmsNormEps = 1e-5, RopeTheta = 10000, RopeScaling = null, TieWordEmbeddings = false, PretrainingTp = 1,
        }, config);
        Assert.Equal(128, config.AttentionHeadDim);
        Assert.False(config.QkvBias);
        Assert.Null(config.EffectiveSlidingWindow);
    }

    [Fact]
    public void Qwen2HubConfigBindsEveryValueAndKeepsTheWindowOff()
    {
        var config = LoadText(HubConfigs.Qwen2);

        Assert.Equal(new LlamaConfig
        {
            ModelType = "qwen2", VocabSize = 151936, HiddenSize = 896, IntermediateSize = 4864, NumHiddenLayers = 24,
            NumAttentionHeads = 14, NumKeyValueHeads = 2, HiddenAct = "silu", MaxPositionEmbeddings = 131072,
            RmsNormEps = 1e-6, RopeTheta = 1_000_000, TieWordEmbeddings = true, SlidingWindow = 131072, UseSlidingWindow = false,
        }, config);
        Assert.Equal(64, config.AttentionHeadDim);
        Assert.True(config.QkvBias);
        Assert.False(config.OutputProjectionBias);
        Assert.Null(config.EffectiveSlidingWindow);
    }

    [Fact]
    public void MistralHubConfigBindsEveryValueWithALiveWindow()
    {
        var config = LoadText(HubConfigs.Mistral);

        Assert.Equal(new LlamaConfig
        {
            ModelType = "mistral", VocabSize = 32000, HiddenSize = 4096, IntermediateSize = 14336, NumHiddenLayers = 32,
            NumAttentionHeads = 32, NumKeyValueHeads = 8, HiddenAct = "silu", MaxPositionEmbeddings = 32768,
            RmsNormEps = 1e-5, RopeTheta = 10000, SlidingWindow = 4096,
        }, config);
        Assert.Equal(8, config.KeyValueHeads);
        Assert.Equal(4096, config.EffectiveSlidingWindow);
    }

    [Fact]
    public void Llama31HubConfigBindsItsLlama3RopeScaling()
    {
        var config = LoadText(HubConfigs.Llama31);

        Assert.Equal(new LlamaConfig
        {
            ModelType = "llama", VocabSize = 128256, HiddenSize = 4096, IntermediateSize = 14336, NumHiddenLayers = 32,
            NumAttentionHeads = 32, NumKeyValueHeads = 8, HiddenAct = "silu", MaxPositionEmbeddings = 131072,
            RmsNormEps = 1e-5, RopeTheta = 500000, PretrainingTp = 1, AttentionBias = false, MlpBias = false,
            RopeScaling = new RopeScaling
            {
                RopeType = "llama3", Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 8192,
            },
        }, config);
        Assert.Equal("llama3", config.RopeScaling!.Kind);
    }

    [Fact]
    public void EveryIgnoredKeyIsAcceptedBesideAValidConfig()
    {
        var root = JsonNode.Parse(Tiny.Config().ToJson())!.AsObject();
        foreach (var key in LlamaConfig.IgnoredKeys)
            root[key] = JsonValue.Create("anything");

        Assert.Equal(Tiny.Config(), LoadText(root.ToJsonString()));
    }

    // Each row: a Hub config, the key set (or removed when the value is null), the key the error must
    // name, and a word of the problem.
    public static TheoryData<string, string, string?, string, string> BadValues => new()
    {
        { HubConfigs.Llama2, "my_custom_setting", "1", "my_custom_setting", "unknown key" },
        { HubConfigs.Llama2, "model_type", "\"gpt2\"", "model_type", "gpt2" },
        { HubConfigs.Llama2, "hidden_act", "\"gelu\"", "hidden_act", "gelu" },
        { HubConfigs.Llama2, "rope_scaling", """{"rope_type":"yarn","factor":4.0,"original_max_position_embeddings":32768}""", "rope_scaling.rope_type", "yarn" },
        { HubConfigs.Llama2, "rope_scaling", """{"type":"dynamic","factor":2.0}""", "rope_scaling.type", "dynamic" },
        { HubConfigs.Llama2, "num_key_value_heads", "5", "num_key_value_heads", "divide" },
        { HubConfigs.Llama2, "pretraining_tp", "2", "pretraining_tp", "not supported" },
        { HubConfigs.Llama2, "hidden_size", "\"4096\"", "hidden_size", "could not be converted" },
        { HubConfigs.Llama2, "vocab_size", null, "vocab_size", "positive" },
        { HubConfigs.Llama31, "rope_scaling", """{"rope_type":"llama3","factor":8.0,"high_freq_factor":4.0,"original_max_position_embeddings":8192}""", "rope_scaling.low_freq_factor", "must be given" },
        { HubConfigs.Llama31, "rope_scaling", """{"rope_type":"linear"}""", "rope_scaling.factor", "must be given" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void UnsupportedValueIsRejectedNamingItsKey(string hubConfig, string key, string? value, string expectedKey, string problem)
    {
        var root = JsonNode.Parse(hubConfig)!.AsObject();
        if (value is null) root.Remove(key);
        else root[key] = JsonNode.Parse(value);

        Rejected.Bundle(() => LoadText(root.ToJsonString()), LlamaModelLoader.ConfigFile, expectedKey, problem);
    }

    [Fact]
    public void TextThatIsNotJsonIsRejectedNamingTheFile() =>
        Rejected.Bundle(() => LoadText("model_type: llama\nhidden_size: 4096\n"), LlamaModelLoader.ConfigFile, null, "not valid JSON");

    [Fact]
    public void JsonArrayIsRejectedAsNotAnObject() =>
        Rejected.Bundle(() => LoadText("[" + HubConfigs.Llama2 + "]"), LlamaModelLoader.ConfigFile, null, "JSON object");

    [Fact]
    public void MissingConfigFileIsRejectedNamingIt() =>
        Rejected.Bundle(() => LlamaConfig.Load(folder.File(LlamaModelLoader.ConfigFile)), LlamaModelLoader.ConfigFile, null, "not found");

    // The Hugging Face names of every setting; a property whose snake_case name is not one of these
    // would round-trip through our own writer yet never bind from a real config.json.
    private static readonly string[] ConfigKeys =
    [
        "model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "num_key_value_heads", "head_dim", "hidden_act", "max_position_embeddings", "rms_norm_eps", "rope_theta",
        "rope_scaling", "tie_word_embeddings", "attention_bias", "mlp_bias", "sliding_window", "use_sliding_window",
        "pretraining_tp", "num_labels", "layer_types",
    ];

    private static readonly string[] RopeScalingKeys =
        ["rope_type", "type", "factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"];

    [Fact]
    public void EverySettablePropertyBindsFromItsHuggingFaceKey()
    {
        var config = WithEveryValueChanged(new LlamaConfig()) with { RopeScaling = WithEveryValueChanged(new RopeScaling()) };
        var json = JsonNode.Parse(config.ToJson())!.AsObject();
        Assert.Equal(ConfigKeys.Order(), json.Select(p => p.Key).Order());
        Assert.Equal(RopeScalingKeys.Order(), json["rope_scaling"]!.AsObject().Select(p => p.Key).Order());

        // Binding alone, without Validate: hidden_act and pretraining_tp accept only their defaults.
        var path = folder.Write(LlamaModelLoader.ConfigFile, json.ToJsonString());
        var bound = StrictJson.Load<LlamaConfig>(path, LlamaConfig.IgnoredKeys);

        foreach (var property in Settable<LlamaConfig>())
            Assert.True(SameValue(property.GetValue(config), property.GetValue(bound)), $"{property.Name} did not bind");
        foreach (var property in Settable<RopeScaling>())
            Assert.True(Equals(property.GetValue(config.RopeScaling), property.GetValue(bound.RopeScaling)), $"rope_scaling {property.Name} did not bind");
    }

    private static bool SameValue(object? a, object? b) =>
        a is IEnumerable<string> x && b is IEnumerable<string> y ? x.SequenceEqual(y) : Equals(a, b);

    private static IEnumerable<PropertyInfo> Settable<T>() =>
        typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true });

    // A copy with every settable property moved off its default, so that a property that failed to
    // bind (and kept its default) cannot pass for one that bound.
    private static T WithEveryValueChanged<T>(T defaults) where T : class, new()
    {
        var changed = new T();
        int index = 0;
        foreach (var property in Settable<T>())
        {
            index++;
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (type == typeof(RopeScaling)) continue; // set by the caller, with its own values changed
            object value = type == typeof(int) ? (object)(100 + index)
                : type == typeof(double) ? (object)(0.25 + index)
                : type == typeof(bool) ? (object)!(bool)(property.GetValue(defaults) ?? false)
                : type == typeof(string) ? (object)("custom_" + property.Name)
                : type == typeof(IReadOnlyList<string>) ? (object)new[] { "custom_" + property.Name }
                : throw new InvalidOperationException($"{typeof(T).Name}.{property.Name}: no non-default value for {type.Name}; extend this test");
            property.SetValue(changed, value);
            Assert.NotEqual(property.GetValue(defaults), property.GetValue(changed));
        }
        return changed;
    }

    [Fact]
    public void Llama3ScalingMatchesTheLlama31RuleInAllThreeBands()
    {
        var config = LoadText(HubConfigs.Llama31); // head_dim 128, theta 500000, factor 8, low 1, high 4, original 8192
        const double factor = 8, low = 1, high = 4, original = 8192;
        int dim = config.AttentionHeadDim;

        var actual = RotaryEmbedding.InverseFrequencies(config);

        Assert.Equal(dim / 2, actual.Length);
        var bands = new int[3]; // kept, blended, divided
        for (int i = 0; i < dim / 2; i++)
        {
            double frequency = Math.Pow(500000, -2.0 * i / dim);
            double wavelength = 2 * Math.PI / frequency;
            double expected;
            if (wavelength < original / high)
            {
                expected = frequency; // short wavelengths: unchanged
                bands[0]++;
            }
            else if (wavelength > original / low)
            {
                expected = frequency / factor; // long wavelengths: slowed by the factor
                bands[2]++;
            }
            else
            {
                double smooth = (original / wavelength - low) / (high - low); // 0 at the long end, 1 at the short end
                expected = frequency * ((1 - smooth) / factor + smooth);
                bands[1]++;
            }
            Assert.True(Math.Abs(actual[i] - expected) <= 1e-14 * expected, $"pair {i}: {actual[i]:R} vs {expected:R}");
        }
        Assert.All(bands, count => Assert.True(count > 0, $"bands kept/blended/divided: {string.Join("/", bands)}"));
    }

    [Fact]
    public void LinearScalingDividesEveryFrequencyByTheFactor()
    {
        var plain = Tiny.Config(hidden: 64, heads: 2, kvHeads: 2);
        var linear = plain with { RopeScaling = new RopeScaling { Type = "linear", Factor = 2.5 } };

        var unscaled = RotaryEmbedding.InverseFrequencies(plain);
        var scaled = RotaryEmbedding.InverseFrequencies(linear);

        for (int i = 0; i < unscaled.Length; i++)
        {
            Assert.Equal(Math.Pow(plain.RopeTheta, -2.0 * i / 32), unscaled[i], 1e-15);
            Assert.Equal(unscaled[i] / 2.5, scaled[i], 1e-15);
        }
    }
}
