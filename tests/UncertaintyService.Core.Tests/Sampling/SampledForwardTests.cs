using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Sampling;

/// <summary>The batched prompts x samples forward against one ordinary forward per sample, float64.</summary>
public class SampledForwardTests
{
    private static readonly long[] Classes = [3, 8, 13];

    [Theory]
    [InlineData("blob")]
    [InlineData("swag")]
    [InlineData("ensemble")]
    public void EverySampleRowMatchesAForwardWithThatSamplesWeights(string method)
    {
        var model = Tiny.Model(Tiny.Config(), seed: 31);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 32); // LoRA on every projection and the LM head
        SampledPosterior posterior = method switch
        {
            "blob" => TinySampled.Blob(adapter),
            "swag" => TinySampled.Swag(adapter),
            _ => TinySampled.Particles(adapter, members: 4),
        };
        var prompts = Tiny.Prompts(40, 5, 2, 8);
        ulong[] seeds = [11, 12, 13];
        var logits = SampledPredictor.SampleLogits(posterior, model, prompts, Classes, samples: 4, seeds);

        for (int b = 0; b < prompts.Length; b++)
        {
            var draws = posterior.Draw(4, new Generator(seeds[b], CPU), ScalarType.Float64, CPU)!;
            for (int s = 0; s < 4; s++)
            {
                var expected = MapPredictor.Logits(model, TinySampled.RowAdapter(adapter, draws, s), [prompts[b]], Classes)[0];
                Numeric.Close(tensor(Enumerable.Range(0, Classes.Length).Select(c => logits[b][s, c]).ToArray()), tensor(expected), 1e-12,
                    $"{method} prompt {b} sample {s}");
            }
        }
    }

    [Fact]
    public void APromptsDrawsDoNotDependOnTheRestOfTheBatchOrOnChunking()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 33);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 34);
        foreach (var posterior in new SampledPosterior[] { TinySampled.Blob(adapter), new McDropoutPosterior("(test)", adapter, 0.3) })
        {
            var prompts = Tiny.Prompts(40, 3, 9, 4, 6);
            // 4 prompts x 20 samples = 80 rows (ChunkedPredictionTests splits a prompt's samples over chunks too).
            var together = SampledPredictor.Predict(posterior, model, prompts, Classes, samples: 20, seed: 100).Predictions;
            for (int b = 0; b < prompts.Length; b++)
            {
                var alone = SampledPredictor.Predict(posterior, model, [prompts[b]], Classes, samples: 20, seed: 100 + (ulong)b).Predictions[0];
                Numeric.Close(tensor(together[b].LogitMean), tensor(alone.LogitMean), 1e-12, $"{posterior.Method} prompt {b} mean");
                Numeric.Close(tensor(together[b].Probabilities.SampledMean), tensor(alone.Probabilities.SampledMean), 1e-12, $"{posterior.Method} prompt {b} p");
            }
            var again = SampledPredictor.Predict(posterior, model, prompts, Classes, samples: 20, seed: 100).Predictions;
            Assert.Equal(together.Select(p => p.LogitMean), again.Select(p => p.LogitMean));
            var other = SampledPredictor.Predict(posterior, model, prompts, Classes, samples: 20, seed: 101).Predictions;
            Assert.NotEqual(together[0].LogitMean, other[0].LogitMean);
        }
    }

    [Fact]
    public void ZeroSamplesIsTheMeanWeightsAlone()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 35);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 36);
        var prompts = Tiny.Prompts(40, 4, 7);
        foreach (var posterior in new SampledPosterior[] { TinySampled.Blob(adapter), TinySampled.Swag(adapter), new McDropoutPosterior("(test)", adapter, 0.5) })
        {
            var predictions = SampledPredictor.Predict(posterior, model, prompts, Classes, samples: 0, seed: 1).Predictions;
            var map = MapPredictor.Logits(model, posterior.Adapter, prompts, Classes);
            for (int b = 0; b < prompts.Length; b++)
            {
                Assert.Equal(map[b], predictions[b].LogitMean);
                Assert.Equal(0, predictions[b].Probabilities.Epistemic);
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            SampledPredictor.Predict(TinySampled.Particles(adapter, 3), model, prompts, Classes, samples: 0, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            SampledPredictor.Predict(TinySampled.Particles(adapter, 3), model, prompts, Classes, samples: 4, seed: 1));
    }

    [Fact]
    public void EnsemblePredictiveAveragesTheMembersSoftmax()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 37);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(targets: ["q_proj", "v_proj"]), seed: 38);
        var ensemble = TinySampled.Particles(adapter, members: 3);
        var prompts = Tiny.Prompts(40, 6, 3);
        var predictions = SampledPredictor.Predict(ensemble, model, prompts, Classes, samples: 3, seed: 0).Predictions;
        for (int b = 0; b < prompts.Length; b++)
        {
            var members = Enumerable.Range(0, 3).Select(k => MapPredictor.Logits(model, ensemble.Member(k), [prompts[b]], Classes)[0]).ToList();
            var averaged = Enumerable.Range(0, Classes.Length).Select(c => members.Average(l => Softmax(l)[c])).ToArray();
            Numeric.Close(tensor(predictions[b].Probabilities.SampledMean), tensor(averaged), 1e-12, $"prompt {b}");
        }
    }

    [Fact]
    public void McDropoutMasksOnlyTheLoraPathAndIsUnbiased()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 39);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 40);
        var prompt = Tiny.Prompts(40, 5);
        // B = 0: the LoRA path adds nothing, so dropout on its input cannot change any logit.
        var silent = new LoraAdapter("zero", adapter.Config,
            adapter.Modules.Select(m => new LoraModule(m.ModulePath, m.A, zeros_like(m.B), m.Scale)).ToList(), []);
        var logits = SampledPredictor.SampleLogits(new McDropoutPosterior("(test)", silent, 0.5), model, prompt, Classes, 5, [9]);
        var baseline = MapPredictor.Logits(model, silent, prompt, Classes)[0];
        for (int s = 0; s < 5; s++)
            for (int c = 0; c < Classes.Length; c++)
                Assert.Equal(baseline[c], logits[0][s, c], 12);

        // The masks: a fraction p of zeros, survivors scaled by 1/(1-p), so the mean input is unchanged.
        var x = ones(3, 7, 50, ScalarType.Float64);
        var dropout = new LoraInputDropout(0.3, [1, 2, 3], [0, 2, 0], [7, 4, 5], CPU);
        var masked = dropout.Apply(x);
        var real = cat([masked[0].flatten(), masked[1].narrow(0, 2, 4).flatten(), masked[2].narrow(0, 0, 5).flatten()]);
        double zeroFraction = real.eq(0).to(ScalarType.Float64).mean().item<double>();
        double n = real.numel();
        Assert.InRange(zeroFraction, 0.3 - 4 * Math.Sqrt(0.21 / n), 0.3 + 4 * Math.Sqrt(0.21 / n));
        Assert.True(real.ne(0).logical_and((real - 1 / 0.7).abs().gt(1e-12)).sum().item<long>() == 0, "survivors are scaled by 1/(1-p)");
        // Padding positions are left alone (their values are never read).
        Assert.Equal(1.0, masked[1].narrow(0, 0, 2).mean().item<double>());
        Assert.Equal(1.0, masked[2].narrow(0, 5, 2).mean().item<double>());
    }

    private static double[] Softmax(double[] logits)
    {
        double max = logits.Max();
        var e = logits.Select(v => Math.Exp(v - max)).ToArray();
        return e.Select(v => v / e.Sum()).ToArray();
    }
}
