using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Lora;

/// <summary>
/// A loaded PEFT LoRA adapter: its modules in model order and any modules it saves whole (for example
/// the <c>score</c> head). It holds only its own tensors; the base model is shared.
/// </summary>
public sealed class LoraAdapter : ITensorOwner
{
    private readonly Dictionary<string, LoraModule> modulesByPath;
    private readonly Dictionary<string, LinearWeight> replacements;

    public LoraAdapter(string id, LoraConfig config, IReadOnlyList<LoraModule> modules, IReadOnlyList<LinearWeight> savedModules)
    {
        Id = id;
        Config = config;
        Modules = modules;
        SavedModules = savedModules;
        modulesByPath = modules.ToDictionary(m => m.ModulePath);
        replacements = savedModules.ToDictionary(m => m.ModulePath);
    }

    public string Id { get; }
    public LoraConfig Config { get; }
    public IReadOnlyList<LoraModule> Modules { get; }
    public IReadOnlyList<LinearWeight> SavedModules { get; }
    public ModelHead Head => Config.Head;

    /// <summary>Number of LoRA parameters (the P of the Laplace posterior).</summary>
    public long ParameterCount => Modules.Sum(m => m.A.numel() + m.B.numel());

    public LoraModule? Module(string modulePath) => modulesByPath.GetValueOrDefault(modulePath);

    public LinearWeight? ReplacementFor(string modulePath) => replacements.GetValueOrDefault(modulePath);

    /// <summary>Every module's A and B, and the weights of the modules it saves whole.</summary>
    public IEnumerable<Tensor> OwnedTensors() =>
        Modules.SelectMany(m => new[] { m.A, m.B })
            .Concat(SavedModules.SelectMany(m => m.Bias is null ? new[] { m.Weight } : [m.Weight, m.Bias]));

    public void Dispose() => TensorOwner.DisposeAll(this);
}
