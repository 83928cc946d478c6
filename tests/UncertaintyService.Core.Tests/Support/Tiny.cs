using System.Text.Json;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Synthetic;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Support;

/// <summary>Tiny random float64 models, adapters and factors for reference tests.</summary>
internal static class Tiny
{
    public static readonly string[] AllProjections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public static LlamaConfig Config(int hidden = 16, int heads = 4, int kvHeads = 2, int layers = 2, int vocab = 40,
        int ff = 24, string modelType = "llama", bool tie = false, RopeScaling? rope = null, int? numLabels = null) => new()
    {
        ModelType = modelType,
        VocabSize = vocab,
        HiddenSize = hidden,
        IntermediateSize = ff,
        NumHiddenLayers = layers,
        NumAttentionHeads = heads,
        NumKeyValueHeads = kvHeads,
        RmsNormEps = 1e-5,
        RopeTheta = 10000,
        RopeScaling = rope,
        TieWordEmbeddings = tie,
        NumLabels = numLabels,
    };

    public static LlamaModel Model(LlamaConfig config, ulong seed = 1, bool withScoreHead = false, ScalarType dtype = ScalarType.Float64) =>
        LlamaModelBuilder.Build(config, new InMemoryTensorSource(RandomWeights.Llama(config, seed, ScalarType.Float64, withScoreHead)),
            dtype, CPU);

    public static LoraConfig LoraConfig(int rank = 2, double alpha = 4, IEnumerable<string>? targets = null, string task = "CAUSAL_LM",
        IReadOnlyList<string>? modulesToSave = null) => new()
    {
        R = rank,
        LoraAlpha = alpha,
        TaskType = task,
        TargetModules = JsonSerializer.SerializeToElement(targets ?? [.. AllProjections, "lm_head"]),
        ModulesToSave = modulesToSave,
    };

    public static LoraAdapter Adapter(LlamaModel model, LoraConfig config, ulong seed = 2, string id = "tiny") =>
        LoraAdapterBuilder.Build(id, config, new InMemoryTensorSource(RandomWeights.Lora(config, model, seed)), model);

    /// <summary>
    /// Random PSD factors for every LoRA matrix: square, or tall square roots with
    /// <paramref name="lowRank"/> columns on the large side.
    /// </summary>
    public static KfacFactorFile Factors(LoraAdapter adapter, long n = 50, int? lowRank = null, ulong seed = 3, string path = "(test)")
    {
        var generator = new Generator(seed, CPU);
        Tensor Square(long size)
        {
            var m = randn(new[] { size, size + 2 }, ScalarType.Float64, CPU, generator: generator);
            return m.matmul(m.T) / (size + 2);
        }
        Tensor Large(long size) => lowRank is { } k && k < size
            ? randn(new[] { size, (long)k }, ScalarType.Float64, CPU, generator: generator) / Math.Sqrt(k)
            : Square(size);

        var modules = new Dictionary<string, KfacModuleFactors>();
        foreach (var m in adapter.Modules)
        {
            modules[m.NameA] = new KfacModuleFactors(Large(m.A.shape[1]), Square(m.Rank));
            modules[m.NameB] = new KfacModuleFactors(Square(m.Rank), Large(m.B.shape[0]));
        }
        return new KfacFactorFile(path, new KfacMetadata(n, FisherKind.Exact, PositionHandling.Expand), modules);
    }

    /// <summary>Deterministic prompts of the given lengths, token ids in [1, vocab).</summary>
    public static int[][] Prompts(int vocab, params int[] lengths)
    {
        var random = new Random(lengths.Sum() * 31 + vocab);
        return lengths.Select(l => Enumerable.Range(0, l).Select(_ => random.Next(1, vocab)).ToArray()).ToArray();
    }
}
