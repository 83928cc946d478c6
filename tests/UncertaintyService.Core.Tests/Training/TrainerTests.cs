using UncertaintyService.Core.Model;
using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Tests.Support;
using UncertaintyService.Core.Training;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Training;

public class TrainerTests
{
    // A task the model can only solve by reading the prompt: the label is the parity of its first token.
    private static (int[][] Prompts, int[] Labels) ParityTask(int count, int vocab, int seed)
    {
        var random = new Random(seed);
        var prompts = Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, 4).Select(_ => random.Next(1, vocab)).ToArray()).ToArray();
        return (prompts, prompts.Select(p => p[0] % 2).ToArray());
    }

    [Fact]
    public void LoraFineTuningStartsAtTheBaseModelAndLearnsTheTask()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 121, dtype: ScalarType.Float32);
        var (prompts, labels) = ParityTask(64, 40, 1);
        long[] classes = [5, 6];
        var config = Tiny.LoraConfig(rank: 4, alpha: 8);
        var (adapter, log) = LoraTrainer.Train(model, "parity", config, prompts, labels, classes,
            new LoraTrainingOptions(Steps: 150, LearningRate: 1e-2, BatchSize: 16, PriorPrecision: 1e-3, Seed: 2));

        // B starts at zero, so the first step's loss is the base model's cross-entropy on that batch.
        Assert.All(adapter.Modules, m => Assert.False(m.A.requires_grad));
        Assert.True(log.Losses.TakeLast(10).Average() < 0.2 * log.Losses.Take(10).Average(), $"loss {log.Losses[0]:F3} -> {log.Losses[^1]:F3}");
        var logits = MapPredictor.Logits(model, adapter, prompts, classes);
        double accuracy = logits.Select((l, i) => (l[1] > l[0] ? 1 : 0) == labels[i] ? 1.0 : 0.0).Average();
        Assert.True(accuracy > 0.9, $"training accuracy {accuracy}");
    }

    [Fact]
    public void AStrongPriorKeepsTheAdapterNearZero()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 122, dtype: ScalarType.Float32);
        var (prompts, labels) = ParityTask(32, 40, 2);
        var options = new LoraTrainingOptions(Steps: 60, LearningRate: 1e-2, BatchSize: 8, Seed: 3);
        var loose = LoraTrainer.Train(model, "a", Tiny.LoraConfig(), prompts, labels, [5, 6], options with { PriorPrecision = 1e-3 }).Adapter;
        var tight = LoraTrainer.Train(model, "b", Tiny.LoraConfig(), prompts, labels, [5, 6], options with { PriorPrecision = 1e5 }).Adapter;
        double Norm(Core.Lora.LoraAdapter a) => a.Modules.Sum(m => m.B.square().sum().item<float>());
        Assert.True(Norm(tight) < 0.1 * Norm(loose), $"||B||^2 {Norm(tight)} vs {Norm(loose)}");
    }

    [Fact]
    public void PretrainingLearnsARepeatingStream()
    {
        var config = Tiny.Config(vocab: 12, tie: true);
        var stream = Enumerable.Range(0, 2000).Select(i => 1 + i % 7).ToArray();
        var (model, log) = LanguageModelTrainer.Train(config, stream,
            new PretrainingOptions(Steps: 120, LearningRate: 1e-2, BatchSize: 8, SequenceLength: 16, WarmupSteps: 10, Seed: 4));
        Assert.True(log.Losses.TakeLast(5).Average() < 0.2, $"final loss {log.Losses[^1]:F3}");

        using var noGrad = no_grad();
        var next = model.Forward(TokenBatch.Create([[1, 2, 3, 4]], CPU), ModelHead.LanguageModel, ForwardContext.Base).argmax(1).item<long>();
        Assert.Equal(5, next);
    }

    [Fact]
    public void AnInterruptedPretrainingRunResumesFromItsCheckpointToTheSameWeights()
    {
        var config = Tiny.Config(vocab: 12, tie: true);
        var stream = Enumerable.Range(0, 500).Select(i => 1 + i % 7).ToArray();
        using var folder = new TempFolder();
        var options = new PretrainingOptions(Steps: 6, LearningRate: 1e-2, BatchSize: 4, SequenceLength: 8, WarmupSteps: 2, Seed: 9,
            CheckpointFolder: folder.Folder("run"), CheckpointEvery: 3);

        var (straight, straightLog) = LanguageModelTrainer.Train(config, stream, options with { CheckpointFolder = null });
        // Interrupted after the checkpoint at step 3, as a session that ends would interrupt it.
        var interrupted = Assert.Throws<OperationCanceledException>(() => LanguageModelTrainer.Train(config, stream, options,
            new SynchronousProgress(p => { if (p.Step == 4) throw new OperationCanceledException(); })));
        var (resumed, resumedLog) = LanguageModelTrainer.Train(config, stream, options);

        Assert.Equal(straightLog.Losses, resumedLog.Losses);
        foreach (var (name, weight) in LanguageModelTrainer.Named(straight))
            Assert.True((weight - LanguageModelTrainer.Named(resumed)[name]).abs().max().item<float>() == 0, name);
        // Other settings are refused rather than mixed into the run.
        Assert.Throws<ArgumentException>(() => LanguageModelTrainer.Train(config, stream, options with { LearningRate = 2e-2 }));
        // And so is other text: one token changed.
        var otherText = stream.ToArray();
        otherText[250] = 8;
        var ex = Assert.Throws<ArgumentException>(() => LanguageModelTrainer.Train(config, otherText, options with { Steps = 7 }));
        Assert.Contains("TokenStreamSha256", ex.Message);
    }

    private sealed class SynchronousProgress(Action<(int Step, double Loss)> report) : IProgress<(int Step, double Loss)>
    {
        public void Report((int Step, double Loss) value) => report(value);
    }
}
