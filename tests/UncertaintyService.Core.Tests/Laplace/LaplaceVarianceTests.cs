using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Laplace;

public class LaplaceVarianceTests
{
    public static TheoryData<int, int?, int, double> Cases => new()
    {
        { 2, null, 2, 1.0 },   // square factors
        { 3, null, 4, 0.1 },
        { 5, null, 3, 10.0 },
        { 2, 3, 2, 1.0 },      // low-rank (tall square-root) factors on the large side
        { 4, 5, 4, 0.5 },
        { 5, 1, 3, 3.0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void VarianceMatchesTheDensePosterior(int classes, int? lowRank, int rank, double lambda)
    {
        var model = Tiny.Model(Tiny.Config(), seed: 51);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(rank: rank), seed: 52);
        var factors = Tiny.Factors(adapter, n: 37, lowRank: lowRank, seed: 53);
        var posterior = LaplaceLoraPosterior.Create(model, adapter, factors, lambda);
        var prompts = Tiny.Prompts(model.Config.VocabSize, 5, 1, 3, 8);
        var labels = Enumerable.Range(0, classes).Select(c => (long)(2 + 5 * c)).ToArray();

        var jacobian = posterior.JacobianMean(TokenBatch.Create(prompts, CPU), tensor(labels));
        var variance = posterior.Variance(jacobian);

        Assert.Equal(new long[] { prompts.Length, classes, classes }, variance.shape);
        for (int b = 0; b < prompts.Length; b++)
        {
            var expected = DenseReference.Variance(adapter, factors, DenseReference.AutogradJacobian(model, adapter, prompts[b], labels), lambda);
            Numeric.Close(variance[b], expected, 1e-8, $"prompt {b}");
            Assert.Equal(0, (variance[b] - variance[b].T).abs().max().item<double>());
            double smallest = linalg.eigvalsh(variance[b]).min().item<double>();
            Assert.True(smallest > -1e-12 * variance[b].abs().max().item<double>(), $"f_var of prompt {b} has eigenvalue {smallest}");
        }
    }

    [Fact]
    public void ScoreHeadAdapterVarianceMatchesTheDensePosterior()
    {
        var model = Tiny.Model(Tiny.Config(numLabels: 3), seed: 61, withScoreHead: true);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(targets: [.. Tiny.AllProjections, "score"], task: "SEQ_CLS"), seed: 62);
        var factors = Tiny.Factors(adapter, n: 20, lowRank: 2, seed: 63);
        var posterior = LaplaceLoraPosterior.Create(model, adapter, factors, 2.0);
        var prompts = Tiny.Prompts(40, 4, 6);
        var labels = new long[] { 0, 1, 2 };
        var variance = posterior.Variance(posterior.JacobianMean(TokenBatch.Create(prompts, CPU, PaddingSide.Left), tensor(labels)));
        for (int b = 0; b < prompts.Length; b++)
        {
            var expected = DenseReference.Variance(adapter, factors, DenseReference.AutogradJacobian(model, adapter, prompts[b], labels), 2.0);
            Numeric.Close(variance[b], expected, 1e-8, $"prompt {b}");
        }
    }

    [Fact]
    public void HugePriorPrecisionLeavesOnlyThePrior()
    {
        // As lambda grows the data term vanishes: f_var -> J J^T / lambda.
        var model = Tiny.Model(Tiny.Config(), seed: 71);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 72);
        var posterior = LaplaceLoraPosterior.Create(model, adapter, Tiny.Factors(adapter), 1e9);
        var jacobian = posterior.JacobianMean(TokenBatch.Create(Tiny.Prompts(40, 4), CPU), tensor(new long[] { 1, 2 }));
        var flat = cat(jacobian.Gradients.Values.Select(g => g[0].flatten(1)).ToList(), 1);
        Numeric.Close(posterior.Variance(jacobian)[0], flat.matmul(flat.T) / 1e9, 1e-6, "prior-only limit");
    }
}

public class LaplaceFloat32Tests
{
    [Fact]
    public void Float32ServingPathStaysWithinTheFloat32BoundOfTheFloat64Reference()
    {
        // Serving runs the model in float32 and the eigen-algebra in float64; DESIGN.md bounds it at 1e-4.
        var config = Tiny.Config();
        var model64 = Tiny.Model(config, seed: 101);
        var model32 = Tiny.Model(config, seed: 101, dtype: ScalarType.Float32);
        var loraConfig = Tiny.LoraConfig(rank: 4);
        var adapter64 = Tiny.Adapter(model64, loraConfig, seed: 102);
        var adapter32 = Tiny.Adapter(model32, loraConfig, seed: 102);
        var factors = Tiny.Factors(adapter64, n: 25, lowRank: 4, seed: 103);
        var prompts = Tiny.Prompts(40, 3, 7);
        var labels = tensor(new long[] { 5, 6, 7 });

        var posterior64 = LaplaceLoraPosterior.Create(model64, adapter64, factors, 1.0);
        var posterior32 = LaplaceLoraPosterior.Create(model32, adapter32, factors, 1.0);
        var jacobian64 = posterior64.JacobianMean(TokenBatch.Create(prompts, CPU), labels);
        var jacobian32 = posterior32.JacobianMean(TokenBatch.Create(prompts, CPU), labels);

        Numeric.Close(jacobian32.Logits, jacobian64.Logits, 1e-4, "float32 logits");
        Numeric.Close(posterior32.Variance(jacobian32), posterior64.Variance(jacobian64), 1e-4, "float32 f_var");
    }
}

public class LaplaceCrossCovarianceTests
{
    [Theory]
    [InlineData(null)]
    [InlineData(3)]
    public void CovarianceBetweenTwoPromptsMatchesTheDensePosterior(int? lowRank)
    {
        // A reward model's chosen and rejected responses: one score each, and the covariance between them.
        var model = Tiny.Model(Tiny.Config(numLabels: 1), seed: 131, withScoreHead: true);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(targets: [.. Tiny.AllProjections, "score"], task: "SEQ_CLS"), seed: 132);
        var factors = Tiny.Factors(adapter, n: 30, lowRank: lowRank, seed: 133);
        var posterior = LaplaceLoraPosterior.Create(model, adapter, factors, 0.7);
        var chosen = Tiny.Prompts(40, 5, 3);
        var rejected = Tiny.Prompts(40, 2, 7);
        long[] score = [0];

        var covariance = posterior.Covariance(
            posterior.JacobianMean(TokenBatch.Create(chosen, CPU), tensor(score)),
            posterior.JacobianMean(TokenBatch.Create(rejected, CPU, PaddingSide.Left), tensor(score)));

        for (int b = 0; b < chosen.Length; b++)
        {
            var j1 = DenseReference.AutogradJacobian(model, adapter, chosen[b], score);
            var j2 = DenseReference.AutogradJacobian(model, adapter, rejected[b], score);
            // Stack both prompts as two "classes" of one Jacobian: the dense off-diagonal is the cross-covariance.
            var joint = j1.ToDictionary(p => p.Key, p => cat([p.Value, j2[p.Key]], 0));
            var dense = DenseReference.Variance(adapter, factors, joint, 0.7);
            Numeric.Close(covariance[b], dense[0, 1].reshape(1, 1), 1e-8, $"pair {b}");
        }
    }

    [Fact]
    public void VarianceIsTheCovarianceOfABatchWithItself()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 134);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 135);
        var posterior = LaplaceLoraPosterior.Create(model, adapter, Tiny.Factors(adapter, lowRank: 2), 1.5);
        var jacobian = posterior.JacobianMean(TokenBatch.Create(Tiny.Prompts(40, 4, 6), CPU), tensor(new long[] { 1, 2, 3 }));
        Numeric.Close(posterior.Variance(jacobian), posterior.Covariance(jacobian, jacobian), 1e-14, "variance vs covariance");
    }
}
