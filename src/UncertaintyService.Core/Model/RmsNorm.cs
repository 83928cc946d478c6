using static TorchSharp.torch;

namespace UncertaintyService.Core.Model;

/// <summary>Root-mean-square layer norm, computed in at least float32 as Hugging Face does.</summary>
public sealed class RmsNorm(Tensor weight, double eps)
{
    public Tensor Weight { get; } = weight;

    // Each temporary is as large as x in float32; its own scope frees them before the caller goes on
    // (under autograd the graph keeps what backward needs).
    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var inputType = x.dtype;
        var wide = inputType is ScalarType.Float16 or ScalarType.BFloat16 ? x.to(ScalarType.Float32) : x;
        var normalised = wide * rsqrt(wide.pow(2).mean(new long[] { -1 }, keepdim: true) + eps);
        return (Weight * normalised.to(inputType)).MoveToOuterDisposeScope();
    }
}
