using System.Text.Json;
using System.Text.Json.Nodes;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Synthetic;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Lora;

public sealed class LoraAdapterRejectionTests : IDisposable
{
    private const string WeightsFile = LoraAdapterLoader.WeightsFile;
    private const string ConfigFile = LoraConfig.FileName;
    private readonly TempFolder folder = new();
    private readonly LlamaModel model = Tiny.Model(Tiny.Config(), seed: 3);
    private readonly LoraConfig config = Tiny.LoraConfig(rank: 2, alpha: 4);
    private readonly Dictionary<string, Tensor> tensors;

    public LoraAdapterRejectionTests() => tensors = RandomWeights.Lora(config, model, seed: 4);

    public void Dispose() => folder.Dispose();

    private void Load(LoraConfig? adapterConfig = null, Action<JsonObject>? edit = null) =>
        LoraAdapterLoader.Load(AdapterFolder.Write(folder.Path, adapterConfig ?? config, tensors, edit), model, "bad");

    private static string Key(string modulePath, string matrix) => $"{LoraModule.PeftPrefix}{modulePath}.{matrix}.weight";

    [Fact]
    public void MissingLoraBOfATargetedModuleIsRejectedNamingTheKey()
    {
        var key = Key("model.layers.1.self_attn.v_proj", "lora_B");
        tensors.Remove(key);

        Rejected.Bundle(() => Load(), WeightsFile, key, "missing");
    }

    [Fact]
    public void TensorOfNoTargetedModuleIsRejectedNamingTheKey()
    {
        var key = Key("model.layers.0.mlp.extra_proj", "lora_A");
        tensors[key] = zeros(2, 16, dtype: ScalarType.Float64);

        Rejected.Bundle(() => Load(), WeightsFile, key, "matches no module");
    }

    [Fact]
    public void LoraAOfAnotherRankIsRejectedNamingTheKeyAndBothShapes()
    {
        var key = Key("model.layers.0.self_attn.q_proj", "lora_A");
        tensors[key] = zeros(3, 16, dtype: ScalarType.Float64);

        Rejected.Bundle(() => Load(), WeightsFile, key, "shape", "[3, 16]", "[2, 16]");
    }

    [Fact]
    public void TargetModulesMatchingNothingIsRejectedNamingTheConfigKey() =>
        Rejected.Bundle(() => Load(config with { TargetModules = JsonSerializer.SerializeToElement(new[] { "query_key_value" }) }),
            ConfigFile, "target_modules", "matches no");

    [Fact]
    public void ModulesToSaveNamingAModuleTheBaseLacksIsRejectedNamingTheConfigKey() =>
        Rejected.Bundle(() => Load(config with { ModulesToSave = ["score"] }), ConfigFile, "modules_to_save", "score");

    // Each row: a key of adapter_config.json, its JSON value (null: removed), and a word of the problem.
    public static TheoryData<string, string?, string> BadConfigValues => new()
    {
        { "use_dora", "true", "not supported" },
        { "bias", "\"all\"", "'all'" },
        { "r", "0", "positive" },
        { "lora_alpha", null, "positive" },
        { "lora_alpha", "0", "positive" },
        { "task_type", "\"SEQ_2_SEQ_LM\"", "SEQ_2_SEQ_LM" },
        { "peft_type", "\"IA3\"", "IA3" },
        { "my_custom_setting", "1", "unknown key" },
        { "target_modules", "42", "list of module names" },
    };

    [Theory]
    [MemberData(nameof(BadConfigValues))]
    public void UnsupportedConfigValueIsRejectedNamingItsKey(string key, string? value, string problem) =>
        Rejected.Bundle(() => Load(edit: root =>
        {
            if (value is null) root.Remove(key);
            else root[key] = JsonNode.Parse(value);
        }), ConfigFile, key, problem);

    [Fact]
    public void MissingAdapterConfigIsRejectedNamingIt()
    {
        AdapterFolder.Write(folder.Path, config, tensors);
        File.Delete(folder.File(ConfigFile));

        Rejected.Bundle(() => LoraAdapterLoader.Load(folder.Path, model, "bad"), ConfigFile, null, "not found");
    }

    [Fact]
    public void MissingAdapterWeightsAreRejectedNamingTheFile()
    {
        AdapterFolder.Write(folder.Path, config, tensors);
        File.Delete(folder.File(WeightsFile));

        Rejected.Bundle(() => LoraAdapterLoader.Load(folder.Path, model, "bad"), WeightsFile, null, "not found");
    }
}
