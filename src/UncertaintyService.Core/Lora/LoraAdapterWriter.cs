using UncertaintyService.Core.SafeTensors;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Lora;

/// <summary>Writes an adapter as PEFT does: adapter_config.json and adapter_model.safetensors with PEFT key names.</summary>
public static class LoraAdapterWriter
{
    public static void Write(string folder, LoraAdapter adapter, ScalarType dtype = ScalarType.Float32)
    {
        Directory.CreateDirectory(folder);
        adapter.Config.Save(Path.Combine(folder, LoraConfig.FileName));
        var tensors = ModuleTensors(adapter, dtype);
        foreach (var saved in adapter.SavedModules)
        {
            tensors[$"{LoraModule.PeftPrefix}{saved.ModulePath}.weight"] = saved.Weight.detach().to(dtype, CPU);
            if (saved.Bias is not null) tensors[$"{LoraModule.PeftPrefix}{saved.ModulePath}.bias"] = saved.Bias.detach().to(dtype, CPU);
        }
        SafeTensorsWriter.Write(Path.Combine(folder, LoraAdapterLoader.WeightsFile), tensors);
    }

    /// <summary>Every LoRA module's A and B under its PEFT key, on the CPU (saved whole modules not included).</summary>
    public static Dictionary<string, Tensor> ModuleTensors(LoraAdapter adapter, ScalarType dtype = ScalarType.Float32)
    {
        var tensors = new Dictionary<string, Tensor>();
        foreach (var module in adapter.Modules)
        {
            tensors[module.NameA + ".weight"] = module.A.detach().to(dtype, CPU);
            tensors[module.NameB + ".weight"] = module.B.detach().to(dtype, CPU);
        }
        return tensors;
    }
}
