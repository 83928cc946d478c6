using TorchSharp;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Model;

/// <summary>
/// The weight (out x in) and optional bias of one linear module, with its Hugging Face module path
/// (<c>model.layers.0.self_attn.q_proj</c>), the name a LoRA adapter refers to it by.
/// </summary>
public sealed class LinearWeight(string modulePath, Tensor weight, Tensor? bias = null)
{
    public string ModulePath { get; } = modulePath;
    public Tensor Weight { get; } = weight;
    public Tensor? Bias { get; } = bias;
    public long InFeatures => Weight.shape[1];
    public long OutFeatures => Weight.shape[0];

    public Tensor Forward(Tensor x) => nn.functional.linear(x, Weight, Bias);
}
