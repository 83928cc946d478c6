using System.Text.Json.Nodes;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.SafeTensors;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Tests.Lora;

/// <summary>Writes PEFT adapter folders and merges adapters into base weights by hand, for the adapter tests.</summary>
internal static class AdapterFolder
{
    private const string SuffixA = ".lora_A.weight";
    private const string SuffixB = ".lora_B.weight";

    /// <summary>
    /// adapter_config.json (through <see cref="LoraConfig.Save"/>, then <paramref name="edit"/> for keys
    /// the record cannot express) and adapter_model.safetensors, in <paramref name="folder"/>.
    /// </summary>
    public static string Write(string folder, LoraConfig config, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        Action<JsonObject>? edit = null)
    {
        var configPath = Path.Combine(folder, LoraConfig.FileName);
        config.Save(configPath);
        if (edit is not null)
        {
            var root = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
            edit(root);
            File.WriteAllText(configPath, root.ToJsonString());
        }
        SafeTensorsWriter.Write(Path.Combine(folder, LoraAdapterLoader.WeightsFile), tensors);
        return folder;
    }

    /// <summary>
    /// The base weights with every LoRA module folded in as W + scale(module) B A, and every saved
    /// module's weight in place of the base one: what PEFT's merge_and_unload would produce.
    /// </summary>
    public static Dictionary<string, Tensor> Merge(IReadOnlyDictionary<string, Tensor> baseWeights,
        IReadOnlyDictionary<string, Tensor> adapterTensors, Func<string, double> scaleOf)
    {
        var merged = new Dictionary<string, Tensor>(baseWeights);
        foreach (var (key, value) in adapterTensors)
        {
            Assert.StartsWith(LoraModule.PeftPrefix, key);
            var name = key[LoraModule.PeftPrefix.Length..];
            if (name.EndsWith(SuffixA, StringComparison.Ordinal))
            {
                var module = name[..^SuffixA.Length];
                var b = adapterTensors[LoraModule.PeftPrefix + module + SuffixB];
                merged[module + ".weight"] = baseWeights[module + ".weight"] + scaleOf(module) * b.matmul(value);
            }
            else if (!name.EndsWith(SuffixB, StringComparison.Ordinal))
                merged[name] = value;
        }
        return merged;
    }
}
