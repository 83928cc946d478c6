using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Synthetic;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Support;

/// <summary>
/// Tiny float64 reward models: a causal-LM base without a score head and a SEQ_CLS adapter that brings
/// its own head in modules_to_save (as PEFT saves a reward model trained from a causal-LM checkpoint),
/// with the dense references the reward tests compare against.
/// </summary>
internal static class TinyReward
{
    public static (LlamaModel Model, LoraAdapter Adapter) Create(ulong seed, string[]? targets = null, int rank = 2)
    {
        var model = Tiny.Model(Tiny.Config(), seed: seed);
        return (model, Adapter(model, seed, targets, rank));
    }

    /// <summary>A reward adapter (LoRA and its own saved score head) on <paramref name="model"/>.</summary>
    public static LoraAdapter Adapter(LlamaModel model, ulong seed, string[]? targets = null, int rank = 2)
    {
        var config = Tiny.LoraConfig(rank: rank, targets: targets ?? Tiny.AllProjections, task: "SEQ_CLS", modulesToSave: ["score"]);
        var tensors = RandomWeights.Lora(config, model, seed + 1);
        tensors[LoraModule.PeftPrefix + "score.weight"] =
            randn(new long[] { 1, model.Config.HiddenSize }, ScalarType.Float64, CPU, generator: new Generator(seed + 2, CPU)) / 4;
        return LoraAdapterBuilder.Build("reward", config, new InMemoryTensorSource(tensors), model);
    }

    /// <summary>Random PSD factors for every LoRA matrix and the saved head (square or tall roots on the large sides).</summary>
    public static KfacFactorFile Factors(LoraAdapter adapter, long n, int? lowRank, ulong seed)
    {
        var lora = Tiny.Factors(adapter, n, lowRank, seed);
        var generator = new Generator(seed + 100, CPU);
        var modules = lora.Modules.ToDictionary(p => p.Key, p => p.Value);
        foreach (var s in adapter.SavedModules)
        {
            long d = s.InFeatures;
            var input = lowRank is { } k && k < d
                ? randn(new[] { d, (long)k }, ScalarType.Float64, CPU, generator: generator)
                : randn(new[] { d, d + 2 }, ScalarType.Float64, CPU, generator: generator) is var m ? m.matmul(m.T) / (d + 2) : null!;
            modules[KfacFactorFile.SavedModuleName(s.ModulePath)] = new KfacModuleFactors(input, tensor(new[,] { { 0.7 } }, ScalarType.Float64));
        }
        return lora with { Modules = modules };
    }

    /// <summary>
    /// d reward / d theta for one text by autograd over leaf copies of every LoRA matrix and saved weight,
    /// flattened in the posterior's block order (row-major vec of A^T, B, W^T): one vector per block.
    /// </summary>
    public static Dictionary<string, Tensor> Gradient(LlamaModel model, LoraAdapter adapter, int[] text)
    {
        var leaves = adapter.Modules
            .Select(m => new LoraModule(m.ModulePath, m.A.detach().clone().requires_grad_(true), m.B.detach().clone().requires_grad_(true), m.Scale))
            .ToList();
        var saved = adapter.SavedModules.Select(s => new LinearWeight(s.ModulePath, s.Weight.detach().clone().requires_grad_(true))).ToList();
        var differentiable = new LoraAdapter(adapter.Id, adapter.Config, leaves, saved);
        var reward = model.Forward(TokenBatch.Create([text], CPU), ModelHead.Score, new ForwardContext { Adapter = differentiable })[0, 0];
        var parameters = leaves.SelectMany(m => new[] { m.A, m.B }).Concat(saved.Select(s => s.Weight)).ToList();
        var gradients = autograd.grad([reward], parameters, allow_unused: true);
        var result = new Dictionary<string, Tensor>();
        for (int i = 0; i < leaves.Count; i++)
        {
            result[leaves[i].NameA] = (gradients[2 * i] is { IsInvalid: false } a ? a : zeros_like(leaves[i].A)).T.flatten().detach();
            result[leaves[i].NameB] = (gradients[2 * i + 1] is { IsInvalid: false } b ? b : zeros_like(leaves[i].B)).flatten().detach();
        }
        for (int i = 0; i < saved.Count; i++)
            result[KfacFactorFile.SavedModuleName(saved[i].ModulePath)] = gradients[2 * leaves.Count + i].T.flatten().detach();
        return result;
    }

    /// <summary>The dense Fisher block N (rows kron columns) of a named block, rows the large side.</summary>
    public static Tensor DenseFisher(KfacFactorFile factors, LoraAdapter adapter, string name)
    {
        var pair = factors.Modules[name];
        bool outputOnRows = adapter.Modules.Any(m => m.NameB == name);
        var (rows, columns) = outputOnRows ? (pair.OutputFactor, pair.InputFactor) : (pair.InputFactor, pair.OutputFactor);
        return factors.Metadata.NExamples * kron(KroneckerFactor.ToDense(rows), KroneckerFactor.ToDense(columns));
    }

    /// <summary>g1^T (F + lambda I)^-1 g2 summed over blocks, the inverse formed by Cholesky.</summary>
    public static double DenseCovariance(LoraAdapter adapter, KfacFactorFile factors, Dictionary<string, Tensor> g1, Dictionary<string, Tensor> g2, double lambda)
    {
        double total = 0;
        foreach (var name in factors.Modules.Keys)
        {
            var fisher = DenseFisher(factors, adapter, name);
            var covariance = cholesky_inverse(linalg.cholesky(fisher + lambda * eye(fisher.shape[0], dtype: ScalarType.Float64)));
            total += g1[name].dot(covariance.matmul(g2[name])).item<double>();
        }
        return total;
    }

    /// <summary>sum over blocks of log det(F + lambda I), dense.</summary>
    public static double DenseLogDeterminant(LoraAdapter adapter, KfacFactorFile factors, double lambda) =>
        factors.Modules.Keys.Sum(name =>
        {
            var fisher = DenseFisher(factors, adapter, name);
            return 2 * linalg.cholesky(fisher + lambda * eye(fisher.shape[0], dtype: ScalarType.Float64)).diagonal().log().sum().item<double>();
        });
}
