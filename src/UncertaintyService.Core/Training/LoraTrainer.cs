using TorchSharp.Modules;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Training;

/// <summary>Hyperparameters of LoRA MAP fine-tuning.</summary>
/// <param name="PriorPrecision">lambda of the Gaussian prior N(0, 1/lambda) on the LoRA weights; enters the objective as lambda/(2N) ||theta||^2.</param>
public sealed record LoraTrainingOptions(
    int Steps = 300,
    double LearningRate = 1e-3,
    int BatchSize = 8,
    double PriorPrecision = 1.0,
    ulong Seed = 0);

/// <summary>Loss per step, for the log and the README.</summary>
public sealed record TrainingLog(IReadOnlyList<double> Losses, TimeSpan Elapsed);

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
        IProgress<(int Step, double Loss)>? progress = null)
    {
        if (prompts.Count == 0 || prompts.Count != labels.Count)
            throw new ArgumentException($"Need as many labels as prompts (got {prompts.Count} prompts, {labels.Count} labels).");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var adapter = Initialise(model, id, config, options.Seed);
        var parameters = adapter.Modules.SelectMany(m => new[] { (Parameter)m.A, (Parameter)m.B }).ToList();
        using var optimizer = optim.AdamW(parameters, options.LearningRate, weight_decay: 0);
        var classes = tensor(classIndices, device: model.Device);
        var order = new Random((int)(options.Seed & 0x7fffffff));
        var shuffled = Enumerable.Range(0, prompts.Count).ToArray();
        int cursor = shuffled.Length;
        var losses = new List<double>(options.Steps);
        double priorWeight = options.PriorPrecision / (2.0 * prompts.Count);

        for (int step = 0; step < options.Steps; step++)
        {
            using var scope = NewDisposeScope();
            var batchIndices = new List<int>(options.BatchSize);
            while (batchIndices.Count < Math.Min(options.BatchSize, prompts.Count))
            {
                if (cursor == shuffled.Length)
                {
                    order.Shuffle(shuffled);
                    cursor = 0;
                }
                batchIndices.Add(shuffled[cursor++]);
            }
            var batch = TokenBatch.Create(batchIndices.Select(i => (IReadOnlyList<int>)prompts[i]).ToList(), model.Device);
            var target = tensor(batchIndices.Select(i => (long)labels[i]).ToArray(), device: model.Device);
            var logits = model.Forward(batch, adapter.Head, new ForwardContext { Adapter = adapter }).index_select(1, classes);
            var loss = nn.functional.cross_entropy(logits, target);
            var penalty = parameters.Select(p => p.square().sum()).Aggregate((a, b) => a + b) * priorWeight;
            var objective = loss + penalty;

            optimizer.zero_grad();
            objective.backward();
            optimizer.step();
            double value = loss.to(ScalarType.Float64).item<double>();
            losses.Add(value);
            progress?.Report((step + 1, value));
        }

        // Hand back plain tensors: serving and the Laplace posterior need no autograd state.
        var trained = new LoraAdapter(id, config,
            adapter.Modules.Select(m => new LoraModule(m.ModulePath, m.A.detach().clone(), m.B.detach().clone(), m.Scale)).ToList(),
            adapter.SavedModules);
        return (trained, new TrainingLog(losses, clock.Elapsed));
    }

    // PEFT's initialisation: A ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming-uniform with a = sqrt(5)), B = 0,
    // so training starts at the base model.
    /// <param name="savedModules">Initial weights of modules the adapter saves whole, by PEFT key (a new reward head).</param>
    internal static LoraAdapter Initialise(LlamaModel model, string id, LoraConfig config, ulong seed, IReadOnlyDictionary<string, Tensor>? savedModules = null)
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
}
