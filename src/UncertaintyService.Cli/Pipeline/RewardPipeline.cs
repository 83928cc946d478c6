using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Tokenization;
using static TorchSharp.torch;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>What the reward posterior commands share: base model and tokenizer, the reward adapter, its task and the preference pairs.</summary>
public sealed record RewardPipeline(LlamaModel Model, PromptTokenizer Tokenizer, LoraAdapter Adapter, TaskDefinition Task, PreferenceFile Data, string AdapterFolder)
{
    public static RewardPipeline Load(string baseFolder, string adapterFolder, string dataFile)
    {
        var model = LlamaModelLoader.Load(baseFolder, ScalarType.Float32, CPU);
        var tokenizer = PromptTokenizer.Load(baseFolder);
        var adapter = LoraAdapterLoader.Load(adapterFolder, model, Path.GetFileName(Path.GetFullPath(adapterFolder).TrimEnd('/')));
        var task = TaskDefinition.Load(Path.Combine(adapterFolder, TaskDefinition.FileName));
        if (task.Kind != "reward" || adapter.Head != ModelHead.Score)
            throw new InvalidDataException($"{adapterFolder} is not a reward adapter (task.json kind '{task.Kind}', task_type {adapter.Config.TaskType}); use the classification commands.");
        return new RewardPipeline(model, tokenizer, adapter, task, PreferenceFile.Load(dataFile), adapterFolder);
    }

    /// <summary>Token ids of one split's pairs (optionally its first <paramref name="limit"/>) and their vote fractions.</summary>
    public (List<int[]> Chosen, List<int[]> Rejected, double[] Preferences) Encode(string split, int? limit, int maxTokens) =>
        PreferenceFile.Encode(Tokenizer, Task, Data.Split(split, limit), maxTokens);
}
