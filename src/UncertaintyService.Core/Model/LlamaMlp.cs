using static TorchSharp.torch;

namespace UncertaintyService.Core.Model;

/// <summary>The SwiGLU feed-forward block: down(silu(gate(x)) * up(x)).</summary>
public sealed class LlamaMlp(LinearWeight gate, LinearWeight up, LinearWeight down)
{
    public LinearWeight Gate { get; } = gate;
    public LinearWeight Up { get; } = up;
    public LinearWeight Down { get; } = down;

    public Tensor Forward(Tensor x, ForwardContext context) =>
        context.Linear(nn.functional.silu(context.Linear(x, Gate)) * context.Linear(x, Up), Down);
}
