using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Core.Tests.Support;
using UncertaintyService.Core.Training;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Training;

/// <summary>The trainers of the sampled posteriors learn the task and produce the distributions they promise.</summary>
public class PosteriorTrainerTests
{
    private static readonly long[] Classes = [5, 6];

    private static (int[][] Prompts, int[] Labels) ParityTask(int count, int seed)
    {
        var random = new Random(seed);
        var prompts = Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, 4).Select(_ => random.Next(1, 40)).ToArray()).ToArray();
        return (prompts, prompts.Select(p => p[0] % 2).ToArray());
    }

    private static double Accuracy(IReadOnlyList<ClassPrediction> predictions, int[] labels) =>
        predictions.Select((p, i) => (p.Probabilities.SampledMean[1] > p.Probabilities.SampledMean[0] ? 1 : 0) == labels[i] ? 1.0 : 0.0).Average();

    private static readonly LoraTrainingOptions Options = new(Steps: 150, LearningRate: 1e-2, BatchSize: 16, PriorPrecision: 1e-3, Seed: 2);

    [Fact]
    public void BlobLearnsTheTaskWhileTheKlWidensItsSigmas()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 131, dtype: ScalarType.Float32);
        // The KL term is per example and counts every element of every A; on 256 examples the full ELBO
        // (weight 1) keeps sigma near beta and the task unlearnt, so the test tempers it as the CLI allows.
        var (prompts, labels) = ParityTask(256, 1);
        var (blob, log) = BlobTrainer.Train(model, "parity", Tiny.LoraConfig(rank: 4, alpha: 8, targets: ["q_proj", "v_proj", "lm_head"]), prompts, labels,
            Classes, Options with { Steps = 200 }, new BlobOptions(PriorStd: 0.2, InitialSigma: 1e-3, KlWeight: 0.05), "(test)");
        Assert.True(log.Losses.TakeLast(10).Average() < 0.4 * log.Losses.Take(10).Average(), $"loss {log.Losses[0]:F3} -> {log.Losses[^1]:F3}");
        var predictions = SampledPredictor.Predict(blob, model, prompts, Classes, samples: 8, seed: 1).Predictions;
        Assert.True(Accuracy(predictions, labels) > 0.9);
        Assert.True(predictions.Average(p => p.Probabilities.Epistemic) > 0, "weight samples disagree somewhere");
        foreach (var m in blob.Adapter.Modules)
        {
            var sigma = blob.SigmaOf(m.ModulePath);
            // Elements the data does not pin down drift from sigma_0 = 1e-3 towards beta = 0.2; none runs away.
            Assert.True(sigma.gt(0).all().item<bool>() && sigma.lt(0.4).all().item<bool>(), $"{m.ModulePath}: sigma in (0, 2 beta)");
            Assert.True(sigma.mean().item<double>() > 1e-2, $"{m.ModulePath}: mean sigma {sigma.mean().item<double>()}");
            Assert.False(m.A.requires_grad);
        }
    }

    [Fact]
    public void BlobKlIsTheExpectedLogRatioOfPosteriorAndPrior()
    {
        var generator = new Generator(4, CPU);
        var mu = randn(new long[] { 3, 5 }, ScalarType.Float64, CPU, generator: generator) * 0.3;
        var sigma = 0.05 + 0.2 * rand(new long[] { 3, 5 }, ScalarType.Float64, CPU, generator: generator);
        double beta = 0.4;
        double closed = BlobTrainer.GaussianKl(mu, sigma, beta).item<double>();
        // Monte Carlo E_q[log q(a) - log p(a)] over 200,000 draws, elementwise Gaussians.
        var a = mu + sigma * randn(new long[] { 200_000, 3, 5 }, ScalarType.Float64, CPU, generator: generator);
        var logQ = -(a - mu).square() / (2 * sigma.square()) - sigma.log();
        var logP = -a.square() / (2 * beta * beta) - Math.Log(beta);
        var terms = (logQ - logP).sum([1, 2]);
        double estimate = terms.mean().item<double>(), error = terms.std().item<double>() / Math.Sqrt(200_000);
        Assert.True(Math.Abs(estimate - closed) < 4 * error, $"closed form {closed} vs Monte Carlo {estimate} +- {error}");
    }

    [Fact]
    public void SwagCollectsItsSnapshotsMomentsAroundTheTrajectory()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 132, dtype: ScalarType.Float32);
        var (prompts, labels) = ParityTask(64, 2);
        var (map, _) = LoraTrainer.Train(model, "parity", Tiny.LoraConfig(rank: 4, alpha: 8), prompts, labels, Classes, Options);
        var (swag, _) = SwagCollector.Collect(model, map, prompts, labels, Classes, Options with { Steps = 60, Seed = 3 },
            new SwagOptions(Every: 5, DeviationColumns: 4), "(test)");
        Assert.Equal(12, swag.Snapshots);
        Assert.Equal(4, swag.DeviationColumns);
        foreach (var (name, m) in swag.Moments)
        {
            Assert.True((m.SecondMoment - m.Mean.square()).min().item<double>() > -1e-12, $"{name}: variance is non-negative");
            Assert.True(m.DiagonalStd().max().item<double>() > 0, $"{name}: the weights moved");
            // The last deviation is the last snapshot minus the final mean (the running mean after it).
            Assert.Equal(new long[] { 4, m.Mean.shape[0], m.Mean.shape[1] }, m.Deviations!.shape);
        }
        var predictions = SampledPredictor.Predict(swag, model, prompts, Classes, samples: 8, seed: 1).Predictions;
        Assert.True(Accuracy(predictions, labels) > 0.9);
        Assert.Throws<ArgumentException>(() => SwagCollector.Collect(model, map, prompts, labels, Classes, Options with { Steps = 20 },
            new SwagOptions(Every: 5, DeviationColumns: 10), "(test)"));
    }

    [Fact]
    public void McDropoutTrainingLearnsTheTaskWithDropoutOn()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 133, dtype: ScalarType.Float32);
        var (prompts, labels) = ParityTask(64, 3);
        var (adapter, _) = LoraTrainer.Train(model, "parity", Tiny.LoraConfig(rank: 4, alpha: 8), prompts, labels, Classes, Options with { Dropout = 0.1 });
        var predictions = SampledPredictor.Predict(new McDropoutPosterior("(test)", adapter, 0.1), model, prompts, Classes, samples: 8, seed: 1).Predictions;
        Assert.True(Accuracy(predictions, labels) > 0.9);
        Assert.True(predictions.Average(p => p.Probabilities.Epistemic) > 0);
    }

    [Fact]
    public void SvgdParticlesLearnTheTaskAndStayApart()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 134, dtype: ScalarType.Float32);
        var (prompts, labels) = ParityTask(64, 4);
        var (particles, log) = SvgdTrainer.Train(model, "parity", Tiny.LoraConfig(rank: 4, alpha: 8), prompts, labels, Classes, Options, 3, "(test)");
        Assert.Equal(ParticleTraining.Svgd, particles.Training);
        Assert.True(log.Losses.TakeLast(10).Average() < 0.3 * log.Losses.Take(10).Average(), $"loss {log.Losses[0]:F3} -> {log.Losses[^1]:F3}");
        var predictions = SampledPredictor.Predict(particles, model, prompts, Classes, samples: 3, seed: 0).Predictions;
        Assert.True(Accuracy(predictions, labels) > 0.9);
        var a0 = particles.Member(0).Modules[0].A;
        var a1 = particles.Member(1).Modules[0].A;
        Assert.True((a0 - a1).abs().max().item<float>() > 1e-3, "particles are distinct");
    }
}
