using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Laplace;

/// <summary>Which matrix of a LoRA module a parameter block is.</summary>
public enum LoraSide
{
    /// <summary>A (r x in); its block is viewed as Theta = A^T (in x r).</summary>
    A,

    /// <summary>B (out x r); its block is Theta = B.</summary>
    B,

    /// <summary>
    /// The full weight W (out x in) of a module the adapter saves whole (a reward model's score head);
    /// its block is Theta = W^T (in x out), oriented like lora_A: input factor on the rows.
    /// </summary>
    Weight,
}

/// <summary>
/// The class logits at the last real token and their gradients with respect to every LoRA matrix, per
/// prompt and class: for each module side, G of shape (B, C, D, r) in float64, oriented as Theta (the
/// large side first).
/// </summary>
public sealed class LoraJacobian
{
    private LoraJacobian(Tensor logits, IReadOnlyDictionary<(string Module, LoraSide Side), Tensor> gradients, TimeSpan forward, TimeSpan backward)
    {
        Logits = logits;
        Gradients = gradients;
        ForwardTime = forward;
        BackwardTime = backward;
    }

    /// <summary>Wall time of the forward pass that recorded the activations.</summary>
    public TimeSpan ForwardTime { get; }

    /// <summary>Wall time of the per-class backward passes and the gradient products.</summary>
    public TimeSpan BackwardTime { get; }

    /// <summary>f(theta_MAP): (B, C) in the model's dtype.</summary>
    public Tensor Logits { get; }

    /// <summary>Keyed by module path and side.</summary>
    public IReadOnlyDictionary<(string Module, LoraSide Side), Tensor> Gradients { get; }

    /// <summary>
    /// One forward pass, then one backward pass per class from the same graph. Backward passes ask only
    /// for the gradients with respect to the LoRA activations h and u; the parameter gradients follow
    /// as sums over positions of outer products (G_A^T = sum_t x_t gh_t^T, G_B = sum_t gu_t h_t^T).
    /// Prompts of a batch do not interact, so the gradient of the batch sum of logit c gives every
    /// prompt's own gradient.
    /// </summary>
    public static LoraJacobian Compute(LlamaModel model, LoraAdapter adapter, TokenBatch batch, Tensor classIndices)
    {
        // The forward's activations and graph die here; only the logits and the gradients leave.
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var recorder = new LoraActivationRecorder();
        var context = new ForwardContext { Adapter = adapter, Recorder = recorder };
        var head = model.Forward(batch, adapter.Head, context);
        // The same outputs for every row (C), or each row its own (B, C).
        var logits = classIndices.dim() == 2 ? head.gather(1, classIndices) : head.index_select(1, classIndices);

        var forward = clock.Elapsed;
        var activations = recorder.Activations;
        var saved = recorder.SavedActivations;
        var inputs = activations.SelectMany(a => new[] { a.LowRank, a.UpProjection }).Concat(saved.Select(s => s.Output)).ToList();
        int savedOffset = 2 * activations.Count;
        long prompts = batch.Size, classes = classIndices.shape[^1];
        // Per class one backward pass, reduced at once to the (B, D, r) parameter gradients: the
        // per-position gradients of h and u (as wide as the activations) never outlive their class.
        var perClass = new Dictionary<(string, LoraSide), List<Tensor>>();
        for (long c = 0; c < classes; c++)
        {
            using var classScope = NewDisposeScope();
            var gradients = autograd.grad(new[] { logits.select(1, c).sum() }, inputs, retain_graph: c < classes - 1, allow_unused: true);
            var products = new Dictionary<(string, LoraSide), Tensor>();
            for (int i = 0; i < activations.Count; i++)
            {
                var path = activations[i].Module.ModulePath;
                var x = Positions(activations[i].Input, prompts);                                   // (B, T, in)
                var h = Positions(activations[i].LowRank, prompts);                                 // (B, T, r)
                var gh = GradientOrZero(gradients[2 * i], activations[i].LowRank, prompts);         // (B, T, r)
                var gu = GradientOrZero(gradients[2 * i + 1], activations[i].UpProjection, prompts); // (B, T, out)
                Accumulate(products, (path, LoraSide.A), x.transpose(1, 2).matmul(gh).to(ScalarType.Float64));  // G_A^T: (B, in, r)
                Accumulate(products, (path, LoraSide.B), gu.transpose(1, 2).matmul(h).to(ScalarType.Float64));  // G_B: (B, out, r)
            }
            for (int i = 0; i < saved.Count; i++)
            {
                var x = Positions(saved[i].Input, prompts);                                         // (B, T, in)
                var gy = GradientOrZero(gradients[savedOffset + i], saved[i].Output, prompts);      // (B, T, out)
                Accumulate(products, (saved[i].Module.ModulePath, LoraSide.Weight), x.transpose(1, 2).matmul(gy).to(ScalarType.Float64)); // G_W^T: (B, in, out)
            }
            foreach (var (key, product) in products)
            {
                if (!perClass.TryGetValue(key, out var list)) perClass[key] = list = [];
                list.Add(product.MoveToOuterDisposeScope());
            }
        }
        var result = perClass.ToDictionary(p => p.Key, p => stack(p.Value, dim: 1)); // (B, C, D, r)
        foreach (var gradient in result.Values) gradient.MoveToOuterDisposeScope();
        return new LoraJacobian(logits.detach().MoveToOuterDisposeScope(), result, forward, clock.Elapsed - forward);
    }

    // Activations are (B, T, d) inside the decoder and (B, d) at the head; treat both as (B, T, d).
    private static Tensor Positions(Tensor t, long prompts) => t.detach().reshape(prompts, -1, t.shape[^1]);

    private static Tensor GradientOrZero(Tensor? gradient, Tensor like, long prompts) =>
        gradient is null || gradient.IsInvalid ? zeros_like(like) : gradient.reshape(prompts, -1, like.shape[^1]);

    // A module that a forward passes through twice contributes the sum of both gradients.
    private static void Accumulate(Dictionary<(string, LoraSide), Tensor> result, (string, LoraSide) key, Tensor gradient) =>
        result[key] = result.TryGetValue(key, out var existing) ? existing + gradient : gradient;
}
