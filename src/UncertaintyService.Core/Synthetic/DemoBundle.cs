using System.Text.Json;
using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.SafeTensors;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Synthetic;

/// <summary>
/// Writes a deterministic generated bundle: a small Llama with the Llama 2 tokenizer, random weights,
/// and two LoRA adapters with random positive semi-definite K-FAC factors (the first also with random
/// BLoB, SWAG, ensemble, SVGD and MC-dropout posteriors). It exercises every loader
/// and the whole predictive path; its numbers carry no meaning (a trained bundle replaces it).
/// </summary>
public static class DemoBundle
{
    public sealed record Options
    {
        public int HiddenSize { get; init; } = 64;
        public int Layers { get; init; } = 2;
        public int Heads { get; init; } = 4;
        public int KeyValueHeads { get; init; } = 2;
        public int IntermediateSize { get; init; } = 128;
        public int Rank { get; init; } = 4;
        public ulong Seed { get; init; } = 20261122;
        public ScalarType StorageType { get; init; } = ScalarType.Float16;
        public long FactorExamples { get; init; } = 512;

        /// <summary>Chosen by hand so the random model's logit variances come out of order one.</summary>
        public double PriorPrecision { get; init; } = 1e4;
    }

    /// <summary>The adapters written: id, labels, prompt template.</summary>
    public static readonly IReadOnlyList<(string Id, string[] Labels, string Template)> Adapters =
    [
        ("yes-no", ["yes", "no"], "Question: {question}\nAnswer:"),
        ("multiple-choice", ["A", "B", "C", "D"], "{question}\nA. {a}\nB. {b}\nC. {c}\nD. {d}\nAnswer:"),
    ];

    public static void Write(string bundleFolder, string tokenizerModel, Options options)
    {
        var baseFolder = Path.Combine(bundleFolder, BundleLoader.BaseFolder);
        var config = new LlamaConfig
        {
            VocabSize = 32000,
            HiddenSize = options.HiddenSize,
            IntermediateSize = options.IntermediateSize,
            NumHiddenLayers = options.Layers,
            NumAttentionHeads = options.Heads,
            NumKeyValueHeads = options.KeyValueHeads,
            MaxPositionEmbeddings = 4096,
            TieWordEmbeddings = true,
        };
        var weights = RandomWeights.Llama(config, options.Seed, options.StorageType);
        ModelFolderWriter.Write(baseFolder, config, weights, options.StorageType, tokenizerModel);

        var model = LlamaModelBuilder.Build(config, new InMemoryTensorSource(weights), ScalarType.Float32, CPU);
        ulong seed = options.Seed;
        foreach (var (id, labels, template) in Adapters)
        {
            var folder = Path.Combine(bundleFolder, BundleLoader.AdaptersFolder, id);
            Directory.CreateDirectory(folder);
            var loraConfig = new LoraConfig
            {
                R = options.Rank,
                LoraAlpha = 2 * options.Rank,
                TaskType = "CAUSAL_LM",
                TargetModules = JsonSerializer.SerializeToElement(new[] { "q_proj", "v_proj", "down_proj" }),
            };
            loraConfig.Save(Path.Combine(folder, LoraConfig.FileName));
            var lora = RandomWeights.Lora(loraConfig, model, ++seed);
            SafeTensorsWriter.Write(Path.Combine(folder, LoraAdapterLoader.WeightsFile),
                lora.ToDictionary(p => p.Key, p => p.Value.to(ScalarType.Float32)));
            new TaskDefinition { Kind = "classification", Labels = labels, PromptTemplate = template,
                Description = "Generated demo adapter: random weights, no trained meaning." }.Save(Path.Combine(folder, TaskDefinition.FileName));

            var adapter = LoraAdapterBuilder.Build(id, loraConfig, new InMemoryTensorSource(lora), model);
            var factors = RandomWeights.KfacFactors(adapter, Path.Combine(folder, KfacFactorFile.FileName), options.FactorExamples, rank: 8, ++seed);
            factors.Save();
            var posterior = new PosteriorConfig { Method = "laplace", PriorPrecision = options.PriorPrecision, PriorTuning = "manual", Samples = 1000,
                NExamples = options.FactorExamples };
            // The first adapter also carries every sampled posterior, so one adapter serves every method.
            if (id == Adapters[0].Id)
            {
                foreach (var (method, file) in RandomPosteriors.WriteAll(adapter, folder, ++seed))
                    posterior = posterior.WithSampled(method, new SampledMethodEntry { File = file, Samples = method == "svgd" ? 3 : 4 });
            }
            posterior.Save(Path.Combine(folder, PosteriorConfig.FileName));
        }
    }
}
