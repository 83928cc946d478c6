using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Synthetic;
using static TorchSharp.torch;

namespace UncertaintyService.Benchmarks;

/// <summary>
/// MAP forward latency against the Laplace predictive (one forward, C backward passes, the covariance)
/// at several class counts and batch sizes, with the ratio measured in the same run.
/// </summary>
internal static class PredictiveBenchmark
{
    public sealed record Row(string Model, int Classes, int Batch, double MapMs, double LaplaceMs)
    {
        public double Ratio => LaplaceMs / MapMs;
    }

    public static IEnumerable<Row> Run(string name, LlamaModel model, LoraAdapter adapter, KfacFactorFile factors, int promptLength,
        int[] classCounts, int[] batches, int repetitions)
    {
        var posterior = LaplaceLoraPosterior.Create(model, adapter, factors, 1.0);
        var random = new Random(7);
        foreach (int batch in batches)
        {
            var prompts = Enumerable.Range(0, batch)
                .Select(_ => (IReadOnlyList<int>)Enumerable.Range(0, promptLength).Select(_ => random.Next(3, model.Config.VocabSize)).ToArray())
                .ToList();
            foreach (int classes in classCounts)
            {
                var labels = Enumerable.Range(0, classes).Select(c => (long)(100 + c)).ToArray();
                double map = Timing.MedianMilliseconds(() => MapPredictor.Logits(model, adapter, prompts, labels), repetitions);
                double laplace = Timing.MedianMilliseconds(() => LaplacePredictor.LogitMoments(posterior, prompts, labels), repetitions);
                yield return new Row(name, classes, batch, map, laplace);
            }
        }
    }

    /// <summary>One decoder layer shaped like Llama-2-7B (hidden 4096, 32 heads, SwiGLU 11008) with LoRA rank 8 on q and v.</summary>
    public static (LlamaModel, LoraAdapter, KfacFactorFile) SevenBillionSlice()
    {
        var config = new LlamaConfig
        {
            VocabSize = 32000, HiddenSize = 4096, IntermediateSize = 11008, NumHiddenLayers = 1,
            NumAttentionHeads = 32, NumKeyValueHeads = 32, TieWordEmbeddings = true, MaxPositionEmbeddings = 4096,
        };
        var model = LlamaModelBuilder.Build(config, new InMemoryTensorSource(RandomWeights.Llama(config, 1, ScalarType.Float32, embeddingStd: 0.02)),
            ScalarType.Float32, CPU);
        var lora = new LoraConfig
        {
            R = 8, LoraAlpha = 16, TaskType = "CAUSAL_LM",
            TargetModules = System.Text.Json.JsonSerializer.SerializeToElement(new[] { "q_proj", "v_proj" }),
        };
        var adapter = LoraAdapterBuilder.Build("slice", lora, new InMemoryTensorSource(RandomWeights.Lora(lora, model, 2, scale: 0.05)), model);
        return (model, adapter, RandomWeights.KfacFactors(adapter, "(benchmark)", examples: 1000, rank: 16, seed: 3));
    }
}
