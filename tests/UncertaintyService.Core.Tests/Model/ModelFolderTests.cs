using System.Text.Json;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.SafeTensors;
using UncertaintyService.Core.Synthetic;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Model;

public sealed class ModelFolderTests : IDisposable
{
    private const string WeightsFile = SafeTensorsCheckpoint.SingleFileName;
    private readonly TempFolder folder = new();
    private readonly LlamaConfig config = Tiny.Config();
    private readonly Dictionary<string, Tensor> weights;

    public ModelFolderTests() => weights = RandomWeights.Llama(config, seed: 7, ScalarType.Float64);

    public void Dispose() => folder.Dispose();

    private void WriteFolder(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        folder.Write(LlamaModelLoader.ConfigFile, config.ToJson());
        SafeTensorsWriter.Write(folder.File(WeightsFile), tensors);
    }

    private LlamaModel Load() => LlamaModelLoader.Load(folder.Path, ScalarType.Float64, CPU);

    private LlamaModel InMemory(IReadOnlyDictionary<string, Tensor> tensors) =>
        LlamaModelBuilder.Build(config, new InMemoryTensorSource(tensors), ScalarType.Float64, CPU);

    // Left padding and two lengths, so masks and positions are exercised as well as the weights.
    private Tensor Logits(LlamaModel model)
    {
        using var noGrad = no_grad();
        var batch = TokenBatch.Create(Tiny.Prompts(config.VocabSize, 3, 7), CPU, PaddingSide.Left);
        return model.Forward(batch, ModelHead.LanguageModel, ForwardContext.Base);
    }

    // Bit for bit: loading must not round, reorder or convert a float64 weight.
    private static void AssertSame(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(Numeric.Row(expected), Numeric.Row(actual));
    }

    [Fact]
    public void Float64FolderGivesExactlyTheLogitsOfTheSameTensorsInMemory()
    {
        WriteFolder(weights);

        AssertSame(Logits(InMemory(weights)), Logits(Load()));
    }

    // Unit roundoff u: 2^-11 for f16 and 2^-8 for bf16. Every weight moves by at most u relative, and
    // through two layers and the head the logits move by a few u (about 1.7u and 1.3u with these seeds);
    // 16u leaves room for other seeds while still failing if a dtype were misread (an O(1) error).
    [Theory]
    [InlineData(ScalarType.Float16, 16 * 4.9e-4)]
    [InlineData(ScalarType.BFloat16, 16 * 3.9e-3)]
    public void HalfPrecisionFolderLoadsAsFloat64CloseToTheFullPrecisionModel(ScalarType stored, double tolerance)
    {
        var rounded = weights.ToDictionary(w => w.Key, w => w.Value.to(stored));
        WriteFolder(rounded);

        var loaded = Logits(Load());

        // Widening to float64 is exact, so the loaded model is exactly the rounded weights in float64 ...
        AssertSame(Logits(InMemory(rounded)), loaded);
        // ... and only rounding separates it from the model it was stored from.
        Numeric.Close(loaded, Logits(InMemory(weights)), tolerance, $"{stored} checkpoint");
    }

    [Fact]
    public void ShardedFolderLoadsTheSameModelAsOneFile()
    {
        var names = weights.Keys.ToList();
        var shards = new[] { "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors" };
        var weightMap = names.ToDictionary(n => n, n => shards[names.IndexOf(n) < names.Count / 2 ? 0 : 1]);
        folder.Write(LlamaModelLoader.ConfigFile, config.ToJson());
        foreach (var shard in shards)
            SafeTensorsWriter.Write(folder.File(shard), weights.Where(w => weightMap[w.Key] == shard));
        folder.Write("model.safetensors.index.json", JsonSerializer.Serialize(new
        {
            metadata = new { total_size = weights.Values.Sum(t => t.numel() * 8) },
            weight_map = weightMap,
        }));

        AssertSame(Logits(InMemory(weights)), Logits(Load()));
    }

    [Fact]
    public void RotaryBuffersOfOlderCheckpointsAreAcceptedAndRecomputed()
    {
        var withBuffers = new Dictionary<string, Tensor>(weights)
        {
            ["model.layers.0.self_attn.rotary_emb.inv_freq"] = ones(config.AttentionHeadDim / 2, dtype: ScalarType.Float64),
        };
        WriteFolder(withBuffers);

        AssertSame(Logits(InMemory(weights)), Logits(Load()));
    }

    [Fact]
    public void MissingWeightIsRejectedNamingTheTensor()
    {
        const string name = "model.layers.1.mlp.down_proj.weight";
        WriteFolder(weights.Where(w => w.Key != name));

        Rejected.Bundle(Load, WeightsFile, name, "missing");
    }

    [Fact]
    public void WeightOfTheWrongShapeIsRejectedNamingTheTensorAndBothShapes()
    {
        const string name = "model.layers.0.self_attn.k_proj.weight"; // (8, 16): two kv heads of 4
        WriteFolder(weights.Select(w => w.Key == name ? KeyValuePair.Create(w.Key, w.Value.T.contiguous()) : w));

        Rejected.Bundle(Load, WeightsFile, name, "shape", "[16, 8]", "[8, 16]");
    }

    [Fact]
    public void TensorTheArchitectureHasNoPlaceForIsRejectedNamingIt()
    {
        const string name = "model.layers.0.mlp.extra_proj.weight";
        WriteFolder(weights.Append(KeyValuePair.Create(name, zeros(4, 4, dtype: ScalarType.Float64))));

        Rejected.Bundle(Load, WeightsFile, name, "no place");
    }

    [Fact]
    public void MissingConfigIsRejectedNamingConfigJson()
    {
        SafeTensorsWriter.Write(folder.File(WeightsFile), weights);

        Rejected.Bundle(Load, LlamaModelLoader.ConfigFile, null, "not found");
    }
}
