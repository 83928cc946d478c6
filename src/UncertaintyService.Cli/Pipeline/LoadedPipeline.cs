using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Tokenization;
using static TorchSharp.torch;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>What the posterior commands share: the base model and tokenizer, the adapter, its task and the data.</summary>
public sealed record LoadedPipeline(LlamaModel Model, PromptTokenizer Tokenizer, LoraAdapter Adapter, TaskFile Data, long[] ClassIndices, string AdapterFolder)
{
    public static LoadedPipeline Load(string baseFolder, string adapterFolder, string dataFile)
    {
        var model = LlamaModelLoader.Load(baseFolder, ScalarType.Float32, CPU);
        var tokenizer = PromptTokenizer.Load(baseFolder);
        var adapter = LoraAdapterLoader.Load(adapterFolder, model, Path.GetFileName(Path.GetFullPath(adapterFolder).TrimEnd('/')));
        var data = TaskFile.Load(dataFile, Path.Combine(adapterFolder, TaskDefinition.FileName));
        var classes = tokenizer.LabelTokens(data.Definition.TokenTexts, data.Definition.LabelContext).Select(i => (long)i).ToArray();
        return new LoadedPipeline(model, tokenizer, adapter, data, classes, adapterFolder);
    }

    /// <summary>Token ids and class indices of one split (optionally its first <paramref name="limit"/> examples).</summary>
    public (List<int[]> Prompts, List<int> Labels) Encode(string split, int? limit, int maxTokens) =>
        Data.Encode(Tokenizer, Data.Split(split, limit), maxTokens);
}
