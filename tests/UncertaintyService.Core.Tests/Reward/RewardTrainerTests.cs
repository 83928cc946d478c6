using System.Text.Json;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Tests.Support;
using UncertaintyService.Core.Training;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Reward;

public sealed class RewardTrainerTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void BradleyTerryTrainingLearnsThePreferenceAndTheAdapterRoundTripsWithItsHead()
    {
        // Preferred: texts whose first token is even. The model can only learn that by reading the text.
        var model = Tiny.Model(Tiny.Config(), seed: 501, dtype: ScalarType.Float32);
        var random = new Random(3);
        int[] Text(bool even) => [.. Enumerable.Range(0, 4).Select(i => i == 0 ? 2 * random.Next(1, 20) - (even ? 0 : 1) : random.Next(1, 40))];
        var chosen = Enumerable.Range(0, 64).Select(_ => Text(true)).ToArray();
        var rejected = Enumerable.Range(0, 64).Select(_ => Text(false)).ToArray();
        var config = Tiny.LoraConfig(rank: 4, alpha: 8, targets: ["q_proj", "v_proj"], task: "SEQ_CLS", modulesToSave: ["score"]);

        var (adapter, log) = RewardTrainer.Train(model, "even", config, chosen, rejected,
            new LoraTrainingOptions(Steps: 150, LearningRate: 1e-2, BatchSize: 16, PriorPrecision: 1e-3, Seed: 4));

        // The head starts at std 0.02 and B at zero, so the first loss is close to log 2.
        Assert.InRange(log.Losses[0], 0.6, 0.8);
        Assert.True(log.Losses.TakeLast(10).Average() < 0.2, $"loss {log.Losses[0]:F3} -> {log.Losses[^1]:F3}");
        var wins = RewardPredictor.Map(model, adapter, chosen).Means.Zip(RewardPredictor.Map(model, adapter, rejected).Means, (c, r) => c > r).Count(w => w);
        Assert.True(wins > 60, $"{wins} of 64 pairs ordered");

        LoraAdapterWriter.Write(folder.Path, adapter);
        var loaded = LoraAdapterLoader.Load(folder.Path, model, "even");
        Assert.Equal("score", Assert.Single(loaded.SavedModules).ModulePath);
        Assert.Equal(RewardPredictor.Map(model, adapter, chosen).Means, RewardPredictor.Map(model, loaded, chosen).Means);
        using var written = JsonDocument.Parse(File.ReadAllText(folder.File(LoraConfig.FileName)));
        Assert.Equal("SEQ_CLS", written.RootElement.GetProperty("task_type").GetString());
    }
}
