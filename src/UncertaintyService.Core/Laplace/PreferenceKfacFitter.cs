using UncertaintyService.Core.Laplace.Fitting;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Laplace;

/// <summary>
/// K-FAC factors of a reward model under the Bradley-Terry likelihood (the CLI's <c>fit-kfac-reward</c>):
/// pair n is one example, whose label "chosen preferred" is Bernoulli with p = sigmoid(d), d = r_chosen -
/// r_rejected. The Fisher of that Bernoulli in d is p (1 - p), so the pair's Fisher is
/// p (1 - p) grad d grad d^T; the fitter back-propagates v d with v = sqrt(p (1 - p)) (exact), y - p for
/// y drawn from Bernoulli(p) (mc), or 1 - p (empirical: the observed label is always "chosen").
/// </summary>
/// <remarks>
/// grad d is a difference of the two responses' gradients, and how that difference enters the factors
/// depends on where a module sits:
/// <list type="bullet">
/// <item>Head modules (the saved <c>score</c> weight, or LoRA on it) are read once per response, at its
/// last real token, and are linear in what they see, so the output gradients of the two responses are
/// exact negatives and the pair's gradient is exactly g (x_c - x_r)^T. Such a module adds one row per
/// pair: input x_c - x_r, output gradient (g_c - g_r) / 2 (= g_c). For one pair its block is the pair's
/// exact Fisher block.</item>
/// <item>Decoder modules see every position of both responses. Their rows (by the positions mode,
/// separately for each response) are pooled as K-FAC-expand pools positions: the input factor averages
/// over the rows of both responses, the output factor sums both responses' gradient outer products and
/// divides by the number of pairs. Cross terms between the chosen and the rejected response are dropped,
/// as expand drops cross terms between positions.</item>
/// </list>
/// </remarks>
public static class PreferenceKfacFitter
{
    /// <summary>
    /// Fits the factors of every LoRA matrix and saved weight over the pairs (chosen[i], rejected[i]),
    /// writes them to <paramref name="outputPath"/> (kfac-v1, n_examples = number of pairs) and returns
    /// them with the summed log-likelihood sum_n log sigmoid(r_c - r_r).
    /// </summary>
    public static KfacFitResult Fit(LlamaModel model, LoraAdapter adapter, IReadOnlyList<int[]> chosen, IReadOnlyList<int[]> rejected,
        KfacFitOptions options, string outputPath, IProgress<int>? progress = null)
    {
        if (adapter.Head != ModelHead.Score)
            throw new ArgumentException($"Adapter '{adapter.Id}' reads the LM head; a reward model is a SEQ_CLS adapter.", nameof(adapter));
        if (chosen.Count == 0 || chosen.Count != rejected.Count)
            throw new ArgumentException($"Need as many rejected as chosen responses, at least one (got {chosen.Count} and {rejected.Count}).");
        if (options.BatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "The batch size must be positive.");
        using var scope = NewDisposeScope();
        var accumulators = new Dictionary<string, KfacModuleAccumulator>();
        foreach (var m in adapter.Modules)
        {
            accumulators[m.NameA] = KfacFitter.CreateA(m, options, model.Device);
            accumulators[m.NameB] = KfacFitter.CreateB(m, options, model.Device);
        }
        foreach (var s in adapter.SavedModules)
        {
            string name = KfacFactorFile.SavedModuleName(s.ModulePath);
            accumulators[name] = new KfacModuleAccumulator(name, options.Positions,
                FactorSum.Create(s.InFeatures, options.LowRank, model.Device), FactorSum.Create(s.OutFeatures, options.LowRank, model.Device));
        }

        double logLikelihood = 0;
        for (int start = 0; start < chosen.Count; start += options.BatchSize)
        {
            int count = Math.Min(options.BatchSize, chosen.Count - start);
            logLikelihood += AccumulateBatch(model, adapter, chosen.Skip(start).Take(count).ToList(), rejected.Skip(start).Take(count).ToList(),
                start, options, accumulators);
            progress?.Report(start + count);
        }

        var modules = new Dictionary<string, KfacModuleFactors>();
        foreach (var (name, accumulator) in accumulators)
        {
            var factors = accumulator.Finish(chosen.Count);
            factors.InputFactor.MoveToOuterDisposeScope();
            factors.OutputFactor.MoveToOuterDisposeScope();
            modules[name] = factors;
        }
        var file = new KfacFactorFile(outputPath, new KfacMetadata(chosen.Count, options.Fisher, options.Positions), modules);
        file.Save();
        return new KfacFitResult(file, logLikelihood, chosen.Count);
    }

    /// <summary>
    /// The weights v per pair whose v d is back-propagated: (B) float64, from p = sigmoid(d). Draws for
    /// mc depend only on the seed and the pair's index, as for classification.
    /// </summary>
    internal static Tensor FisherWeights(FisherKind kind, Tensor p, ulong seed, long firstPair) => kind switch
    {
        FisherKind.Exact => (p * (1 - p)).sqrt(),
        FisherKind.Empirical => 1 - p,
        FisherKind.Mc => tensor(p.cpu().data<double>().ToArray()
            .Select((pb, b) => (McLabelSampler.Uniform(seed, firstPair + b) < pb ? 1.0 : 0.0) - pb).ToArray(), device: p.device),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    // One place where a factor pair is fed: its input (x, or h for lora_B) and the tensor whose gradient is
    // its output gradient (h for lora_A, u for lora_B, y for a saved weight).
    private sealed record Site(string Name, Tensor Input, Tensor Output);

    private static List<Site> Sites(LoraActivationRecorder recorder) =>
    [
        .. recorder.Activations.SelectMany(a => new[] { new Site(a.Module.NameA, a.Input, a.LowRank), new Site(a.Module.NameB, a.LowRank, a.UpProjection) }),
        .. recorder.SavedActivations.Select(s => new Site(KfacFactorFile.SavedModuleName(s.Module.ModulePath), s.Input, s.Output)),
    ];

    private static double AccumulateBatch(LlamaModel model, LoraAdapter adapter, List<int[]> chosen, List<int[]> rejected, long firstPair,
        KfacFitOptions options, Dictionary<string, KfacModuleAccumulator> accumulators)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var batches = new[] { TokenBatch.Create(chosen, model.Device), TokenBatch.Create(rejected, model.Device) };
        var recorders = new[] { new LoraActivationRecorder(), new LoraActivationRecorder() };
        using var chosenRecorder = recorders[0];
        using var rejectedRecorder = recorders[1];
        var rewards = batches.Select((batch, i) =>
            model.Forward(batch, ModelHead.Score, new ForwardContext { Adapter = adapter, Recorder = recorders[i] }).select(1, 0)).ToArray();
        var difference = rewards[0] - rewards[1];
        var d = difference.detach().to(ScalarType.Float64);
        double logLikelihood = nn.functional.logsigmoid(d).sum().item<double>();
        var weights = FisherWeights(options.Fisher, d.sigmoid(), options.Seed, firstPair).to(difference.dtype);

        var chosenSites = Sites(recorders[0]);
        var rejectedSites = Sites(recorders[1]);
        if (!chosenSites.Select(s => s.Name).SequenceEqual(rejectedSites.Select(s => s.Name)))
            throw new InvalidOperationException("The chosen and rejected forward passes went through different modules.");
        var duplicate = chosenSites.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new NotSupportedException($"'{duplicate.Key}' ran twice in one forward; its factors would need the uses summed.");
        if (chosenSites.Count == 0) return logLikelihood;

        // Prompts do not interact, so the gradient of the batch sum gives each pair its own gradient.
        var gradients = autograd.grad([(weights * difference).sum()], [.. chosenSites.Select(s => s.Output), .. rejectedSites.Select(s => s.Output)],
            allow_unused: true);
        using var noGrad = no_grad();
        var decoderPositions = batches.Select(b => BatchPositions.For(b, b.InputIds.shape[1])).ToArray();
        var headPositions = BatchPositions.For(batches[0], 1);
        for (int i = 0; i < chosenSites.Count; i++)
        {
            var (c, r) = (chosenSites[i], rejectedSites[i]);
            var accumulator = accumulators[c.Name];
            var gc = GradientOrZero(gradients[i], c.Output, batches[0]);
            var gr = GradientOrZero(gradients[chosenSites.Count + i], r.Output, batches[1]);
            if (c.Input.dim() == 2)
            {
                // A head module: (B, d), one position per response; its pair gradient is exactly g (x_c - x_r)^T.
                accumulator.AddInputs((c.Input - r.Input).detach().unsqueeze(1), headPositions);
                accumulator.AddOutputGradients((gc - gr) / 2, headPositions);
            }
            else
            {
                accumulator.AddInputs(AsPositions(c.Input, batches[0]), decoderPositions[0]);
                accumulator.AddInputs(AsPositions(r.Input, batches[1]), decoderPositions[1]);
                accumulator.AddOutputGradients(gc, decoderPositions[0]);
                accumulator.AddOutputGradients(gr, decoderPositions[1]);
            }
        }
        return logLikelihood;
    }

    private static Tensor AsPositions(Tensor t, TokenBatch batch) => t.detach().reshape(batch.Size, -1, t.shape[^1]);

    private static Tensor GradientOrZero(Tensor? gradient, Tensor like, TokenBatch batch) =>
        gradient is null || gradient.IsInvalid ? zeros_like(AsPositions(like, batch)) : AsPositions(gradient, batch);
}
