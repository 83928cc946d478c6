using System.Globalization;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.SafeTensors;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Sampling;

/// <summary>
/// MC dropout (Gal and Ghahramani, 2016) on LoRA: weights trained with dropout p on every LoRA
/// module's input, and the same dropout kept on at prediction time, one mask per forward pass.
/// <c>mc_dropout.safetensors</c> holds the PEFT tensors of those weights; its header names p.
/// </summary>
public sealed class McDropoutPosterior(string filePath, LoraAdapter weights, double probability)
    : SampledPosterior(MethodName, filePath, weights)
{
    public const string MethodName = "mc_dropout";
    public const string DefaultFileName = "mc_dropout.safetensors";
    public const string Format = "mc-dropout-v1";

    public override double DropoutProbability { get; } = probability;

    /// <summary>The weights trained with dropout (Load builds them from the file).</summary>
    protected override IEnumerable<Tensor> StoredTensors() => ModuleTensors(Adapter);

    public override IReadOnlyDictionary<string, RowLoraWeights>? Draw(int samples, Generator generator, ScalarType dtype, Device device) => null;

    public void Save(string path)
    {
        SafeTensorsWriter.Write(path, LoraAdapterWriter.ModuleTensors(Adapter), new Dictionary<string, string>
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
        file.RequireAllUsed();
        return new McDropoutPosterior(path, new LoraAdapter(structure.Id, structure.Config, modules, structure.SavedModules), p);
    }
}
