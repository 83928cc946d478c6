using System.Text.Json.Nodes;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Tests.Support;

namespace UncertaintyService.Core.Tests.Lora;

public sealed class LoraConfigFileTests : IDisposable
{
    // Every key PEFT 0.19's LoraConfig.save_pretrained writes, at the values it writes for plain LoRA.
    private const string Peft019Config = """
        {
          "alora_invocation_tokens": null,
          "alpha_pattern": {},
          "arrow_config": null,
          "auto_mapping": null,
          "base_model_name_or_path": "meta-llama/Llama-2-7b-hf",
          "bias": "none",
          "corda_config": null,
          "ensure_weight_tying": false,
          "eva_config": null,
          "exclude_modules": null,
          "fan_in_fan_out": false,
          "inference_mode": true,
          "init_lora_weights": true,
          "layer_replication": null,
          "layers_pattern": null,
          "layers_to_transform": null,
          "loftq_config": {},
          "lora_alpha": 16,
          "lora_bias": false,
          "lora_dropout": 0.05,
          "lora_ga_config": null,
          "megatron_config": null,
          "megatron_core": "megatron.core",
          "modules_to_save": null,
          "peft_type": "LORA",
          "peft_version": "0.19.1",
          "qalora_group_size": 16,
          "r": 8,
          "rank_pattern": {},
          "revision": null,
          "target_modules": ["o_proj", "k_proj", "down_proj", "gate_proj", "v_proj", "q_proj", "up_proj"],
          "target_parameters": null,
          "task_type": "CAUSAL_LM",
          "trainable_token_indices": null,
          "use_bdlora": null,
          "use_dora": false,
          "use_qalora": false,
          "use_rslora": false
        }
        """;

    private static readonly HashSet<string> PeftKeys = JsonNode.Parse(Peft019Config)!.AsObject().Select(p => p.Key).ToHashSet();

    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void ConfigAsPeft019WritesItLoads()
    {
        var config = LoraConfig.Load(folder.Write(LoraConfig.FileName, Peft019Config));

        Assert.Equal(8, config.R);
        Assert.Equal(16, config.LoraAlpha);
        Assert.Equal(2.0, config.ScaleOf("model.layers.0.self_attn.q_proj"));
        Assert.Equal(ModelHead.LanguageModel, config.Head);
        Assert.True(config.Targets("model.layers.3.mlp.down_proj"));
        Assert.False(config.Targets("lm_head"));
    }

    [Fact]
    public void SaveWritesOnlyKeysPeftKnowsAndLoadsBack()
    {
        var config = Tiny.LoraConfig(task: "SEQ_CLS", modulesToSave: ["score"]);
        var path = folder.File(LoraConfig.FileName);

        config.Save(path);

        // A key PEFT does not know would break the adapter for PEFT itself (or be dropped with a warning).
        var written = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.All(written.Select(p => p.Key), key => Assert.Contains(key, PeftKeys));
        // PEFT calls .keys() on both patterns while loading; null would crash it.
        Assert.IsType<JsonObject>(written["rank_pattern"]);
        Assert.IsType<JsonObject>(written["alpha_pattern"]);
        var loaded = LoraConfig.Load(path);
        Assert.Equal(config.R, loaded.R);
        Assert.Equal(config.ModulesToSave, loaded.ModulesToSave);
        Assert.Equal(ModelHead.Score, loaded.Head);
    }
}
