using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Laplace.Fitting;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Tests.Support;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Reward;

/// <summary>
/// K-FAC under the Bradley-Terry likelihood. The head's block for one pair must be that pair's exact
/// Fisher block v^2 grad d grad d^T; the decoder blocks must equal the pooled sums that define them,
/// computed one pair and one response at a time without padding.
/// </summary>
public sealed class PreferenceKfacFitterTests : IDisposable
{
    private const ulong Seed = 17;
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData(FisherKind.Exact)]
    [InlineData(FisherKind.Mc)]
    [InlineData(FisherKind.Empirical)]
    public void OnePairGivesTheHeadItsExactFisherBlock(FisherKind kind)
    {
        var (model, adapter) = TinyReward.Create(seed: 401);
        int[] chosen = [3, 9, 4], rejected = [5, 2];
        var result = PreferenceKfacFitter.Fit(model, adapter, [chosen], [rejected], new KfacFitOptions(kind, PositionHandling.Expand, Seed: Seed),
            folder.File("kfac.safetensors"));

        var gc = TinyReward.Gradient(model, adapter, chosen);
        var gr = TinyReward.Gradient(model, adapter, rejected);
        double d = Reward(model, adapter, chosen) - Reward(model, adapter, rejected);
        double p = 1 / (1 + Math.Exp(-d));
        double v = Weight(kind, p, 0);
        const string head = "base_model.model.score";
        var gd = gc[head] - gr[head];
        Numeric.Close(TinyReward.DenseFisher(result.Factors, adapter, head), v * v * gd.outer(gd), 1e-10, $"{kind} head block");
        Assert.Equal(Math.Log(p), result.LogLikelihood, 12);
        Assert.Equal(2 * adapter.Modules.Count + 1, result.Factors.Modules.Count);
    }

    [Theory]
    [InlineData(PositionHandling.Expand, FisherKind.Exact)]
    [InlineData(PositionHandling.Last, FisherKind.Mc)]
    [InlineData(PositionHandling.Reduce, FisherKind.Empirical)]
    public void DecoderFactorsAreThePooledSumsOverBothResponses(PositionHandling positions, FisherKind kind)
    {
        var (model, adapter) = TinyReward.Create(seed: 411, targets: ["q_proj", "v_proj", "down_proj"]);
        var chosen = Tiny.Prompts(40, 3, 5, 2, 4);
        var rejected = Tiny.Prompts(40, 6, 1, 3, 2);
        var result = PreferenceKfacFitter.Fit(model, adapter, chosen, rejected, new KfacFitOptions(kind, positions, BatchSize: 3, Seed: Seed),
            folder.File("kfac.safetensors"));

        var expected = SlowDecoderFactors(model, adapter, chosen, rejected, kind, positions);
        foreach (var (name, (input, output)) in expected)
        {
            Numeric.Close(result.Factors.Modules[name].InputFactor, input, 1e-10, $"{name} input");
            Numeric.Close(result.Factors.Modules[name].OutputFactor, output, 1e-10, $"{name} output");
        }
    }

    private static double Reward(LlamaModel model, LoraAdapter adapter, int[] text)
    {
        using var noGrad = no_grad();
        return model.Forward(TokenBatch.Create([text], CPU), ModelHead.Score, new ForwardContext { Adapter = adapter })[0, 0].item<double>();
    }

    private static double Weight(FisherKind kind, double p, long pair) => kind switch
    {
        FisherKind.Exact => Math.Sqrt(p * (1 - p)),
        FisherKind.Empirical => 1 - p,
        _ => (McLabelSampler.Uniform(Seed, pair) < p ? 1 : 0) - p,
    };

    // One pair at a time, each response alone: rows per response by the positions mode, pooled.
    private static Dictionary<string, (Tensor Input, Tensor Output)> SlowDecoderFactors(LlamaModel model, LoraAdapter adapter,
        int[][] chosen, int[][] rejected, FisherKind kind, PositionHandling positions)
    {
        var inputs = new Dictionary<string, Tensor>();
        var outputs = new Dictionary<string, Tensor>();
        var terms = new Dictionary<string, long>();
        void Add(Dictionary<string, Tensor> sums, string name, Tensor rows, bool mean)
        {
            var selected = positions switch
            {
                PositionHandling.Expand => rows,
                PositionHandling.Reduce => (mean ? rows.sum(0L) / rows.shape[0] : rows.sum(0L)).unsqueeze(0),
                _ => rows[-1].unsqueeze(0),
            };
            var term = selected.T.matmul(selected);
            sums[name] = sums.TryGetValue(name, out var s) ? s + term : term;
            if (mean) terms[name] = terms.GetValueOrDefault(name) + selected.shape[0];
        }
        for (int n = 0; n < chosen.Length; n++)
        {
            using var grad = enable_grad();
            var recorders = new[] { new LoraActivationRecorder(), new LoraActivationRecorder() };
            using var chosenRecorder = recorders[0];
            using var rejectedRecorder = recorders[1];
            var rewards = new[] { chosen[n], rejected[n] }.Select((text, i) =>
                model.Forward(TokenBatch.Create([text], CPU), ModelHead.Score, new ForwardContext { Adapter = adapter, Recorder = recorders[i] })[0, 0]).ToArray();
            var d = rewards[0] - rewards[1];
            double p = 1 / (1 + Math.Exp(-d.item<double>()));
            var objective = Weight(kind, p, n) * d;
            foreach (var recorder in recorders)
            {
                var activations = recorder.Activations.Where(a => a.Input.dim() == 3).ToList();
                var gradients = autograd.grad([objective], activations.SelectMany(a => new[] { a.LowRank, a.UpProjection }).ToList(), retain_graph: true);
                for (int i = 0; i < activations.Count; i++)
                {
                    var a = activations[i];
                    Add(inputs, a.Module.NameA, a.Input.detach()[0], mean: true);
                    Add(inputs, a.Module.NameB, a.LowRank.detach()[0], mean: true);
                    Add(outputs, a.Module.NameA, gradients[2 * i][0], mean: false);
                    Add(outputs, a.Module.NameB, gradients[2 * i + 1][0], mean: false);
                }
            }
        }
        return inputs.Keys.ToDictionary(name => name, name => (inputs[name] / terms[name], outputs[name] / chosen.Length));
    }
}
