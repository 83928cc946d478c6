using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Model;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Lora;

/// <summary>
/// Builds a <see cref="LoraAdapter"/> for a given base model from PEFT-named tensors, strictly: every
/// targeted module needs its lora_A and lora_B with the right shapes, every saved module its weight,
/// and a tensor that belongs to neither is an error naming the key.
/// </summary>
public static class LoraAdapterBuilder
{
    // configPath: where the config came from, named by errors in its keys (target_modules,
    // modules_to_save); the tensor source's location when not given.
    public static LoraAdapter Build(string id, LoraConfig config, ITensorSource source, LlamaModel model, string? configPath = null)
    {
        configPath ??= source.Location;
        var used = new HashSet<string>();
        Tensor Take(string name, params long[] shape)
        {
            if (!source.Names.Contains(name))
                throw new BundleFormatException(source.Location, name, "missing tensor for a module the adapter config targets or saves");
            var actual = source.Shape(name);
            if (!actual.SequenceEqual(shape))
                throw new BundleFormatException(source.Location, name,
                    $"shape [{string.Join(", ", actual)}] does not match the base model and rank, which imply [{string.Join(", ", shape)}]");
            used.Add(name);
            var tensor = source.Load(name, model.DType, model.Device);
            // A NaN or infinity in an adapter poisons every answer; refuse it where it can be named.
            if (!tensor.isfinite().all().item<bool>())
                throw new BundleFormatException(source.Location, name, "contains NaN or infinite values");
            return tensor;
        }

        var modules = new List<LoraModule>();
        var saved = new List<LinearWeight>();
        foreach (var linear in model.LinearModules())
        {
            string prefix = LoraModule.PeftPrefix + linear.ModulePath;
            if (config.Saves(linear.ModulePath))
            {
                saved.Add(new LinearWeight(linear.ModulePath,
                    Take(prefix + ".weight", linear.OutFeatures, linear.InFeatures),
                    source.Names.Contains(prefix + ".bias") ? Take(prefix + ".bias", linear.OutFeatures) : null));
            }
            if (config.Targets(linear.ModulePath))
            {
                int rank = config.RankOf(linear.ModulePath);
                modules.Add(new LoraModule(linear.ModulePath,
                    Take(prefix + ".lora_A.weight", rank, linear.InFeatures),
                    Take(prefix + ".lora_B.weight", linear.OutFeatures, rank),
                    config.ScaleOf(linear.ModulePath)));
            }
        }

        // A reward model fine-tuned from a causal-LM checkpoint brings its own score head: Hugging Face
        // creates the head fresh and PEFT stores it in modules_to_save, so the base has no score.weight.
        string headKey = LoraModule.PeftPrefix + LlamaModel.ScoreModulePath + ".weight";
        if (model.ScoreHead is null && config.Head == ModelHead.Score && config.Saves(LlamaModel.ScoreModulePath) && source.Names.Contains(headKey))
            saved.Add(new LinearWeight(LlamaModel.ScoreModulePath, Take(headKey, source.Shape(headKey)[0], model.Config.HiddenSize)));

        if (modules.Count == 0)
            throw new BundleFormatException(configPath, "target_modules", "matches no linear module of the base model");
        var unknown = source.Names.Where(n => !used.Contains(n)).Order().ToList();
        if (unknown.Count > 0)
            throw new BundleFormatException(source.Location, unknown[0],
                $"tensor matches no module the adapter config targets or saves ({unknown.Count} such: {string.Join(", ", unknown.Take(5))})");
        foreach (var path in config.ModulesToSave ?? [])
        {
            if (!saved.Any(s => s.ModulePath == path || s.ModulePath.EndsWith("." + path, StringComparison.Ordinal)))
                throw new BundleFormatException(configPath, "modules_to_save", $"'{path}' is not a module of the base model (only linear modules can be saved)");
        }
        return new LoraAdapter(id, config, modules, saved);
    }
}
