using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Laplace;

/// <summary>
/// The large side kept as a tall root U by incremental SVD, against the square factor fitted from the
/// same data: exact while k covers the rank, the best rank-k eigenvalues after one truncation, and
/// within the incremental bound after several.
/// </summary>
public sealed class KfacLowRankTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void RootReproducesTheSquareFactorWhenKCoversTheRank()
    {
        // 5 real positions and one vector per example: every large factor has rank <= 5 < k = 6 < D.
        // Batches of one make every step an incremental update, none of which may lose anything.
        var (square, lowRank, adapter) = Fit([2, 3], k: 6, FisherKind.Empirical, PositionHandling.Expand, batchSize: 1);

        foreach (var (name, large, isInput) in LargeSides(adapter))
        {
            var root = isInput ? lowRank.Factors.Modules[name].InputFactor : lowRank.Factors.Modules[name].OutputFactor;
            Assert.Equal([large, 6], root.shape);
            Numeric.Close(KroneckerFactor.ToDense(root), LargeFactor(square, name, isInput), 1e-10, $"{name} U U^T");
            var small = isInput ? lowRank.Factors.Modules[name].OutputFactor : lowRank.Factors.Modules[name].InputFactor;
            Assert.Equal([3L, 3L], small.shape);
        }
    }

    [Fact]
    public void OneTruncationKeepsTheBestRankKEigenvalues()
    {
        // All prompts in one batch and one vector each: one SVD of the whole X^T, so U U^T is the best
        // rank-k approximation (Eckart-Young) and its eigenvalues are the square factor's leading k.
        // k = 2: the LM head's lora_B gradients span only the C - 1 = 3 zero-sum class directions.
        const int k = 2;
        var (square, lowRank, adapter) = Fit([4, 5, 3, 6], k, FisherKind.Empirical, PositionHandling.Expand, batchSize: 8);

        foreach (var (name, _, isInput) in LargeSides(adapter))
        {
            var exact = Descending(LargeFactor(square, name, isInput));
            var kept = Descending(KroneckerFactor.ToDense(isInput ? lowRank.Factors.Modules[name].InputFactor : lowRank.Factors.Modules[name].OutputFactor));
            Assert.True(exact[k].item<double>() > 1e-6 * exact[0].item<double>(), $"{name}: rank <= k, the truncation would be trivial");
            Numeric.Close(kept[..k], exact[..k], 1e-10, $"{name} leading eigenvalues");
            Assert.True(kept[k..].abs().max().item<double>() <= 1e-12 * exact[0].item<double>(), $"{name}: U U^T has more than k directions");
        }
    }

    [Fact]
    public void SeveralTruncationsStayWithinTheIncrementalBound()
    {
        // Each step discards a PSD matrix of norm lambda_{k+1}(step matrix) <= lambda_{k+1}(F), and
        // F - U U^T is their sum. So by Weyl, for i <= k:
        //   0 <= lambda_i(F) - lambda_i(U U^T) <= steps * lambda_{k+1}(F),
        // and F - U U^T is positive semi-definite. Steps: one per batch on the input side, one per
        // batch and back-propagated vector (4 classes for the exact Fisher) on the output side.
        const int k = 2, batches = 3, classes = 4;
        double roundoff = 1e-12;
        var (square, lowRank, adapter) = Fit([4, 5, 3, 6, 2, 7], k, FisherKind.Exact, PositionHandling.Expand, batchSize: 2);

        foreach (var (name, _, isInput) in LargeSides(adapter))
        {
            var f = LargeFactor(square, name, isInput);
            var approximation = KroneckerFactor.ToDense(isInput ? lowRank.Factors.Modules[name].InputFactor : lowRank.Factors.Modules[name].OutputFactor);
            var exact = Descending(f);
            var kept = Descending(approximation);
            double top = exact[0].item<double>(), next = exact[k].item<double>();
            int steps = isInput ? batches : batches * classes;
            var shortfall = exact[..k] - kept[..k];
            Assert.True(shortfall.min().item<double>() >= -roundoff * top, $"{name}: a kept eigenvalue exceeds the exact one");
            Assert.True(shortfall.max().item<double>() <= steps * next + roundoff * top,
                $"{name}: shortfall {shortfall.max().item<double>():E3} exceeds {steps} x lambda_k+1 = {steps * next:E3}");
            Assert.True(linalg.eigvalsh(f - approximation).min().item<double>() >= -roundoff * top, $"{name}: U U^T exceeds F");
        }
    }

    private (KfacFitResult Square, KfacFitResult LowRank, LoraAdapter Adapter) Fit(int[] lengths, int k, FisherKind kind, PositionHandling positions, int batchSize)
    {
        var (model, adapter, classes) = KfacFitterFisherTests.LanguageModelSetup();
        var prompts = Tiny.Prompts(model.Config.VocabSize, lengths);
        var labels = lengths.Select((_, i) => i % classes.Length).ToArray();
        var square = KfacFitter.Fit(model, adapter, prompts, labels, classes, new KfacFitOptions(kind, positions, BatchSize: batchSize), folder.File("square.safetensors"));
        var lowRank = KfacFitter.Fit(model, adapter, prompts, labels, classes, new KfacFitOptions(kind, positions, k, batchSize), folder.File("low.safetensors"));
        return (square, lowRank, adapter);
    }

    // Every LoRA matrix's large side: the input factor of lora_A, the output factor of lora_B.
    private static IEnumerable<(string Name, long Size, bool IsInput)> LargeSides(LoraAdapter adapter) =>
        adapter.Modules.SelectMany(m => new[] { (m.NameA, m.A.shape[1], true), (m.NameB, m.B.shape[0], false) });

    private static Tensor LargeFactor(KfacFitResult fit, string name, bool isInput) =>
        isInput ? fit.Factors.Modules[name].InputFactor : fit.Factors.Modules[name].OutputFactor;

    private static Tensor Descending(Tensor symmetric) => linalg.eigvalsh(symmetric).flip(0);
}
