using static TorchSharp.torch;

namespace UncertaintyService.Core.Lora;

/// <summary>
/// Keeps, for each LoRA module a forward pass goes through, its input x, the low-rank activation
/// h = A x and the up-projection u = B h. Gradients of a logit with respect to h and u, times x and h,
/// give that logit's gradient with respect to A and B without touching the frozen base's parameters.
/// </summary>
public sealed class LoraActivationRecorder
{
    private readonly List<LoraActivation> activations = [];

    public IReadOnlyList<LoraActivation> Activations => activations;

    public void Record(LoraModule module, Tensor input, Tensor lowRank, Tensor upProjection) =>
        activations.Add(new LoraActivation(module, input, lowRank, upProjection));
}

/// <summary>One module's activations in one forward pass: x (.., in), h (.., r), u (.., out).</summary>
public sealed record LoraActivation(LoraModule Module, Tensor Input, Tensor LowRank, Tensor UpProjection);
