using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Core.Synthetic;

namespace UncertaintyService.Benchmarks;

/// <summary>
/// Cost per prompt of every posterior at N weight samples, against MAP and Laplace in the same run:
/// a sampled method runs N forward passes (batched as prompts x samples rows), Laplace one forward
/// and C backward passes.
/// </summary>
internal static class SampledBenchmark
{
    public sealed record Row(string Model, int Batch, string Method, string Passes, double Ms, double MapMs)
    {
        public double Ratio => Ms / MapMs;
    }

    public static IEnumerable<Row> Run(string name, LlamaModel model, LoraAdapter adapter, KfacFactorFile factors, int promptLength,
        int classes, int[] batches, int samples, int repetitions)
    {
        var laplace = LaplaceLoraPosterior.Create(model, adapter, factors, 1.0);
        // Random posteriors of the adapter's shapes: what a forward costs does not depend on the numbers.
        SampledPosterior[] sampled =
        [
            RandomPosteriors.Blob(adapter, 11),
            RandomPosteriors.Swag(adapter, 12, k: 10),
            RandomPosteriors.Particles(adapter, samples, 13),
            new McDropoutPosterior("(benchmark)", adapter, 0.1),
        ];
        var labels = Enumerable.Range(0, classes).Select(c => (long)(100 + c)).ToArray();
        var random = new Random(9);
        foreach (int batch in batches)
        {
            var prompts = Enumerable.Range(0, batch)
                .Select(_ => (IReadOnlyList<int>)Enumerable.Range(0, promptLength).Select(_ => random.Next(3, model.Config.VocabSize)).ToArray())
                .ToList();
            double map = Timing.MedianMilliseconds(() => MapPredictor.Logits(model, adapter, prompts, labels), repetitions);
            yield return new Row(name, batch, "map", "1 forward", map, map);
            yield return new Row(name, batch, "laplace", $"1 forward + {classes} backward", Timing.MedianMilliseconds(() => LaplacePredictor.LogitMoments(laplace, prompts, labels), repetitions), map);
            foreach (var posterior in sampled)
            {
                double ms = Timing.MedianMilliseconds(() => SampledPredictor.Predict(posterior, model, prompts, labels, samples, 1), repetitions);
                yield return new Row(name, batch, posterior.Method == "ensemble" ? "ensemble / svgd" : posterior.Method, $"{samples} forward", ms, map);
            }
        }
    }
}
