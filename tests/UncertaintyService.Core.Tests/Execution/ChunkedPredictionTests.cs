using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Execution;

/// <summary>
/// Every predictor under a budget small enough to split its batch (and, for sampled methods, a
/// prompt's samples) gives the numbers of one unchunked pass, in float64.
/// </summary>
public class ChunkedPredictionTests
{
    private static readonly long[] Classes = [3, 8, 13, 21];
    private static readonly TokenBudget Whole = new(1_000_000);
    private static readonly TokenBudget Tiny10 = new(10);

    [Fact]
    public void MapAndLaplaceGiveTheSameMomentsInChunks()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 51);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 52);
        var posterior = LaplaceLoraPosterior.Create(model, adapter, Tiny.Factors(adapter, lowRank: 3), 0.7);
        var prompts = Tiny.Prompts(40, 6, 2, 9, 4, 3).Cast<IReadOnlyList<int>>().ToList();

        var mapWhole = MapPredictor.Logits(model, adapter, prompts, Classes, Whole);
        var mapChunked = MapPredictor.Logits(model, adapter, prompts, Classes, Tiny10);
        var whole = LaplacePredictor.Moments(posterior, prompts, Classes, Whole);
        var chunked = LaplacePredictor.Moments(posterior, prompts, Classes, Tiny10);
        for (int b = 0; b < prompts.Count; b++)
        {
            Numeric.Close(tensor(mapChunked[b]), tensor(mapWhole[b]), 1e-12, $"MAP prompt {b}");
            Numeric.Close(tensor(chunked.Means[b]), tensor(whole.Means[b]), 1e-12, $"Laplace mean, prompt {b}");
            Numeric.Close(tensor(chunked.Covariances[b]), tensor(whole.Covariances[b]), 1e-12, $"Laplace covariance, prompt {b}");
        }
    }

    [Fact]
    public void RewardPairsGiveTheSameJointGaussianInChunks()
    {
        var (model, adapter) = TinyReward.Create(seed: 53);
        var posterior = LaplaceLoraPosterior.Create(model, adapter, TinyReward.Factors(adapter, 20, null, 54), 1.3);
        var chosen = Tiny.Prompts(40, 5, 3, 7).Cast<IReadOnlyList<int>>().ToList();
        var rejected = Tiny.Prompts(40, 2, 6, 4).Cast<IReadOnlyList<int>>().ToList();

        var whole = RewardPredictor.LaplacePairs(posterior, chosen, rejected, Whole);
        var chunked = RewardPredictor.LaplacePairs(posterior, chosen, rejected, Tiny10);
        Numeric.Close(tensor(chunked.Chosen.Means), tensor(whole.Chosen.Means), 1e-12, "chosen means");
        Numeric.Close(tensor(chunked.Rejected.Variances), tensor(whole.Rejected.Variances), 1e-12, "rejected variances");
        Numeric.Close(tensor(chunked.Covariances), tensor(whole.Covariances), 1e-12, "pair covariances");
        var items = RewardPredictor.Laplace(posterior, chosen, Tiny10);
        Numeric.Close(tensor(items.Variances), tensor(whole.Chosen.Variances), 1e-12, "item variances");
    }

    [Fact]
    public void SampledMethodsGiveTheSameSamplesWhenChunksCutThroughAPromptsSamples()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 55);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(), seed: 56);
        var prompts = Tiny.Prompts(40, 4, 7, 3).Cast<IReadOnlyList<int>>().ToList();
        ulong[] seeds = [5, 6, 7];
        foreach (var posterior in new SampledPosterior[]
                 { TinySampled.Blob(adapter), TinySampled.Swag(adapter), TinySampled.Particles(adapter, 5), new McDropoutPosterior("(test)", adapter, 0.3) })
        {
            // A budget of 10 tokens runs 1-3 rows at a time, so every prompt's 5 samples span chunks.
            var whole = SampledPredictor.SampleLogits(posterior, model, prompts, Classes, 5, seeds, Whole);
            var chunked = SampledPredictor.SampleLogits(posterior, model, prompts, Classes, 5, seeds, Tiny10);
            for (int b = 0; b < prompts.Count; b++)
                Numeric.Close(tensor(chunked[b]), tensor(whole[b]), 1e-12, $"{posterior.Method} prompt {b}");
        }
    }
}
