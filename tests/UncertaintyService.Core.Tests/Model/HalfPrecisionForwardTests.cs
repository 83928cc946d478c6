using UncertaintyService.Core.Model;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Model;

/// <summary>
/// The serving dtypes against the float64 reference on the same random weights: the bound covers the
/// rounding of the weights to the dtype and of every activation (bf16 keeps 8 significant bits, f16 11),
/// with softmax and norms in float32 inside.
/// </summary>
public class HalfPrecisionForwardTests
{
    [Theory]
    [InlineData(ScalarType.Float32, 1e-5)]
    [InlineData(ScalarType.Float16, 1e-2)]
    [InlineData(ScalarType.BFloat16, 5e-2)]
    public void LeftPaddedBatchMatchesTheFloat64ReferenceWithinTheDtypesBound(ScalarType dtype, double bound)
    {
        var config = Tiny.Config(hidden: 32, heads: 4, kvHeads: 2, ff: 48);
        var exact = Tiny.Model(config, seed: 21);
        var half = Tiny.Model(config, seed: 21, dtype: dtype);
        var exactAdapter = Tiny.Adapter(exact, Tiny.LoraConfig(rank: 4));
        var halfAdapter = Tiny.Adapter(half, Tiny.LoraConfig(rank: 4));
        var reference = new ReferenceLlama(exact, exactAdapter);
        var prompts = Tiny.Prompts(config.VocabSize, 9, 3, 6);

        using var noGrad = no_grad();
        var logits = half.Forward(TokenBatch.Create(prompts, CPU, PaddingSide.Left), ModelHead.LanguageModel, new ForwardContext { Adapter = halfAdapter });
        Assert.Equal(dtype, logits.dtype);
        for (int b = 0; b < prompts.Length; b++)
            Numeric.Close(logits[b], tensor(reference.HeadOutputs(prompts[b], ModelHead.LanguageModel)), bound, $"{dtype}, prompt {b} ({prompts[b].Length} tokens)");
    }
}
