using static TorchSharp.torch;

namespace UncertaintyService.Core.Model;

/// <summary>The SwiGLU feed-forward block: down(silu(gate(x)) * up(x)).</summary>
public sealed class LlamaMlp(LinearWeight gate, LinearWeight up, LinearWeight down)
{
    public LinearWeight Gate { get; } = gate;
    public LinearWeight Up { get; } = up;
    public LinearWeight Down { get; } = down;

    // The three (B, T, intermediate) tensors are the largest of a layer: each is freed as soon as the
    // next exists, and without autograd the activation and product are made in place.
    public Tensor Forward(Tensor x, ForwardContext context)
    {
        using var scope = NewDisposeScope();
        bool inPlace = !is_grad_enabled();
        var activated = nn.functional.silu(context.Linear(x, Gate), inplace: inPlace);
        scope.DisposeEverythingBut(activated);
        var up = context.Linear(x, Up);
        var product = inPlace ? activated.mul_(up) : activated * up;
        scope.DisposeEverythingBut(product);
        return context.Linear(product, Down).MoveToOuterDisposeScope();
    }
}
