using TorchSharp.Modules;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Sampling;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Training;

/// <summary>Hyperparameters of LoRA fine-tuning.</summary>
/// <param name="PriorPrecision">lambda of the Gaussian prior N(0, 1/lambda) on the LoRA weights; enters the objective as lambda/(2N) ||theta||^2.</param>
/// <param name="Dropout">p of dropout on every LoRA module's input during training (PEFT's lora_dropout); 0 for none.</param>
public sealed record LoraTrainingOptions(
    int Steps = 300,
    double LearningRate = 1e-3,
    int BatchSize = 8,
    double PriorPrecision = 1.0,
    ulong Seed = 0,
    double Dropout = 0);

/// <summary>Loss per step, for the log and the README.</summary>
/// <param name="StepsRun">Steps this call took (fewer than the losses when a run resumed from a checkpoint); null when all of them.</param>
public sealed record TrainingLog(IReadOnlyList<double> Losses, TimeSpan Elapsed, int? StepsRun = null);

/// <summary>
/// LoRA MAP fine-tuning for classification: cross-entropy over the label tokens' logits at the last
/// position, plus the prior's L2 term, so that the weights are the MAP estimate under exactly the prior
/// the Laplace posterior then uses. (The prior is in the objective rather than AdamW's decoupled decay,
/// which would not be a MAP estimate under Adam's preconditioning.)
/// </summary>
public static class LoraTrainer
{
    public static (LoraAdapter Adapter, TrainingLog Log) Train(LlamaModel model, string id, LoraConfig config,
        IReadOnlyList<int[]> prompts, IReadOnlyList<int> labels, long[] classIndices, LoraTrainingOptions options,
        IProgress<(int Step, double Loss)>? progress = null) =>
        Continue(model, Initialise(model, id, config, options.Seed), prompts, labels, classIndices, options, progress);

    /// <summary>MAP training from <paramref name="start"/>'s weights (made trainable copies); <paramref name="afterStep"/> sees the live adapter.</summary>
    public static (LoraAdapter Adapter, TrainingLog Log) Continue(LlamaModel model, LoraAdapter start,
        IReadOnlyList<int[]> prompts, IReadOnlyList<int> labels, long[] classIndices, LoraTrainingOptions options,
        IProgress<(int Step, double Loss)>? progress = null, Action<int, LoraAdapter>? afterStep = null)
    {
        var adapter = Trainable(start);
        var parameters = adapter.Modules.SelectMany(m => new[] { (Parameter)m.A, (Parameter)m.B }).ToList();
        var classes = tensor(classIndices, device: model.Device);
        var log = MinibatchLoop.Run(model, prompts, labels, options, parameters, batch =>
        {
            var dropout = options.Dropout > 0
                ? new LoraInputDropout(options.Dropout, MinibatchLoop.DropoutSeeds(options.Seed, batch.Step, batch.Indices.Count),
                    new long[batch.Indices.Count], batch.Lengths, model.Device)
                : null;
            var logits = model.Forward(batch.Tokens, adapter.Head, new ForwardContext { Adapter = adapter, Dropout = dropout }).index_select(1, classes);
            var loss = nn.functional.cross_entropy(logits, batch.Targets);
            return (loss + MinibatchLoop.L2Prior(parameters, options.PriorPrecision, prompts.Count), loss);
        }, progress, afterStep is null ? null : step => afterStep(step, adapter));
        return (Frozen(adapter), log);
    }

    /// <summary>PEFT's initialisation: A ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming-uniform with a = sqrt(5)), B = 0, so training starts at the base model.</summary>
    /// <param name="savedModules">Initial weights of modules the adapter saves whole, by PEFT key (a new reward head).</param>
    public static LoraAdapter Initialise(LlamaModel model, string id, LoraConfig config, ulong seed, IReadOnlyDictionary<string, Tensor>? savedModules = null)
    {
        var generator = new Generator(seed, CPU);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var linear in model.LinearModules().Where(l => config.Targets(l.ModulePath)))
        {
            int rank = config.RankOf(linear.ModulePath);
            double bound = 1 / Math.Sqrt(linear.InFeatures);
            string prefix = LoraModule.PeftPrefix + linear.ModulePath;
            tensors[prefix + ".lora_A.weight"] = (rand(new[] { rank, linear.InFeatures }, ScalarType.Float64, CPU, generator: generator) * 2 - 1) * bound;
            tensors[prefix + ".lora_B.weight"] = zeros(linear.OutFeatures, rank, ScalarType.Float64);
        }
        foreach (var (key, value) in savedModules ?? new Dictionary<string, Tensor>()) tensors[key] = value;
        return LoraAdapterBuilder.Build(id, config, new TrainableTensorSource(new InMemoryTensorSource(tensors)), model);
    }

    /// <summary>A copy whose LoRA matrices are parameters requiring gradients.</summary>
    public static LoraAdapter Trainable(LoraAdapter adapter) => new(adapter.Id, adapter.Config,
        adapter.Modules.Select(m => new LoraModule(m.ModulePath, new Parameter(m.A.detach().clone(), requires_grad: true),
            new Parameter(m.B.detach().clone(), requires_grad: true), m.Scale)).ToList(),
        adapter.SavedModules);

    /// <summary>Plain tensors again: serving and the posteriors need no autograd state.</summary>
    public static LoraAdapter Frozen(LoraAdapter adapter) => new(adapter.Id, adapter.Config,
        adapter.Modules.Select(m => new LoraModule(m.ModulePath, m.A.detach().clone(), m.B.detach().clone(), m.Scale)).ToList(),
        adapter.SavedModules);
}
