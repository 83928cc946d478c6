using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Lora;

/// <summary>
/// Keeps, for each LoRA module a forward pass goes through, its input x, the low-rank activation
/// h = A x and the up-projection u = B h. Gradients of a logit with respect to h and u, times x and h,
/// give that logit's gradient with respect to A and B without touching the frozen base's parameters.
/// The recorder owns what it records (the forward frees each layer's temporaries as it goes), so
/// dispose it when the activations are no longer needed.
/// </summary>
public sealed class LoraActivationRecorder : IDisposable
{
    private readonly List<LoraActivation> activations = [];
    private readonly List<SavedModuleActivation> savedActivations = [];
    private readonly HashSet<Tensor> owned = new(ReferenceEqualityComparer.Instance);

    public IReadOnlyList<LoraActivation> Activations => activations;

    /// <summary>Modules the adapter saves whole (a reward model's score head): their input and output.</summary>
    public IReadOnlyList<SavedModuleActivation> SavedActivations => savedActivations;

    public void Record(LoraModule module, Tensor input, Tensor lowRank, Tensor upProjection) =>
        activations.Add(new LoraActivation(module, Own(input), Own(lowRank), Own(upProjection)));

    public void RecordSaved(LinearWeight module, Tensor input, Tensor output) =>
        savedActivations.Add(new SavedModuleActivation(module, Own(input), Own(output)));

    public void Dispose()
    {
        foreach (var tensor in owned) tensor.Dispose();
        owned.Clear();
        activations.Clear();
        savedActivations.Clear();
    }

    private Tensor Own(Tensor tensor)
    {
        if (owned.Add(tensor)) tensor.DetachFromDisposeScope();
        return tensor;
    }
}

/// <summary>
/// One saved module's activations in one forward pass: x (.., in) and y = W x + b (.., out). The
/// gradient of a logit with respect to W is sum_t (d logit / d y_t) x_t^T.
/// </summary>
public sealed record SavedModuleActivation(LinearWeight Module, Tensor Input, Tensor Output);

/// <summary>One module's activations in one forward pass: x (.., in), h (.., r), u (.., out).</summary>
public sealed record LoraActivation(LoraModule Module, Tensor Input, Tensor LowRank, Tensor UpProjection);
