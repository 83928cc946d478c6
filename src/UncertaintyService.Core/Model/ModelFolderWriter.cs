using UncertaintyService.Core.SafeTensors;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Model;

/// <summary>Writes a Hugging Face model folder: config.json, model.safetensors and the tokenizer.</summary>
public static class ModelFolderWriter
{
    public static void Write(string folder, LlamaConfig config, IReadOnlyDictionary<string, Tensor> weights, ScalarType storage, string tokenizerModel)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, LlamaModelLoader.ConfigFile), config.ToJson());
        SafeTensorsWriter.Write(Path.Combine(folder, SafeTensorsCheckpoint.SingleFileName),
            weights.Select(w => KeyValuePair.Create(w.Key, w.Value.detach().to(storage, CPU))),
            new Dictionary<string, string> { ["format"] = "pt" });
        File.Copy(tokenizerModel, Path.Combine(folder, Path.GetFileName(tokenizerModel)), overwrite: true);
    }
}
