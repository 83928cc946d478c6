using TorchSharp.Modules;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Synthetic;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Training;

/// <summary>Hyperparameters of next-token pre-training from scratch.</summary>
public sealed record PretrainingOptions(
    int Steps = 1000,
    double LearningRate = 3e-3,
    int BatchSize = 16,
    int SequenceLength = 64,
    int WarmupSteps = 50,
    double WeightDecay = 0.01,
    ulong Seed = 0,
    string? CheckpointFolder = null,
    int CheckpointEvery = 200);

/// <summary>
/// Trains a Llama-architecture model from scratch on a token stream with next-token cross-entropy
/// (AdamW, linear warm-up then cosine decay), sampling random windows of the stream. With a checkpoint
/// folder the run saves weights, AdamW's moments and the step every <c>CheckpointEvery</c> steps and
/// resumes from them, so a long run can span sessions: step s's windows come from a generator seeded by
/// (seed, s), so a resumed run takes the steps the uninterrupted one would have.
/// </summary>
public static class LanguageModelTrainer
{
    public static (LlamaModel Model, TrainingLog Log) Train(LlamaConfig config, IReadOnlyList<int> stream, PretrainingOptions options,
        IProgress<(int Step, double Loss)>? progress = null)
    {
        if (stream.Count <= options.SequenceLength + 1)
            throw new ArgumentException($"The token stream ({stream.Count} tokens) is shorter than one window of {options.SequenceLength + 1}.");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var checkpoint = options.CheckpointFolder is { } folder ? new PretrainingCheckpoint(folder, config, options, stream) : null;
        var resumed = checkpoint?.TryLoad();
        var initial = resumed?.Weights ?? RandomWeights.Llama(config, options.Seed, ScalarType.Float32, embeddingStd: 0.02);
        var model = LlamaModelBuilder.Build(config, new TrainableTensorSource(new InMemoryTensorSource(initial)), ScalarType.Float32, CPU);
        var parameters = model.Weights().Cast<Parameter>().ToList();
        using var optimizer = optim.AdamW(parameters, options.LearningRate, weight_decay: options.WeightDecay);
        if (resumed is not null) checkpoint!.LoadOptimizer(optimizer);
        var tokens = stream.Select(t => (long)t).ToArray();
        var losses = new List<double>(resumed?.Losses ?? []);
        int window = options.SequenceLength + 1;

        for (int step = resumed?.Step ?? 0; step < options.Steps; step++)
        {
            using var scope = NewDisposeScope();
            var random = new Random(HashCode.Combine(options.Seed, step));
            var rows = new long[options.BatchSize * window];
            for (int b = 0; b < options.BatchSize; b++)
                Array.Copy(tokens, random.Next(tokens.Length - window), rows, b * window, window);
            var all = tensor(rows, new long[] { options.BatchSize, window });
            var input = all.narrow(1, 0, options.SequenceLength);
            var target = all.narrow(1, 1, options.SequenceLength);
            var batch = TokenBatch.FromFullRows(input);
            var hidden = model.HiddenStates(batch, ForwardContext.Base);
            var logits = model.LmHead!.Forward(hidden);
            var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), target.reshape(-1));

            foreach (var group in optimizer.ParamGroups) group.LearningRate = Schedule(options, step);
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            double value = loss.to(ScalarType.Float64).item<double>();
            losses.Add(value);
            progress?.Report((step + 1, value));
            if (checkpoint is not null && ((step + 1) % options.CheckpointEvery == 0 || step + 1 == options.Steps))
                checkpoint.Save(Named(model), optimizer, step + 1, losses);
        }

        var trained = LlamaModelBuilder.Build(config, new InMemoryTensorSource(Named(model)), ScalarType.Float32, CPU);
        return (trained, new TrainingLog(losses, clock.Elapsed, options.Steps - (resumed?.Step ?? 0)));
    }

    /// <summary>The model's weights under their Hugging Face names, detached.</summary>
    public static Dictionary<string, Tensor> Named(LlamaModel model)
    {
        var named = new Dictionary<string, Tensor> { ["model.embed_tokens.weight"] = model.EmbedTokens.detach() };
        for (int i = 0; i < model.Layers.Count; i++)
        {
            named[$"model.layers.{i}.input_layernorm.weight"] = model.Layers[i].InputNorm.Weight.detach();
            named[$"model.layers.{i}.post_attention_layernorm.weight"] = model.Layers[i].PostAttentionNorm.Weight.detach();
        }
        named["model.norm.weight"] = model.Norm.Weight.detach();
        foreach (var linear in model.LinearModules())
        {
            if (linear.ModulePath == "lm_head" && model.Config.TieWordEmbeddings) continue;
            named[linear.ModulePath + ".weight"] = linear.Weight.detach();
            if (linear.Bias is not null) named[linear.ModulePath + ".bias"] = linear.Bias.detach();
        }
        return named;
    }

    private static double Schedule(PretrainingOptions options, int step)
    {
        if (step < options.WarmupSteps) return options.LearningRate * (step + 1) / options.WarmupSteps;
        double progress = (double)(step - options.WarmupSteps) / Math.Max(1, options.Steps - options.WarmupSteps);
        return options.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
