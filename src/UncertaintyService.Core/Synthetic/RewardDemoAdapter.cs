using System.Text.Json;
using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.SafeTensors;
using UncertaintyService.Core.Sampling;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Synthetic;

/// <summary>
/// Writes a generated reward adapter into a bundle whose base has no score head: random LoRA on q and v,
/// a random score head saved whole, random factors for both, a hand-set prior. Its numbers carry no
/// meaning; it exercises the reward loader and endpoints with every method (the trained vader-reward adapter replaces it).
/// </summary>
public static class RewardDemoAdapter
{
    public const string Template = "{prompt} {response}";

    public static void Write(string bundleFolder, string id, ulong seed, double priorPrecision = 100, long factorExamples = 256)
    {
        var model = LlamaModelLoader.Load(Path.Combine(bundleFolder, BundleLoader.BaseFolder), ScalarType.Float32, CPU);
        var folder = Path.Combine(bundleFolder, BundleLoader.AdaptersFolder, id);
        Directory.CreateDirectory(folder);
        var config = new LoraConfig
        {
            R = 2,
            LoraAlpha = 4,
            TaskType = "SEQ_CLS",
            TargetModules = JsonSerializer.SerializeToElement(new[] { "q_proj", "v_proj" }),
            ModulesToSave = [LlamaModel.ScoreModulePath],
        };
        config.Save(Path.Combine(folder, LoraConfig.FileName));
        var tensors = RandomWeights.Lora(config, model, seed);
        string head = LoraModule.PeftPrefix + LlamaModel.ScoreModulePath + ".weight";
        tensors[head] = randn(new long[] { 1, model.Config.HiddenSize }, ScalarType.Float32, CPU, generator: new Generator(seed + 1, CPU))
            / Math.Sqrt(model.Config.HiddenSize);
        SafeTensorsWriter.Write(Path.Combine(folder, LoraAdapterLoader.WeightsFile), tensors.ToDictionary(p => p.Key, p => p.Value.to(ScalarType.Float32)));
        new TaskDefinition { Kind = "reward", Labels = ["reward"], PromptTemplate = Template,
            Description = "Generated reward adapter: random weights, no trained meaning." }.Save(Path.Combine(folder, TaskDefinition.FileName));

        var adapter = LoraAdapterBuilder.Build(id, config, new InMemoryTensorSource(tensors), model);
        var lora = RandomWeights.KfacFactors(adapter, Path.Combine(folder, KfacFactorFile.FileName), factorExamples, rank: 8, seed + 2);
        var modules = lora.Modules.ToDictionary(p => p.Key, p => p.Value);
        var root = randn(new long[] { model.Config.HiddenSize, 8 }, ScalarType.Float64, CPU, generator: new Generator(seed + 3, CPU)) / Math.Sqrt(8);
        modules[KfacFactorFile.SavedModuleName(LlamaModel.ScoreModulePath)] = new KfacModuleFactors(root.to(ScalarType.Float32), ones(1, 1) * 0.25f);
        (lora with { Modules = modules }).Save();
        var posterior = new PosteriorConfig { Method = "laplace", PriorPrecision = priorPrecision, PriorTuning = "manual", Samples = 1000, NExamples = factorExamples };
        // Every sampled posterior too, so one reward adapter serves every method (the ensembles' members with their own heads).
        foreach (var (method, file) in RandomPosteriors.WriteAll(adapter, folder, seed + 4))
            posterior = posterior.WithSampled(method, new SampledMethodEntry { File = file, Samples = method == "svgd" ? 3 : 4 });
        posterior.Save(Path.Combine(folder, PosteriorConfig.FileName));
    }
}
