using System.Security.Cryptography;
using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Core.Tokenization;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Bundles;

/// <summary>
/// Loads a bundle folder: <c>base/</c> (a Hugging Face model folder) and <c>adapters/&lt;id&gt;/</c>
/// (PEFT files, task.json, optional posterior.json with its factor file, optional calibration.json).
/// </summary>
public static class BundleLoader
{
    public const string BaseFolder = "base";
    public const string AdaptersFolder = "adapters";

    /// <summary>Loads the base model and tokenizer; on failure nothing it allocated stays alive.</summary>
    public static LoadedBase LoadBase(string bundle, string bundleFolder, ScalarType dtype, Device device)
    {
        var folder = Path.Combine(bundleFolder, BaseFolder);
        if (!Directory.Exists(folder))
            throw new BundleFormatException(folder, null, "bundle has no base/ folder (a Hugging Face model folder)");
        return TensorOwner.Build(() =>
        {
            var model = LlamaModelLoader.Load(folder, dtype, device);
            var tokenizer = PromptTokenizer.Load(folder);
            return new LoadedBase(bundle, bundleFolder, model, tokenizer);
        });
    }

    /// <summary>The adapter folders of a bundle, by id (the folder name).</summary>
    public static IReadOnlyList<(string Id, string Folder)> AdapterFolders(string bundleFolder)
    {
        var root = Path.Combine(bundleFolder, AdaptersFolder);
        return Directory.Exists(root)
            ? Directory.GetDirectories(root).Order(StringComparer.Ordinal).Select(d => (Path.GetFileName(d), d)).ToList()
            : [];
    }

    /// <summary>
    /// Loads an adapter and its posteriors onto the base model's device. Load-time temporaries are freed
    /// before it returns; a broken file frees everything loaded before it.
    /// </summary>
    public static LoadedAdapter LoadAdapter(LoadedBase loadedBase, string id, string folder) =>
        TensorOwner.Build(() => Read(loadedBase, id, folder));

    private static LoadedAdapter Read(LoadedBase loadedBase, string id, string folder)
    {
        var model = loadedBase.Model;
        var adapter = LoraAdapterLoader.Load(folder, model, id);
        var taskPath = Path.Combine(folder, TaskDefinition.FileName);
        var task = TaskDefinition.Load(taskPath);
        int[] classIndices = ClassIndices(task, adapter, loadedBase, taskPath);

        var posterior = PosteriorConfig.LoadOrDefault(folder);
        var laplace = posterior.LoadLaplace(folder, model, adapter);
        var sampled = SampledPosteriorLoader.LoadAll(folder, posterior, adapter);

        var calibrationPath = Path.Combine(folder, CalibrationReport.FileName);
        var calibration = File.Exists(calibrationPath) ? CalibrationReport.Load(calibrationPath) : null;
        return new LoadedAdapter(id, folder, loadedBase, adapter, task, posterior, laplace, calibration, ContentHash(folder), DateTimeOffset.UtcNow)
        {
            LabelTokenIds = classIndices,
            Sampled = sampled,
        };
    }

    private static int[] ClassIndices(TaskDefinition task, LoraAdapter adapter, LoadedBase loadedBase, string taskPath)
    {
        if (task.Kind == "reward")
        {
            if (adapter.Head != ModelHead.Score)
                throw new BundleFormatException(taskPath, "kind", "a reward task needs a SEQ_CLS adapter (the score head)");
            return [0];
        }
        if (adapter.Head != ModelHead.LanguageModel)
            throw new BundleFormatException(taskPath, "kind", "a classification task reads the LM head; this adapter is SEQ_CLS");
        try
        {
            var ids = loadedBase.Tokenizer.LabelTokens(task.TokenTexts, task.LabelContext);
            var outside = ids.Where(i => i >= loadedBase.Model.Config.VocabSize).ToList();
            if (outside.Count > 0)
                throw new ArgumentException($"token ids {string.Join(", ", outside)} are outside the model's vocabulary of {loadedBase.Model.Config.VocabSize}");
            return ids;
        }
        catch (ArgumentException e)
        {
            throw new BundleFormatException(taskPath, task.LabelTokens is null ? "labels" : "label_tokens", e.Message, e);
        }
    }

    /// <summary>
    /// sha256 over the adapter folder's served files (names and bytes, in name order): what a response reports it was
    /// served by. Only the JSON and safetensors files count; derived reports (reliability PNGs, which are not committed)
    /// and the writer's lock file would otherwise make one adapter hash differently on each machine.
    /// </summary>
    public static string ContentHash(string folder)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.GetFiles(folder).Where(IsServedFile).Order(StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\n"));
            using var stream = File.OpenRead(file);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer)) > 0) hash.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static bool IsServedFile(string path) =>
        !Path.GetFileName(path).StartsWith('.') && Path.GetExtension(path) is ".json" or ".safetensors";
}
