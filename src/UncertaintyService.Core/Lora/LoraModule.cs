using static TorchSharp.torch;

namespace UncertaintyService.Core.Lora;

/// <summary>
/// One adapted linear module: A (r x in) and B (out x r), applied as y = W x + scale * B (A x).
/// </summary>
public sealed class LoraModule(string modulePath, Tensor a, Tensor b, double scale)
{
    /// <summary>The PEFT prefix of every key of a module (<c>base_model.model.</c> + module path).</summary>
    public const string PeftPrefix = "base_model.model.";

    public string ModulePath { get; } = modulePath;
    public Tensor A { get; } = a;
    public Tensor B { get; } = b;
    public double Scale { get; } = scale;
    public long Rank => A.shape[0];

    /// <summary>The PEFT name of the A matrix without <c>.weight</c>, as the K-FAC file keys it.</summary>
    public string NameA => $"{PeftPrefix}{ModulePath}.lora_A";

    /// <summary>The PEFT name of the B matrix without <c>.weight</c>.</summary>
    public string NameB => $"{PeftPrefix}{ModulePath}.lora_B";
}
