using System.Text.Json;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Synthetic;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Lora;

public sealed class LoraAdapterTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private static (LlamaModel Model, Dictionary<string, Tensor> Weights) Base(LlamaConfig config, bool withScoreHead = false)
    {
        var weights = RandomWeights.Llama(config, seed: 3, ScalarType.Float64, withScoreHead);
        return (LlamaModelBuilder.Build(config, new InMemoryTensorSource(weights), ScalarType.Float64, CPU), weights);
    }

    private static LlamaModel Build(LlamaConfig config, Dictionary<string, Tensor> weights) =>
        LlamaModelBuilder.Build(config, new InMemoryTensorSource(weights), ScalarType.Float64, CPU);

    private static Tensor Outputs(LlamaModel model, LoraAdapter? adapter, ModelHead head = ModelHead.LanguageModel)
    {
        using var noGrad = no_grad();
        var batch = TokenBatch.Create(Tiny.Prompts(model.Config.VocabSize, 4, 6), CPU, PaddingSide.Left);
        return model.Forward(batch, head, new ForwardContext { Adapter = adapter });
    }

    private LoraAdapter Load(LlamaModel model, LoraConfig config, Dictionary<string, Tensor> tensors, string id = "adapter") =>
        LoraAdapterLoader.Load(AdapterFolder.Write(folder.Folder(id), config, tensors), model, id);

    private static string[] LayerModules(params int[] layers) =>
        layers.SelectMany(l => new[] { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
            "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj" }.Select(m => $"model.layers.{l}.{m}")).ToArray();

    [Theory]
    [InlineData(2, 4.0, false, 2.0)] // alpha / r
    [InlineData(4, 6.0, true, 3.0)] // rsLoRA: alpha / sqrt(r)
    public void AdapterOnEveryProjectionAndLmHeadEqualsTheHandMergedModel(int rank, double alpha, bool rslora, double scale)
    {
        var config = Tiny.Config();
        var (model, weights) = Base(config);
        var loraConfig = Tiny.LoraConfig(rank, alpha) with { UseRslora = rslora };
        var tensors = RandomWeights.Lora(loraConfig, model, seed: 4);

        var adapter = Load(model, loraConfig, tensors);

        Assert.Equal([.. LayerModules(0, 1), "lm_head"], adapter.Modules.Select(m => m.ModulePath));
        var merged = Build(config, AdapterFolder.Merge(weights, tensors, _ => scale));
        Numeric.Close(Outputs(model, adapter), Outputs(merged, null), 1e-10, "adapter vs merged weights");
    }

    [Fact]
    public void RankAndAlphaPatternsOverrideOneModule()
    {
        const string special = "model.layers.1.self_attn.v_proj";
        var config = Tiny.Config();
        var (model, weights) = Base(config);
        var loraConfig = Tiny.LoraConfig(rank: 2, alpha: 4) with
        {
            RankPattern = new Dictionary<string, int> { ["layers.1.self_attn.v_proj"] = 4 },
            AlphaPattern = new Dictionary<string, double> { ["layers.1.self_attn.v_proj"] = 2 },
        };
        var tensors = RandomWeights.Lora(loraConfig, model, seed: 4);

        var adapter = Load(model, loraConfig, tensors);

        Assert.All(adapter.Modules, m => Assert.Equal(m.ModulePath == special ? 4 : 2, m.Rank));
        var merged = Build(config, AdapterFolder.Merge(weights, tensors, m => m == special ? 2.0 / 4 : 4.0 / 2));
        Numeric.Close(Outputs(model, adapter), Outputs(merged, null), 1e-10, "adapter vs merged weights");
    }

    [Fact]
    public void SavedScoreHeadReplacesTheBaseScoreHead()
    {
        var config = Tiny.Config(numLabels: 2);
        var (model, weights) = Base(config, withScoreHead: true);
        var loraConfig = Tiny.LoraConfig(targets: ["q_proj", "v_proj"], task: "SEQ_CLS", modulesToSave: ["score"]);
        var tensors = RandomWeights.Lora(loraConfig, model, seed: 4);
        tensors[LoraModule.PeftPrefix + "score.weight"] = randn(2, config.HiddenSize, dtype: ScalarType.Float64, generator: new Generator(6));

        var adapter = Load(model, loraConfig, tensors);

        Assert.Equal(ModelHead.Score, adapter.Head);
        Assert.Equal("score", Assert.Single(adapter.SavedModules).ModulePath);
        var merged = Build(config, AdapterFolder.Merge(weights, tensors, _ => 2.0));
        var scores = Outputs(model, adapter, ModelHead.Score);
        Numeric.Close(scores, Outputs(merged, null, ModelHead.Score), 1e-10, "adapter vs merged weights and saved head");
        // Only q/v LoRAs would move the scores a little; the new head moves them by O(1).
        Assert.True((scores - Outputs(model, null, ModelHead.Score)).abs().max().item<double>() > 0.1);
    }

    [Fact]
    public void RegexTargetModulesAdaptExactlyTheModulesItFullyMatches()
    {
        var (model, _) = Base(Tiny.Config());
        var loraConfig = Tiny.LoraConfig() with
        {
            TargetModules = JsonSerializer.SerializeToElement(@"model\.layers\.\d+\.(self_attn\.q_proj|mlp\.down_proj)"),
        };

        var adapter = Load(model, loraConfig, RandomWeights.Lora(loraConfig, model, seed: 4));

        Assert.Equal(["model.layers.0.self_attn.q_proj", "model.layers.0.mlp.down_proj", "model.layers.1.self_attn.q_proj",
            "model.layers.1.mlp.down_proj"], adapter.Modules.Select(m => m.ModulePath));
    }

    [Fact]
    public void AllLinearAdaptsEveryLayerProjectionButNeitherHead()
    {
        var (model, _) = Base(Tiny.Config(numLabels: 1), withScoreHead: true);
        var loraConfig = Tiny.LoraConfig() with { TargetModules = JsonSerializer.SerializeToElement("all-linear") };

        var adapter = Load(model, loraConfig, RandomWeights.Lora(loraConfig, model, seed: 4));

        Assert.Equal(LayerModules(0, 1), adapter.Modules.Select(m => m.ModulePath));
    }

    [Fact]
    public void LayersToTransformAdaptsOnlyTheListedLayer()
    {
        var (model, _) = Base(Tiny.Config());
        var loraConfig = Tiny.LoraConfig() with { LayersToTransform = JsonSerializer.SerializeToElement(new[] { 1 }) };

        var adapter = Load(model, loraConfig, RandomWeights.Lora(loraConfig, model, seed: 4));

        // lm_head is in no layer, so PEFT leaves it alone too once layers are listed.
        Assert.Equal(LayerModules(1), adapter.Modules.Select(m => m.ModulePath));
    }

    [Fact]
    public void TwoAdaptersShareTheBaseWeightsAndLeaveTheBaseForwardUnchanged()
    {
        var (model, _) = Base(Tiny.Config());
        var baseTensors = model.LinearModules().Select(l => l.Weight).Append(model.EmbedTokens).ToList();
        var pointers = baseTensors.Select(t => t.storage<double>().data_ptr()).ToList();
        var values = baseTensors.Select(t => t.clone()).ToList();
        var before = Outputs(model, null);

        var first = Load(model, Tiny.LoraConfig(rank: 2), RandomWeights.Lora(Tiny.LoraConfig(rank: 2), model, seed: 4), "first");
        var secondConfig = Tiny.LoraConfig(rank: 3, targets: ["q_proj", "v_proj"]);
        var second = Load(model, secondConfig, RandomWeights.Lora(secondConfig, model, seed: 5), "second");

        var afterBase = model.LinearModules().Select(l => l.Weight).Append(model.EmbedTokens).ToList();
        for (int i = 0; i < baseTensors.Count; i++)
        {
            Assert.Same(baseTensors[i], afterBase[i]);
            Assert.Equal(pointers[i], afterBase[i].storage<double>().data_ptr());
            Assert.Equal(Numeric.Row(values[i]), Numeric.Row(afterBase[i]));
        }
        // An adapter holds only its own low-rank tensors, never a copy or view of a base weight.
        var adapterPointers = first.Modules.Concat(second.Modules).SelectMany(m => new[] { m.A.storage<double>().data_ptr(), m.B.storage<double>().data_ptr() });
        Assert.Empty(adapterPointers.Intersect(pointers));

        Assert.Equal(Numeric.Row(before), Numeric.Row(Outputs(model, null)));
        var (one, two) = (Outputs(model, first), Outputs(model, second));
        Assert.True((one - two).abs().max().item<double>() > 1e-3, "the two adapters must give different outputs");
        Assert.True((one - before).abs().max().item<double>() > 1e-3, "an adapter must change the output");
    }
}
