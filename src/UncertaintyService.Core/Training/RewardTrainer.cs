using TorchSharp.Modules;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Sampling;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Training;

/// <summary>
/// Reward-model MAP fine-tuning on preference pairs: a LoRA adapter (SEQ_CLS) and a new <c>score</c> head
/// saved whole (PEFT's modules_to_save), trained with the Bradley-Terry loss -log sigmoid(r_chosen -
/// r_rejected) plus the prior's lambda/(2N) ||theta||^2 over the LoRA matrices and the head, N the
/// number of pairs. The weights are then the MAP estimate under exactly the prior the Laplace posterior uses.
/// With <see cref="LoraTrainingOptions.Dropout"/> the LoRA inputs see dropout (MC dropout's training);
/// with different seeds, independent members of an ensemble.
/// </summary>
public static class RewardTrainer
{
    /// <summary>Standard deviation of the new head's initial weights (Hugging Face's initializer_range).</summary>
    public const double HeadInitStd = 0.02;

    /// <param name="config">Must be SEQ_CLS and save <c>score</c>; the base model must not have a score head of its own.</param>
    public static (LoraAdapter Adapter, TrainingLog Log) Train(LlamaModel model, string id, LoraConfig config,
        IReadOnlyList<int[]> chosen, IReadOnlyList<int[]> rejected, LoraTrainingOptions options,
        IProgress<(int Step, double Loss)>? progress = null)
    {
        if (chosen.Count == 0 || chosen.Count != rejected.Count)
            throw new ArgumentException($"Need as many rejected as chosen responses, at least one (got {chosen.Count} and {rejected.Count}).");
        if (config.Head != ModelHead.Score || !config.Saves(LlamaModel.ScoreModulePath))
            throw new ArgumentException("A reward adapter is SEQ_CLS and saves the score head (modules_to_save: [\"score\"]).", nameof(config));
        if (model.ScoreHead is not null)
            throw new ArgumentException("This base model has a score head of its own; the reward trainer starts a new one.", nameof(model));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var head = randn(new long[] { 1, model.Config.HiddenSize }, ScalarType.Float64, CPU, generator: new Generator(options.Seed + 1, CPU)) * HeadInitStd;
        var adapter = LoraTrainer.Initialise(model, id, config, options.Seed,
            new Dictionary<string, Tensor> { [LoraModule.PeftPrefix + LlamaModel.ScoreModulePath + ".weight"] = head });
        var parameters = adapter.Modules.SelectMany(m => new[] { (Parameter)m.A, (Parameter)m.B })
            .Concat(adapter.SavedModules.Select(s => (Parameter)s.Weight)).ToList();
        using var optimizer = optim.AdamW(parameters, options.LearningRate, weight_decay: 0);
        var order = new Random((int)(options.Seed & 0x7fffffff));
        var shuffled = Enumerable.Range(0, chosen.Count).ToArray();
        int cursor = shuffled.Length;
        var losses = new List<double>(options.Steps);
        double priorWeight = options.PriorPrecision / (2.0 * chosen.Count);

        for (int step = 0; step < options.Steps; step++)
        {
            using var scope = NewDisposeScope();
            var pairs = new List<int>(options.BatchSize);
            while (pairs.Count < Math.Min(options.BatchSize, chosen.Count))
            {
                if (cursor == shuffled.Length)
                {
                    order.Shuffle(shuffled);
                    cursor = 0;
                }
                pairs.Add(shuffled[cursor++]);
            }
            // Both responses of every pair in one forward pass: chosen first, then rejected.
            var texts = pairs.Select(i => (IReadOnlyList<int>)chosen[i]).Concat(pairs.Select(i => (IReadOnlyList<int>)rejected[i])).ToList();
            // MC dropout's weights are trained with dropout on every LoRA input, as they are then served.
            var dropout = options.Dropout > 0
                ? new LoraInputDropout(options.Dropout, MinibatchLoop.DropoutSeeds(options.Seed, step, texts.Count), new long[texts.Count],
                    texts.Select(t => (long)t.Count).ToList(), model.Device)
                : null;
            var rewards = model.Forward(TokenBatch.Create(texts, model.Device), ModelHead.Score, new ForwardContext { Adapter = adapter, Dropout = dropout }).select(1, 0);
            var difference = rewards.narrow(0, 0, pairs.Count) - rewards.narrow(0, pairs.Count, pairs.Count);
            var loss = -nn.functional.logsigmoid(difference).mean();
            var penalty = parameters.Select(p => p.square().sum()).Aggregate((a, b) => a + b) * priorWeight;

            optimizer.zero_grad();
            (loss + penalty).backward();
            optimizer.step();
            double value = loss.to(ScalarType.Float64).item<double>();
            losses.Add(value);
            progress?.Report((step + 1, value));
        }

        // Hand back plain tensors: serving and the Laplace posterior need no autograd state.
        var trained = new LoraAdapter(id, config,
            adapter.Modules.Select(m => new LoraModule(m.ModulePath, m.A.detach().clone(), m.B.detach().clone(), m.Scale)).ToList(),
            adapter.SavedModules.Select(s => new LinearWeight(s.ModulePath, s.Weight.detach().clone(), s.Bias?.detach().clone())).ToList());
        return (trained, new TrainingLog(losses, clock.Elapsed));
    }
}
