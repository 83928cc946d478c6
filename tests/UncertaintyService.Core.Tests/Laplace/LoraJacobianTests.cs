using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Laplace;

public class LoraJacobianTests
{
    [Theory]
    [InlineData(2, 2)]
    [InlineData(5, 4)]
    public void JacobianMatchesAutogradOverEveryLoraParameter(int classes, int rank)
    {
        var model = Tiny.Model(Tiny.Config(), seed: 21);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(rank: rank, alpha: 2 * rank), seed: 22);
        var prompts = Tiny.Prompts(model.Config.VocabSize, 6, 2, 4);
        var labelTokens = Enumerable.Range(0, classes).Select(c => (long)(3 + 7 * c)).ToArray();

        var jacobian = LoraJacobian.Compute(model, adapter, TokenBatch.Create(prompts, CPU, PaddingSide.Left), tensor(labelTokens));

        for (int b = 0; b < prompts.Length; b++)
        {
            var expected = DenseReference.AutogradJacobian(model, adapter, prompts[b], labelTokens);
            Assert.Equal(expected.Keys.Order(), jacobian.Gradients.Keys.Order());
            foreach (var (key, gradient) in expected)
                Numeric.Close(jacobian.Gradients[key][b], gradient, 1e-10, $"prompt {b}, {key}");
        }
    }

    [Fact]
    public void JacobianMatchesCentralFiniteDifferences()
    {
        var model = Tiny.Model(Tiny.Config(hidden: 8, heads: 2, kvHeads: 1, ff: 12, vocab: 20), seed: 31);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(rank: 2), seed: 32);
        int[] prompt = [1, 5, 9, 13];
        long[] labels = [2, 7, 11];
        var batch = TokenBatch.Create([prompt], CPU);
        var jacobian = LoraJacobian.Compute(model, adapter, batch, tensor(labels));
        const double step = 1e-5;

        Tensor Logits()
        {
            using var noGrad = no_grad();
            return model.Forward(batch, ModelHead.LanguageModel, new ForwardContext { Adapter = adapter })[0].index_select(0, tensor(labels));
        }

        foreach (var module in adapter.Modules)
        {
            foreach (var (side, weight) in new[] { (LoraSide.A, module.A), (LoraSide.B, module.B) })
            {
                var flat = weight.view(-1);
                var numeric = zeros(labels.Length, flat.shape[0], dtype: ScalarType.Float64);
                for (long j = 0; j < flat.shape[0]; j++)
                {
                    double original = flat[j].item<double>();
                    using (no_grad()) flat[j] = tensor(original + step);
                    var plus = Logits();
                    using (no_grad()) flat[j] = tensor(original - step);
                    var minus = Logits();
                    using (no_grad()) flat[j] = tensor(original);
                    numeric[.., j] = (plus - minus) / (2 * step);
                }
                var analytic = jacobian.Gradients[(module.ModulePath, side)][0]; // (C, D, r) in Theta orientation
                var asWeight = side == LoraSide.A ? analytic.transpose(1, 2) : analytic;
                Numeric.Close(asWeight.reshape(labels.Length, -1), numeric, 1e-6, $"{module.ModulePath} {side}");
            }
        }
    }

    [Fact]
    public void JacobianDoesNotChangeTheLogits()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 41);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 42);
        var batch = TokenBatch.Create(Tiny.Prompts(40, 3, 5), CPU);
        var labels = tensor(new long[] { 4, 9 });
        var jacobian = LoraJacobian.Compute(model, adapter, batch, labels);
        using var noGrad = no_grad();
        var plain = model.Forward(batch, ModelHead.LanguageModel, new ForwardContext { Adapter = adapter }).index_select(1, labels);
        Numeric.Close(jacobian.Logits, plain, 1e-14, "logits");
    }
}
