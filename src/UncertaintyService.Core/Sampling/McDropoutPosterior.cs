using System.Globalization;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.SafeTensors;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Sampling;

/// <summary>
/// MC dropout (Gal and Ghahramani, 2016) on LoRA: weights trained with dropout p on every LoRA
/// module's input, and the same dropout kept on at prediction time, one mask per forward pass.
/// <c>mc_dropout.safetensors</c> holds the PEFT tensors of those weights (with the modules the adapter
/// saves whole, such as a reward model's score head, trained alongside); its header names p.
/// </summary>
/// <param name="ownSaved">Saved-module weights this posterior read from its file (it owns them); empty when it shares the adapter's.</param>
public sealed class McDropoutPosterior(string filePath, LoraAdapter weights, double probability, IReadOnlyList<Tensor>? ownSaved = null)
    : SampledPosterior(MethodName, filePath, weights)
{
    public const string MethodName = "mc_dropout";
    public const string DefaultFileName = "mc_dropout.safetensors";
    public const string Format = "mc-dropout-v1";

    public override double DropoutProbability { get; } = probability;

    /// <summary>The weights trained with dropout (Load builds them from the file).</summary>
    protected override IEnumerable<Tensor> StoredTensors() => ModuleTensors(Adapter).Concat(ownSaved ?? []);

    public override IReadOnlyDictionary<string, RowLoraWeights>? Draw(int samples, Generator generator, ScalarType dtype, Device device) => null;

    public void Save(string path)
    {
        var tensors = LoraAdapterWriter.ModuleTensors(Adapter);
        foreach (var saved in Adapter.SavedModules)
            tensors[$"{LoraModule.PeftPrefix}{saved.ModulePath}.weight"] = saved.Weight.detach().to(ScalarType.Float32, CPU);
        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string>
        {
            ["format"] = Format,
            ["dropout"] = DropoutProbability.ToString("R", CultureInfo.InvariantCulture),
        });
    }

    public static McDropoutPosterior Load(string path, LoraAdapter structure)
    {
        using var file = PosteriorTensorFile.Open(path, Format);
        double p = file.Number("dropout", v => v is > 0 and < 1, "must be in (0, 1)");
        var modules = structure.Modules.Select(file.TakeModule).ToList();
        // Saved modules trained with dropout replace the adapter's; a file without them shares the adapter's.
        var saved = structure.SavedModules.Select(s => file.Has($"{LoraModule.PeftPrefix}{s.ModulePath}.weight")
            ? new LinearWeight(s.ModulePath, file.Take($"{LoraModule.PeftPrefix}{s.ModulePath}.weight", s.Weight.shape[0], s.Weight.shape[1]).to(s.Weight.dtype, s.Weight.device), s.Bias)
            : s).ToList();
        file.RequireAllUsed();
        var own = saved.Where(s => !structure.SavedModules.Contains(s)).Select(s => s.Weight).ToList();
        return new McDropoutPosterior(path, new LoraAdapter(structure.Id, structure.Config, modules, saved), p, own);
    }
}
