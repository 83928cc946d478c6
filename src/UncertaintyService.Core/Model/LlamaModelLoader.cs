using UncertaintyService.Core.SafeTensors;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Model;

/// <summary>Loads a Hugging Face model folder: config.json and model.safetensors (or shards with their index).</summary>
public static class LlamaModelLoader
{
    public const string ConfigFile = "config.json";

    /// <summary>
    /// Reads config.json, then every weight, converted to <paramref name="dtype"/> on
    /// <paramref name="device"/> (f32, f16 and bf16 files alike).
    /// </summary>
    public static LlamaModel Load(string folder, ScalarType dtype, Device device)
    {
        var config = LlamaConfig.Load(Path.Combine(folder, ConfigFile));
        SafeTensorsCheckpoint checkpoint;
        try
        {
            checkpoint = SafeTensorsCheckpoint.Open(folder);
        }
        catch (FileNotFoundException e)
        {
            // One error type for every unusable bundle file, so callers report them alike.
            throw new Formats.BundleFormatException(folder, null, e.Message, e);
        }
        using var _ = checkpoint;
        return LlamaModelBuilder.Build(config, new CheckpointTensorSource(checkpoint), dtype, device);
    }
}
