using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Sampling;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Model;

/// <summary>
/// What one forward pass applies on top of the shared base weights: the adapter (if any) and a
/// recorder of the LoRA activations for the Jacobian.
/// </summary>
public sealed class ForwardContext
{
    public static readonly ForwardContext Base = new();

    public LoraAdapter? Adapter { get; init; }

    public LoraActivationRecorder? Recorder { get; init; }

    /// <summary>Per-row LoRA weights by module path, replacing the adapter's A and B (weight samples, ensemble members).</summary>
    public IReadOnlyDictionary<string, RowLoraWeights>? RowWeights { get; init; }

    /// <summary>Dropout on every LoRA module's input (MC dropout); the base path sees the input unchanged.</summary>
    public LoraInputDropout? Dropout { get; init; }

    /// <summary>y = W x + b + (alpha / r) B (A x), with the adapter's replacement weights where it saves modules.</summary>
    public Tensor Linear(Tensor x, LinearWeight linear)
    {
        if (Adapter is null)
            return linear.Forward(x);

        var replacement = Adapter.ReplacementFor(linear.ModulePath);
        var y = (replacement ?? linear).Forward(x);
        if (replacement is not null) Recorder?.RecordSaved(replacement, x, y);
        if (Adapter.Module(linear.ModulePath) is not { } lora)
            return y;

        var input = Dropout?.Apply(x) ?? x;
        Tensor h, u;
        if (RowWeights is not null && RowWeights.TryGetValue(lora.ModulePath, out var rows))
            (h, u) = rows.Apply(input);
        else
        {
            h = nn.functional.linear(input, lora.A);
            u = nn.functional.linear(h, lora.B);
        }
        Recorder?.Record(lora, input, h, u);
        return y.add(u, alpha: lora.Scale);
    }
}
