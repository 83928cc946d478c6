using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Laplace.Fitting;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Laplace;

/// <summary>
/// For one example with one position K-FAC is exact: N (A kron S) must equal the example's Fisher
/// block J^T H J, with J from autograd over every LoRA parameter and H written out per Fisher kind.
/// </summary>
public sealed class KfacFitterFisherTests : IDisposable
{
    private const ulong Seed = 11;
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    public static TheoryData<FisherKind, PositionHandling, bool> Cases()
    {
        var data = new TheoryData<FisherKind, PositionHandling, bool>();
        foreach (var kind in Enum.GetValues<FisherKind>())
        {
            foreach (var positions in Enum.GetValues<PositionHandling>())
            {
                data.Add(kind, positions, false);
                data.Add(kind, positions, true);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OneExampleWithOnePositionReproducesItsExactFisherBlock(FisherKind kind, PositionHandling positions, bool scoreHead)
    {
        var (model, adapter, classes) = scoreHead ? ScoreHeadSetup() : LanguageModelSetup();
        int[] prompt = [7];
        const int label = 1;

        var result = KfacFitter.Fit(model, adapter, [prompt], [label], classes, new KfacFitOptions(kind, positions, Seed: Seed), folder.File("kfac.safetensors"));

        var p = KfacSlowReference.Probabilities(model, adapter, prompt, classes);
        var probabilities = tensor(p);
        var residual = (int y) => nn.functional.one_hot(tensor(new long[] { y }), p.Length).to(ScalarType.Float64)[0] - probabilities;
        var h = kind switch
        {
            FisherKind.Exact => diag(probabilities) - probabilities.outer(probabilities),
            FisherKind.Mc => residual(McLabelSampler.Sample(p, Seed, 0)).outer(residual(McLabelSampler.Sample(p, Seed, 0))),
            _ => residual(label).outer(residual(label)),
        };
        var jacobian = DenseReference.AutogradJacobian(model, adapter, prompt, classes);
        Assert.Equal(1, result.Examples);
        Assert.Equal(2 * adapter.Modules.Count, result.Factors.Modules.Count);
        foreach (var module in adapter.Modules)
        {
            foreach (var (side, name) in new[] { (LoraSide.A, module.NameA), (LoraSide.B, module.NameB) })
            {
                var j = jacobian[(module.ModulePath, side)].flatten(1); // (C, D r), row-major vec(Theta)
                var expected = j.T.matmul(h).matmul(j);
                // One token attends only to itself, so queries and keys cannot move the logits; every other block must be live.
                bool inert = module.ModulePath.EndsWith("q_proj") || module.ModulePath.EndsWith("k_proj");
                Assert.True(inert || expected.abs().max().item<double>() > 1e-8, $"{name}: the reference block is zero, so the test would prove nothing");
                Numeric.Close(DenseReference.DenseFisher(result.Factors, name, side), expected, 1e-10, $"{kind} {positions} {name}");
            }
        }
    }

    [Fact]
    public void SampledLabelsFollowTheProbabilitiesAndRepeatForTheSameSeedAndIndex()
    {
        double[] p = [0.1, 0.6, 0.3];
        const int draws = 30000;
        var counts = new int[p.Length];
        for (int i = 0; i < draws; i++) counts[McLabelSampler.Sample(p, 5, i)]++;
        for (int c = 0; c < p.Length; c++)
        {
            // Binomial standard deviation; 5 of them leaves a false failure at odds of about 1 in 3 million.
            double sd = Math.Sqrt(draws * p[c] * (1 - p[c]));
            Assert.InRange(counts[c], draws * p[c] - 5 * sd, draws * p[c] + 5 * sd);
        }
        Assert.Equal(McLabelSampler.Sample(p, 5, 123), McLabelSampler.Sample(p, 5, 123));
        Assert.NotEqual(Enumerable.Range(0, 50).Select(i => McLabelSampler.Sample(p, 5, i)), Enumerable.Range(0, 50).Select(i => McLabelSampler.Sample(p, 6, i)));
        Assert.Equal(2, McLabelSampler.Sample([0.0, 0.0, 1.0], 9, 0));
    }

    internal static (LlamaModel, LoraAdapter, long[]) LanguageModelSetup()
    {
        var model = Tiny.Model(Tiny.Config(), seed: 201);
        return (model, Tiny.Adapter(model, Tiny.LoraConfig(rank: 3), seed: 202), [3, 10, 17, 24]);
    }

    internal static (LlamaModel, LoraAdapter, long[]) ScoreHeadSetup()
    {
        var model = Tiny.Model(Tiny.Config(numLabels: 3), seed: 211, withScoreHead: true);
        var adapter = Tiny.Adapter(model, Tiny.LoraConfig(rank: 2, targets: [.. Tiny.AllProjections, "score"], task: "SEQ_CLS"), seed: 212);
        return (model, adapter, [0, 1, 2]);
    }
}
