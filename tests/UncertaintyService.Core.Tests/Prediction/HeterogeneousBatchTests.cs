using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Core.Tests.Support;

namespace UncertaintyService.Core.Tests.Prediction;

/// <summary>
/// The predictive engine on a batch mixing adapters (different targets, ranks, scales; a reward adapter
/// with its own score head), methods, label sets and sample counts, float64: every group's moments are
/// those it gets alone, to rounding, whatever its company and wherever the chunks fall.
/// </summary>
public class HeterogeneousBatchTests
{
    private sealed record Setup(LlamaModel Model, List<PredictiveGroup> Groups);

    private static Setup Mixed()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 41);
        var wide = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 42, id: "wide");                                    // every projection and lm_head, r 2, alpha 4
        var narrow = Tiny.Adapter(model, Tiny.LoraConfig(rank: 3, alpha: 3, targets: ["q_proj", "v_proj"]), seed: 43, id: "narrow");
        var reward = TinyReward.Adapter(model, seed: 44, targets: ["q_proj", "down_proj"], rank: 4);
        var laplace = LaplaceLoraPosterior.Create(model, wide, Tiny.Factors(wide, n: 40, seed: 45), 0.8);
        var rewardLaplace = LaplaceLoraPosterior.Create(model, reward, TinyReward.Factors(reward, n: 30, lowRank: null, seed: 46), 1.5);
        var p = Tiny.Prompts(40, 5, 2, 8, 3, 6, 4, 7, 9);
        var rewardEnsemble = RewardEnsemble(model, reward);
        long[] three = [3, 8, 13], two = [5, 9], four = [3, 8, 13, 20], score = [0];
        return new Setup(model,
        [
            new(new MapMethod(wide), [p[0]], three, 0, 1),
            new(TinySampled.Blob(wide), [p[1]], three, 4, 2),
            new(TinySampled.Particles(narrow, members: 3), [p[2]], two, 3, 3),
            new(new McDropoutPosterior("(test)", narrow, 0.3), [p[3]], four, 5, 4),
            new(laplace, [p[4]], three, 0, 5),
            new(laplace, [p[5]], [1, 2], 0, 6),
            new(TinySampled.Swag(wide), [p[6]], four, 0, 7),
            new(new MapMethod(narrow), [p[7]], three, 0, 8),
            new(new MapMethod(reward), [p[0]], score, 0, 9),
            new(TinySampled.Blob(reward), [p[1], p[2]], score, 3, 10),
            new(rewardLaplace, [p[3], p[4]], score, 0, 11),
            new(laplace, [p[6]], three, 0, 12),
            new(TinySampled.Blob(wide), [p[7]], three, 6, 13),
            new(rewardEnsemble, [p[5], p[6]], score, 3, 14),
            new(new McDropoutPosterior("(test)", reward, 0.2), [p[2]], score, 4, 15),
        ]);
    }

    // Three reward models of the adapter's structure, each with its own LoRA and its own score head.
    private static ParticlePosterior RewardEnsemble(LlamaModel model, LoraAdapter structure) =>
        ParticlePosterior.FromMembers("(test)", Enumerable.Range(0, 3).Select(k => TinyReward.Adapter(model, seed: 60 + 10 * (ulong)k, targets: ["q_proj", "down_proj"], rank: 4)).ToList(),
            ParticleTraining.Independent);

    [Fact]
    public void ARewardEnsembleSampleIsItsMembersOwnModelHeadIncluded()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 41);
        var structure = TinyReward.Adapter(model, seed: 44, targets: ["q_proj", "down_proj"], rank: 4);
        var ensemble = RewardEnsemble(model, structure);
        var texts = Tiny.Prompts(40, 6, 3);
        var path = Path.Combine(Path.GetTempPath(), $"reward-ensemble-{Guid.NewGuid():N}.safetensors");
        try
        {
            ensemble.Save(path);
            using var loaded = ParticlePosterior.Load(path, structure, ParticleTraining.Independent);
            foreach (var posterior in new[] { ensemble, loaded })
            {
                var draws = PredictiveEngine.Run(model, [new PredictiveGroup(posterior, [texts[0], texts[1]], [0], 3, 0)]).Groups[0]!.Draws!;
                for (int k = 0; k < 3; k++)
                    for (int t = 0; t < 2; t++)
                    {
                        double expected = MapPredictor.Logits(model, posterior.Member(k), [texts[t]], [0])[0][0];
                        Assert.True(Math.Abs(expected - draws[k, t]) <= 1e-12 * (1 + Math.Abs(expected)), $"member {k} text {t}: {draws[k, t]} vs {expected}");
                    }
            }
            // The members' heads differ, so the spread is not only the LoRA's.
            Assert.NotEqual(ensemble.Member(0).ReplacementFor("score")!.Weight.data<double>().ToArray(), ensemble.Member(1).ReplacementFor("score")!.Weight.data<double>().ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(8192)]
    [InlineData(20)] // chunks of a few rows: samples of one group, and groups, split over chunks
    public void EveryGroupGetsWhatItGetsAlone(long budgetTokens)
    {
        var (model, groups) = Mixed();
        var budget = new TokenBudget(budgetTokens);
        // Mixed in a different order than built, so no group keeps its neighbours.
        var order = Enumerable.Range(0, groups.Count).OrderBy(i => (i * 7) % groups.Count).ToList();
        var together = PredictiveEngine.Run(model, order.Select(i => groups[i]).ToList(), budget).Groups;
        for (int k = 0; k < order.Count; k++)
        {
            var group = groups[order[k]];
            var alone = PredictiveEngine.Run(model, [group], TokenBudget.Default).Groups[0]!;
            var mixed = together[k]!;
            string what = $"group {order[k]} ({group.Method.Name}, {group.Method.Adapter.Id})";
            Close(alone.Mean, mixed.Mean, what + " mean");
            Assert.Equal(alone.Covariance is null, mixed.Covariance is null);
            if (alone.Covariance is not null) Close(alone.Covariance.Cast<double>().ToArray(), mixed.Covariance!.Cast<double>().ToArray(), what + " covariance");
            Assert.Equal(alone.Draws is null, mixed.Draws is null);
            if (alone.Draws is not null) Close(alone.Draws.Cast<double>().ToArray(), mixed.Draws!.Cast<double>().ToArray(), what + " draws");
        }
    }

    [Fact]
    public void ARowOfTheBankIsAForwardWithItsAdaptersOwnWeights()
    {
        // Alone, a MAP group runs the plain adapter path; beside other adapters, the bank (padded ranks,
        // per-row scales, zeros where its adapter has no LoRA). Both against the slow per-prompt forward.
        var (model, groups) = Mixed();
        var together = PredictiveEngine.Run(model, groups).Groups;
        foreach (int i in new[] { 0, 7 })
        {
            var adapter = groups[i].Method.Adapter;
            var expected = MapPredictor.Logits(model, adapter, [groups[i].Texts[0]], groups[i].Outputs)[0];
            Close(expected, together[i]!.Mean, $"MAP of {adapter.Id}");
        }
    }

    [Fact]
    public void ACancelledGroupIsDroppedAndTheOthersAreUntouched()
    {
        var (model, groups) = Mixed();
        using var gone = new CancellationTokenSource();
        gone.Cancel();
        using var later = new CancellationTokenSource();
        var changed = groups.Select((g, i) => i switch
        {
            1 or 4 => g with { Cancellation = gone.Token },  // gone before it starts: a sampled group and a Laplace one
            12 => g with { Cancellation = later.Token },     // goes while the engine runs
            _ => g,
        }).ToList();
        var done = new List<int>();
        var result = PredictiveEngine.Run(model, changed, new TokenBudget(20), (index, _, _) =>
        {
            done.Add(index);
            if (index == 0) later.Cancel();
        });
        Assert.Null(result.Groups[1]);
        Assert.Null(result.Groups[4]);
        Assert.Null(result.Groups[12]);
        Assert.Equal(Enumerable.Range(0, groups.Count).Order(), done.Order());
        var reference = PredictiveEngine.Run(model, groups).Groups;
        foreach (int i in Enumerable.Range(0, groups.Count).Except([1, 4, 12]))
            Close(reference[i]!.Mean, result.Groups[i]!.Mean, $"group {i}");
    }

    private static void Close(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1 + expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * scale, $"{what}[{i}]: {actual[i]} vs {expected[i]}");
    }
}
