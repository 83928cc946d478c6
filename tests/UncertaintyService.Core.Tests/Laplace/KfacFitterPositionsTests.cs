using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Tests.Support;

namespace UncertaintyService.Core.Tests.Laplace;

/// <summary>
/// Several prompts of different lengths: the fitted factors must equal the sums that define them
/// (KfacSlowReference, one prompt and one position at a time), and padding must contribute nothing.
/// </summary>
public sealed class KfacFitterPositionsTests : IDisposable
{
    private static readonly int[] Lengths = [3, 1, 5, 2, 4];
    private static readonly int[] Labels = [0, 3, 1, 2, 1];
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    public static TheoryData<FisherKind, PositionHandling, bool> Cases => new()
    {
        { FisherKind.Exact, PositionHandling.Expand, false },
        { FisherKind.Exact, PositionHandling.Reduce, false },
        { FisherKind.Exact, PositionHandling.Last, false },
        { FisherKind.Mc, PositionHandling.Expand, false },
        { FisherKind.Empirical, PositionHandling.Reduce, false },
        { FisherKind.Exact, PositionHandling.Expand, true },
        { FisherKind.Mc, PositionHandling.Reduce, true },
        { FisherKind.Empirical, PositionHandling.Last, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FactorsEqualTheirDefiningSumsOverPromptsAndPositions(FisherKind kind, PositionHandling positions, bool scoreHead)
    {
        var (model, adapter, classes) = scoreHead ? KfacFitterFisherTests.ScoreHeadSetup() : KfacFitterFisherTests.LanguageModelSetup();
        var prompts = Tiny.Prompts(model.Config.VocabSize, Lengths);
        var labels = Labels.Select(l => l % classes.Length).ToArray();

        // Batches of two: every batch but the last pads at least one prompt.
        var fitted = KfacFitter.Fit(model, adapter, prompts, labels, classes, new KfacFitOptions(kind, positions, BatchSize: 2, Seed: 17),
            folder.File("kfac.safetensors"));
        var expected = KfacSlowReference.Factors(model, adapter, prompts, labels, classes, kind, positions, seed: 17);

        Assert.Equal(prompts.Length, fitted.Examples);
        Assert.Equal(expected.Keys.Order(), fitted.Factors.Modules.Keys.Order());
        foreach (var (name, (input, output)) in expected)
        {
            Numeric.Close(fitted.Factors.Modules[name].InputFactor, input, 1e-10, $"{positions} {name} input");
            Numeric.Close(fitted.Factors.Modules[name].OutputFactor, output, 1e-10, $"{positions} {name} output");
        }
    }

    [Theory]
    [InlineData(PositionHandling.Expand)]
    [InlineData(PositionHandling.Reduce)]
    [InlineData(PositionHandling.Last)]
    public void PaddingDoesNotLeak(PositionHandling positions)
    {
        // Batch size 1 pads nothing; larger batches pad the shorter prompts to different lengths.
        // The Monte Carlo Fisher also pins that an example's sampled label ignores its batch.
        var (model, adapter, classes) = KfacFitterFisherTests.LanguageModelSetup();
        var prompts = Tiny.Prompts(model.Config.VocabSize, [.. Lengths, 9]);
        int[] labels = [0, 3, 1, 2, 1, 0];
        var fits = new[] { 1, 2, 4, prompts.Length }
            .Select(size => KfacFitter.Fit(model, adapter, prompts, labels, classes, new KfacFitOptions(FisherKind.Mc, positions, BatchSize: size, Seed: 3),
                folder.File($"kfac-{size}.safetensors")))
            .ToList();

        foreach (var fit in fits.Skip(1))
        {
            Assert.Equal(fits[0].LogLikelihood, fit.LogLikelihood, 1e-12);
            foreach (var (name, factors) in fits[0].Factors.Modules)
            {
                Numeric.Close(fit.Factors.Modules[name].InputFactor, factors.InputFactor, 1e-12, $"{name} input");
                Numeric.Close(fit.Factors.Modules[name].OutputFactor, factors.OutputFactor, 1e-12, $"{name} output");
            }
        }
    }
}
