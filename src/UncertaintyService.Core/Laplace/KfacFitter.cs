using UncertaintyService.Core.Laplace.Fitting;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Laplace;

/// <summary>
/// Fits the K-FAC factors of an adapter's LoRA matrices (the CLI's <c>fit-kfac</c>). For LoRA matrix
/// m the Fisher block is F_m = N (A_m kron S_m) in the column-major vectorisation of the weight, with A
/// the input-activation factor and S the output-gradient factor, both expectations per example.
/// </summary>
/// <remarks>
/// Per example n with real positions t = 1..T_n, activations a_t and, for each back-propagated
/// vector v, output gradients g_vt (Eschenhagen et al. 2023, "Kronecker-factored approximate curvature
/// for modern neural network architectures"):
/// <list type="bullet">
/// <item><c>expand</c>: A = sum_n sum_t a a^T / sum_n T_n and S = (1/N) sum_n sum_v sum_t g g^T. The
/// paper's 1/(NR) divides by the number of terms, every real position of every prompt; with equal
/// lengths that is (1/N) sum_n (1/T_n) sum_t, and with unequal lengths it keeps every position of
/// equal weight in A, as it is in S. Head modules see one position per prompt.</item>
/// <item><c>reduce</c>: a_n = (1/T_n) sum_t a_t, g_vn = sum_t g_vt; A = (1/N) sum_n a_n a_n^T,
/// S = (1/N) sum_n sum_v g_vn g_vn^T (the paper's 1/(N R^2) on the activations).</item>
/// <item><c>last</c>: only the last real position, A = (1/N) sum_n a a^T, S = (1/N) sum_n sum_v g g^T.</item>
/// </list>
/// In every mode N (A kron S) approximates the summed GGN, and for one example with one position it is
/// that example's exact Fisher block.
/// </remarks>
public static class KfacFitter
{
    /// <summary>
    /// Forwards <paramref name="prompts"/> in batches (right-padded, pad positions masked out), back-
    /// propagates the Fisher vectors of <paramref name="options"/>, accumulates the factors in float64,
    /// writes them to <paramref name="outputPath"/> (kfac-v1, n_examples = N = prompts.Count) and
    /// returns them with the summed log-likelihood of the true labels.
    /// </summary>
    /// <param name="labels">The true class of each prompt, an index into <paramref name="classIndices"/>.</param>
    /// <param name="classIndices">The head outputs that are the classes: LM-head token ids, or score-head outputs.</param>
    /// <param name="progress">Told the number of examples done after each batch.</param>
    public static KfacFitResult Fit(LlamaModel model, LoraAdapter adapter, IReadOnlyList<int[]> prompts, IReadOnlyList<int> labels,
        long[] classIndices, KfacFitOptions options, string outputPath, IProgress<int>? progress = null)
    {
        Validate(prompts, labels, classIndices, options, outputPath);
        if (adapter.SavedModules.Count > 0)
            throw new NotSupportedException($"Adapter '{adapter.Id}' saves whole modules ({string.Join(", ", adapter.SavedModules.Select(m => m.ModulePath))}); "
                + "factors for them are fitted by PreferenceKfacFitter (reward models), not by the classification fitter.");
        using var scope = NewDisposeScope();
        var classes = tensor(classIndices, device: model.Device);
        var accumulators = adapter.Modules.ToDictionary(m => m.ModulePath, m => (A: CreateA(m, options, model.Device), B: CreateB(m, options, model.Device)));

        double logLikelihood = 0;
        for (int start = 0; start < prompts.Count; start += options.BatchSize)
        {
            int count = Math.Min(options.BatchSize, prompts.Count - start);
            logLikelihood += AccumulateBatch(model, adapter, prompts.Skip(start).Take(count).ToList(), labels.Skip(start).Take(count).ToList(),
                classes, start, options, accumulators);
            progress?.Report(start + count);
        }

        var modules = new Dictionary<string, KfacModuleFactors>();
        foreach (var (a, b) in accumulators.Values)
        {
            foreach (var accumulator in new[] { a, b })
            {
                var factors = accumulator.Finish(prompts.Count);
                factors.InputFactor.MoveToOuterDisposeScope();
                factors.OutputFactor.MoveToOuterDisposeScope();
                modules[accumulator.Name] = factors;
            }
        }
        var file = new KfacFactorFile(outputPath, new KfacMetadata(prompts.Count, options.Fisher, options.Positions), modules);
        file.Save();
        return new KfacFitResult(file, logLikelihood, prompts.Count);
    }

    // lora_A: input x (in), output gradient d/dh (r); the large side is the input.
    internal static KfacModuleAccumulator CreateA(LoraModule m, KfacFitOptions options, Device device) =>
        new(m.NameA, options.Positions, FactorSum.Create(m.A.shape[1], options.LowRank, device), FactorSum.Create(m.Rank, null, device));

    // lora_B: input h (r), output gradient d/du (out); the large side is the output.
    internal static KfacModuleAccumulator CreateB(LoraModule m, KfacFitOptions options, Device device) =>
        new(m.NameB, options.Positions, FactorSum.Create(m.Rank, null, device), FactorSum.Create(m.B.shape[0], options.LowRank, device));

    /// <summary>One forward, one backward per Fisher vector; returns the batch's summed log-likelihood.</summary>
    private static double AccumulateBatch(LlamaModel model, LoraAdapter adapter, List<int[]> prompts, List<int> labels, Tensor classes,
        long firstExample, KfacFitOptions options, Dictionary<string, (KfacModuleAccumulator A, KfacModuleAccumulator B)> accumulators)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var batch = TokenBatch.Create(prompts, model.Device);
        using var recorder = new LoraActivationRecorder();
        var logits = model.Forward(batch, adapter.Head, new ForwardContext { Adapter = adapter, Recorder = recorder }).index_select(1, classes);

        var logProbabilities = nn.functional.log_softmax(logits.detach().to(ScalarType.Float64), 1);
        var trueLabels = tensor(labels.Select(l => (long)l).ToArray(), device: model.Device).unsqueeze(1);
        double logLikelihood = logProbabilities.gather(1, trueLabels).sum().item<double>();
        var vectors = FisherVectors.Create(options.Fisher, logProbabilities.exp(), labels, options.Seed, firstExample).to(logits.dtype);

        var activations = recorder.Activations;
        var duplicate = activations.GroupBy(a => a.Module.ModulePath).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new NotSupportedException($"LoRA module '{duplicate.Key}' ran twice in one forward; its factors would need the uses summed.");
        // Built here, in the batch's scope, because the per-vector scopes below must not own them.
        var byCount = new Dictionary<long, BatchPositions>();
        var positions = activations.Select(a => PositionCount(a.Input, batch))
            .Select(count => byCount.TryGetValue(count, out var p) ? p : byCount[count] = BatchPositions.For(batch, count))
            .ToList();

        using (no_grad())
        {
            for (int i = 0; i < activations.Count; i++)
            {
                var (a, b) = accumulators[activations[i].Module.ModulePath];
                a.AddInputs(AsPositions(activations[i].Input, batch), positions[i]);
                b.AddInputs(AsPositions(activations[i].LowRank, batch), positions[i]);
            }
        }

        var differentiated = activations.SelectMany(a => new[] { a.LowRank, a.UpProjection }).ToList();
        if (differentiated.Count == 0) return logLikelihood; // no LoRA module on this forward's path
        long count = vectors.shape[0];
        for (long v = 0; v < count; v++)
        {
            using var vectorScope = NewDisposeScope();
            // Prompts do not interact, so the gradient of the batch sum gives each prompt its own gradient.
            var gradients = autograd.grad([(logits * vectors[v]).sum()], differentiated, retain_graph: v < count - 1, allow_unused: true);
            using var noGrad = no_grad();
            for (int i = 0; i < activations.Count; i++)
            {
                var (a, b) = accumulators[activations[i].Module.ModulePath];
                a.AddOutputGradients(GradientOrZero(gradients[2 * i], activations[i].LowRank, batch), positions[i]);
                b.AddOutputGradients(GradientOrZero(gradients[2 * i + 1], activations[i].UpProjection, batch), positions[i]);
            }
        }
        return logLikelihood;
    }

    // Activations are (B, T, d) inside the decoder and (B, d) at the head; both become (B, P, d).
    private static Tensor AsPositions(Tensor t, TokenBatch batch) => t.detach().reshape(batch.Size, -1, t.shape[^1]);

    private static long PositionCount(Tensor t, TokenBatch batch) => t.numel() / (batch.Size * t.shape[^1]);

    private static Tensor GradientOrZero(Tensor? gradient, Tensor like, TokenBatch batch) =>
        gradient is null || gradient.IsInvalid ? zeros_like(AsPositions(like, batch)) : AsPositions(gradient, batch);

    private static void Validate(IReadOnlyList<int[]> prompts, IReadOnlyList<int> labels, long[] classIndices, KfacFitOptions options, string outputPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        if (prompts.Count == 0)
            throw new ArgumentException("Fitting needs at least one prompt.", nameof(prompts));
        if (labels.Count != prompts.Count)
            throw new ArgumentException($"{labels.Count} labels for {prompts.Count} prompts: every prompt needs one.", nameof(labels));
        // With one class the softmax is constant: the Fisher is zero and the factors would say nothing.
        if (classIndices.Length < 2)
            throw new ArgumentException("At least two classes are needed: a softmax over one class has no curvature.", nameof(classIndices));
        int bad = Enumerable.Range(0, labels.Count).FirstOrDefault(i => labels[i] < 0 || labels[i] >= classIndices.Length, -1);
        if (bad >= 0)
            throw new ArgumentOutOfRangeException(nameof(labels), labels[bad], $"Label of prompt {bad} is not a class index in [0, {classIndices.Length}).");
        if (options.BatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "The batch size must be at least 1.");
        if (options.LowRank is < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.LowRank, "The low rank k must be at least 1 (or null for square factors).");
    }
}
