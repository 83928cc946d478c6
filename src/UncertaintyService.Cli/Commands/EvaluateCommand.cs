using System.CommandLine;
using Spectre.Console;
using UncertaintyService.Cli.Pipeline;
using UncertaintyService.Core.Baselines;
using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Prediction;
using UncertaintyService.Core.Sampling;

namespace UncertaintyService.Cli.Commands;

/// <summary>
/// <c>evaluate</c>: accuracy, ECE (15 bins), NLL and Brier of MAP, Laplace (Monte Carlo and probit) and
/// every sampled posterior posterior.json lists, on every split present, with each method's time per
/// prompt; writes calibration.json and a reliability diagram per split.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var baseFolder = CommonOptions.Base();
        var adapter = CommonOptions.Adapter();
        var data = CommonOptions.Data();
        var splits = new Option<string[]>("--splits") { Description = "Splits to evaluate (default: every split but train).", AllowMultipleArgumentsPerToken = true };
        var limit = new Option<int?>("--limit") { Description = "At most this many examples per split." };
        var samples = new Option<int>("--samples") { Description = "Laplace: Monte Carlo samples of the logit Gaussian per prompt.", DefaultValueFactory = _ => 1000 };
        var weightSamples = new Option<int?>("--weight-samples") { Description = "Sampled posteriors: weight samples (forward passes) per prompt (default: posterior.json's)." };
        var methodsOption = new Option<string[]>("--methods") { Description = "Only these methods (default: every method posterior.json lists).", AllowMultipleArgumentsPerToken = true };
        var batchSize = CommonOptions.BatchSize(16);
        var maxTokens = CommonOptions.MaxTokens();
        var seed = CommonOptions.Seed();
        var trainSize = CommonOptions.TrainSize();
        var prediction = new Option<string>("--prediction")
        {
            Description = "Which class each method answers with: predictive (its own probabilities' argmax) or map (the MAP logits' argmax, so every method keeps MAP's accuracy).",
            DefaultValueFactory = _ => "predictive",
        };
        prediction.AcceptOnlyFromAmong("predictive", "map");
        var command = new Command("evaluate", "Calibration report of every method the adapter has on every split; writes calibration.json and reliability diagrams.")
        {
            baseFolder, adapter, data, splits, limit, samples, weightSamples, methodsOption, batchSize, maxTokens, seed, trainSize, prediction,
        };
        command.SetAction(parse =>
        {
            var pipeline = LoadedPipeline.Load(parse.GetValue(baseFolder)!.FullName, parse.GetValue(adapter)!.FullName, parse.GetValue(data)!.FullName);
            var config = PosteriorConfig.LoadOrDefault(pipeline.AdapterFolder);
            // Every row the table can show may be asked for: laplace_probit comes with Laplace's moments.
            var reportable = config.AvailableMethods().Concat(config.AvailableMethods().Contains("laplace") ? ["laplace_probit"] : Array.Empty<string>()).ToList();
            var wanted = parse.GetValue(methodsOption) is { Length: > 0 } only ? only : reportable.ToArray();
            var unknown = wanted.Where(m => !reportable.Contains(m)).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException($"--methods {string.Join(", ", unknown)}: not a method of this adapter, which has {string.Join(", ", reportable)}");
            var laplace = wanted.Contains("laplace") || wanted.Contains("laplace_probit") ? config.LoadLaplace(pipeline.AdapterFolder, pipeline.Model, pipeline.Adapter) : null;
            var sampled = SampledPosteriorLoader.LoadAll(pipeline.AdapterFolder, config, pipeline.Adapter).Where(p => wanted.Contains(p.Key)).ToList();
            var chosen = parse.GetValue(splits) is { Length: > 0 } s ? s : pipeline.Data.Splits.Where(x => x != "train").ToArray();
            KnownSplits.RequirePresent(chosen, pipeline.Data.Splits, pipeline.Data.Path, "--splits");
            if (chosen.Length == 0) throw new ArgumentException($"{pipeline.Data.Path}: no split besides train to evaluate");
            int batch = parse.GetValue(batchSize), mc = parse.GetValue(samples);
            // What a trivial predictor scores, fitted on the training examples the adapter learnt from.
            var train = pipeline.Data.Split("train", parse.GetValue(trainSize));
            var validation = pipeline.Data.Splits.Contains("validation") ? pipeline.Data.Split("validation") : [];
            int LabelOf(Data.TaskExample e) => pipeline.Data.Definition.Labels.ToList().IndexOf(e.Label);
            var baselines = CalibrationBaselines.Fit(train.Select(e => e.Prompt).ToList(), train.Select(LabelOf).ToList(), pipeline.Data.Definition.Labels.Count,
                validation.Select(e => e.Prompt).ToList(), validation.Select(LabelOf).ToList());
            var report = new Dictionary<string, IReadOnlyDictionary<string, CalibrationMetrics>>();
            var table = new Table().AddColumns("split", "n", "method", "acc", "ece", "nll", "brier", "ms/prompt");

            foreach (var split in chosen)
            {
                var (prompts, labels) = pipeline.Encode(split, parse.GetValue(limit), parse.GetValue(maxTokens));
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var methods = new Dictionary<string, CalibrationMetrics>();
                var perPrompt = new Dictionary<string, double>();
                var timer = System.Diagnostics.Stopwatch.StartNew();
                var mapLogits = BatchedPredictions.MapLogits(pipeline.Model, pipeline.Adapter, prompts, pipeline.ClassIndices, batch);
                int[]? answered = parse.GetValue(prediction) == "map" ? mapLogits.Select(z => Array.IndexOf(z, z.Max())).ToArray() : null;
                CalibrationMetrics Metrics(double[][] probabilities) => CalibrationMetricsCalculator.Compute(probabilities, labels.ToArray(), predicted: answered);
                if (wanted.Contains("map"))
                    methods["map"] = Metrics(mapLogits.Select(z => Softmax.Of(z)).ToArray());
                if (wanted.Contains(TemperatureMethod.MethodName) && config.Temperature is { } temperature)
                {
                    methods[TemperatureMethod.MethodName] = Metrics(
                        mapLogits.Select(z => Softmax.Of(z, temperature.Value)).ToArray());
                    perPrompt[TemperatureMethod.MethodName] = timer.Elapsed.TotalMilliseconds / prompts.Count;
                }
                perPrompt["map"] = timer.Elapsed.TotalMilliseconds / prompts.Count;
                if (laplace is not null)
                {
                    timer.Restart();
                    var (means, covariances) = ConsoleProgress.Run($"{split}: Laplace", prompts.Count,
                        progress => BatchedPredictions.LaplaceMoments(laplace, prompts, pipeline.ClassIndices, batch, progress), "n");
                    var summaries = means.Select((m, i) => LogitPredictive.Summarise(m, covariances[i], mc, unchecked(parse.GetValue(seed) + (ulong)i))).ToArray();
                    if (wanted.Contains("laplace"))
                        methods["laplace"] = Metrics(summaries.Select(x => x.SampledMean).ToArray());
                    if (wanted.Contains("laplace_probit"))
                        methods["laplace_probit"] = Metrics(summaries.Select(x => x.Probit).ToArray());
                    perPrompt["laplace"] = perPrompt["laplace_probit"] = timer.Elapsed.TotalMilliseconds / prompts.Count;
                }
                foreach (var (method, posterior) in sampled)
                {
                    int weightDraws = parse.GetValue(weightSamples) ?? config.SampledEntries()[method].Samples;
                    if (posterior.MaxSamples is { } most) weightDraws = Math.Min(weightDraws, most);
                    timer.Restart();
                    var predictions = ConsoleProgress.Run($"{split}: {method} ({weightDraws} samples)", prompts.Count,
                        progress => BatchedPredictions.Sampled(posterior, pipeline.Model, prompts, pipeline.ClassIndices, weightDraws, parse.GetValue(seed), batch, progress), "n");
                    methods[method] = Metrics(predictions.Select(p => p.Probabilities.SampledMean).ToArray());
                    perPrompt[method] = timer.Elapsed.TotalMilliseconds / prompts.Count;
                }
                foreach (var (name, probabilities) in baselines.Predict(pipeline.Data.Split(split, parse.GetValue(limit)).Select(e => e.Prompt).ToList()))
                {
                    methods[name] = CalibrationMetricsCalculator.Compute(probabilities, labels.ToArray());
                    perPrompt[name] = 0;
                }
                report[split] = methods;
                WarnBelowFrequency(split, methods);
                foreach (var (name, m) in methods)
                    table.AddRow(split, m.N.ToString(), name, $"{m.Acc:F3}", $"{m.Ece:F3}", $"{m.Nll:F3}", $"{m.Brier:F3}", $"{perPrompt[name]:F1}");
                ReliabilityDiagram.Save(Path.Combine(pipeline.AdapterFolder, $"reliability-{split}.png"), $"{pipeline.Adapter.Id}: {split}", methods);
                AnsiConsole.MarkupLine($"{split}: {prompts.Count} examples in {clock.Elapsed.TotalSeconds:F0} s");
            }

            using var guard = AdapterFolderLock.Hold(pipeline.AdapterFolder);
            new CalibrationReport
            {
                Splits = report,
                Prediction = parse.GetValue(prediction),
                Task = pipeline.Data.Definition.Description,
                DataSha256 = pipeline.Data.Sha256,
                CreatedAt = DateTimeOffset.UtcNow,
                EceBins = 15,
            }.Save(Path.Combine(pipeline.AdapterFolder, CalibrationReport.FileName));
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    /// <summary>Names every method whose NLL does not beat the training class frequencies (pairs: the uniform 1/2).</summary>
    internal static void WarnBelowFrequency(string split, IReadOnlyDictionary<string, CalibrationMetrics> methods)
    {
        string reference = methods.ContainsKey(CalibrationBaselines.Frequency) ? CalibrationBaselines.Frequency : CalibrationBaselines.Uniform;
        if (!methods.TryGetValue(reference, out var baseline)) return;
        foreach (var (name, m) in methods)
            if (!name.StartsWith("baseline_", StringComparison.Ordinal) && m.Nll >= baseline.Nll)
                Console.Error.WriteLine($"warning: {split}: {name} NLL {m.Nll:F3} does not beat {reference}'s {baseline.Nll:F3}");
    }
}
