using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.SafeTensors;

namespace UncertaintyService.Core.Lora;

/// <summary>Loads a PEFT adapter folder (adapter_config.json + adapter_model.safetensors) onto a loaded base model.</summary>
public static class LoraAdapterLoader
{
    public const string WeightsFile = "adapter_model.safetensors";

    public static LoraAdapter Load(string folder, LlamaModel model, string id)
    {
        var configPath = Path.Combine(folder, LoraConfig.FileName);
        var config = LoraConfig.Load(configPath);
        var weights = Path.Combine(folder, WeightsFile);
        if (!File.Exists(weights))
            throw new BundleFormatException(weights, null, "file not found");
        using var file = SafeTensorsFile.Open(weights);
        return LoraAdapterBuilder.Build(id, config, new FileTensorSource(file), model, configPath);
    }
}
