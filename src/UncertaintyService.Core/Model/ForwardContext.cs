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

    /// <summary>
    /// y = W x + b + (alpha / r) B (A x), with the adapter's replacement weights where it saves modules
    /// and the per-row weights (each row's alpha / r when they carry their own) where given.
    /// </summary>
    public Tensor Linear(Tensor x, LinearWeight linear)
    {
        var replacement = Adapter?.ReplacementFor(linear.ModulePath);
        var y = (replacement ?? linear).Forward(x);
        if (replacement is not null) Recorder?.RecordSaved(replacement, x, y);
        var lora = Adapter?.Module(linear.ModulePath);
        if (RowWeights is not null && RowWeights.TryGetValue(linear.ModulePath, out var rows))
        {
            var rowInput = Dropout?.Apply(x, rows.Adapted) ?? x;
            var (rowH, rowU) = rows.Apply(rowInput);
            if (lora is not null) Recorder?.Record(lora, rowInput, rowH, rowU);
            if (rows.Scales is not null) return y.add(rows.ScaleRows(rowU));
            return y.add(rowU, alpha: (lora ?? throw new InvalidOperationException($"Row weights for '{linear.ModulePath}' carry no scales and the adapter has no such module.")).Scale);
        }
        if (lora is null)
            return y;

        var input = Dropout?.Apply(x) ?? x;
        var h = nn.functional.linear(input, lora.A);
        var u = nn.functional.linear(h, lora.B);
        Recorder?.Record(lora, input, h, u);
        return y.add(u, alpha: lora.Scale);
    }

    /// <summary>
    /// This context for some of the batch's rows (in that order), reading <paramref name="adapter"/>'s
    /// saved modules: the head of a forward whose rows read different heads.
    /// </summary>
    public ForwardContext Select(Tensor rows, IReadOnlyList<int> rowList, LoraAdapter? adapter) => new()
    {
        Adapter = adapter,
        Recorder = Recorder,
        RowWeights = RowWeights?.ToDictionary(p => p.Key, p => p.Value.Select(rows, rowList)),
        Dropout = Dropout?.Select(rowList),
    };
}
