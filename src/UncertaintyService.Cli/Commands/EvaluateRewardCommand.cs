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
/// <c>evaluate-reward</c>: pairwise accuracy, ECE, NLL and Brier of the preference probabilities, and their
/// agreement with the human vote fractions, for every method posterior.json lists (MAP, Laplace with its
/// probit and P(r_c &gt; r_r) variants, each sampled posterior) on every split but train; writes calibration.json.
/// </summary>
internal static class EvaluateRewardCommand
{
    public static Command Create()
    {
        var baseFolder = CommonOptions.Base();
        var adapter = CommonOptions.Adapter();
        var data = RewardOptions.Data();
        var splits = new Option<string[]>("--splits") { Description = "Splits to evaluate (default: every split but train).", AllowMultipleArgumentsPerToken = true };
        var limit = new Option<int?>("--limit") { Description = "At most this many pairs per split." };
        var samples = new Option<int>("--samples") { Description = "Laplace: Monte Carlo samples of the joint reward Gaussian per pair.", DefaultValueFactory = _ => 1000 };
        var weightSamples = new Option<int?>("--weight-samples") { Description = "Sampled posteriors: weight samples (forward passes) per pair (default: posterior.json's)." };
        var batchSize = CommonOptions.BatchSize(16);
        var maxTokens = CommonOptions.MaxTokens();
        var seed = CommonOptions.Seed();
        var command = new Command("evaluate-reward", "Calibration of a reward model's preference probabilities (MAP, Laplace Monte Carlo and probit, P(r_c > r_r)) against labels and human vote fractions.")
        {
            baseFolder, adapter, data, splits, limit, samples, weightSamples, batchSize, maxTokens, seed,
        };
        command.SetAction(parse =>
        {
            var pipeline = RewardPipeline.Load(parse.GetValue(baseFolder)!.FullName, parse.GetValue(adapter)!.FullName, parse.GetValue(data)!.FullName);
            var config = PosteriorConfig.LoadOrDefault(pipeline.AdapterFolder);
            var methodsToRun = new List<(string Name, IPredictiveMethod Method, int Samples)> { (MapMethod.MethodName, new MapMethod(pipeline.Adapter), 0) };
            if (config.Temperature is { } temperature)
                methodsToRun.Add((TemperatureMethod.MethodName, new TemperatureMethod(pipeline.Adapter, temperature.Value), 0));
            if (config.PriorPrecision is not null)
                methodsToRun.Add((LaplaceLoraPosterior.MethodName, config.LoadLaplace(pipeline.AdapterFolder, pipeline.Model, pipeline.Adapter)!, parse.GetValue(samples)));
            foreach (var (name, posterior) in SampledPosteriorLoader.LoadAll(pipeline.AdapterFolder, config, pipeline.Adapter))
            {
                int draws = parse.GetValue(weightSamples) ?? config.SampledEntries()[name].Samples;
                methodsToRun.Add((name, posterior, posterior.MaxSamples is { } most ? Math.Min(draws, most) : draws));
            }
            var chosenSplits = parse.GetValue(splits) is { Length: > 0 } s ? s : pipeline.Data.Splits.Where(x => x != "train").ToArray();
            KnownSplits.RequirePresent(chosenSplits, pipeline.Data.Splits, pipeline.Data.Path, "--splits");
            if (chosenSplits.Length == 0) throw new ArgumentException($"{pipeline.Data.Path}: no split besides train to evaluate");
            int batch = parse.GetValue(batchSize);
            ulong firstSeed = parse.GetValue(seed);
            // What a trivial predictor scores, fitted on the training pairs (the texts the reward model reads).
            (string, string) Texts(Data.PreferencePair p) => (RewardText.Format(pipeline.Task, p.Prompt, p.Chosen), RewardText.Format(pipeline.Task, p.Prompt, p.Rejected));
            var baselines = PreferenceBaselines.Fit(
                pipeline.Data.Split("train").Select(Texts).ToList(),
                pipeline.Data.Splits.Contains("validation") ? pipeline.Data.Split("validation").Select(Texts).ToList() : []);
            var report = new Dictionary<string, IReadOnlyDictionary<string, CalibrationMetrics>>();
            var table = new Table().AddColumns("split", "n", "method", "acc", "ECE", "NLL", "Brier", "|p-q|", "(p-q)^2", "corr(p,q)", "CE(q,p)", "ms/pair");
            foreach (var split in chosenSplits)
            {
                var (chosen, rejected, votes) = pipeline.Encode(split, parse.GetValue(limit), parse.GetValue(maxTokens));
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var methods = new Dictionary<string, CalibrationMetrics>();
                var perPair = new Dictionary<string, double>();
                foreach (var (name, method, count) in methodsToRun)
                {
                    var timer = System.Diagnostics.Stopwatch.StartNew();
                    var predictions = ConsoleProgress.Run($"{split}: {name}", chosen.Count,
                        progress => RewardPredictions.Preferences(method, pipeline.Model, chosen, rejected, count, firstSeed, batch, progress), "n");
                    double ms = timer.Elapsed.TotalMilliseconds / chosen.Count;
                    // A point estimate reports its sigmoid; a Gaussian also its probit and P(r_c > r_r) forms; samples their own mean.
                    var variants = method.Samples switch
                    {
                        SampleMeaning.None => [(name, predictions.Select(p => p.PMap))],
                        SampleMeaning.GaussianDraws => new[]
                        {
                            (name, predictions.Select(p => p.PChosenPreferred)),
                            ($"{name}_probit", predictions.Select(p => p.PProbit)),
                            ($"{name}_reward_higher", predictions.Select(p => p.PRewardHigher)),
                        },
                        _ => [(name, predictions.Select(p => p.PChosenPreferred))],
                    };
                    foreach (var (variant, probabilities) in variants)
                    {
                        methods[variant] = PreferenceMetricsCalculator.Compute([.. probabilities], votes);
                        perPair[variant] = ms;
                    }
                }
                foreach (var (name, probabilities) in baselines.Predict(pipeline.Data.Split(split, parse.GetValue(limit)).Select(Texts).ToList()))
                {
                    methods[name] = PreferenceMetricsCalculator.Compute(probabilities, votes);
                    perPair[name] = 0;
                }
                report[split] = methods;
                EvaluateCommand.WarnBelowFrequency(split, methods);
                foreach (var (name, x) in methods)
                {
                    var h = x.HumanVotes!;
                    table.AddRow(split, x.N.ToString(), name, $"{x.Acc:F3}", $"{x.Ece:F3}", $"{x.Nll:F3}", $"{x.Brier:F3}",
                        $"{h.Mae:F3}", $"{h.Brier:F4}", $"{h.Correlation:F3}", $"{h.CrossEntropy:F3} (floor {h.VoteEntropy:F3})", $"{perPair[name]:F1}");
                }
                ReliabilityDiagram.Save(Path.Combine(pipeline.AdapterFolder, $"reliability-{split}.png"), $"{pipeline.Adapter.Id}: {split}", methods);
                AnsiConsole.MarkupLine($"{split}: {chosen.Count} pairs in {clock.Elapsed.TotalSeconds:F0} s");
            }

            using var guard = AdapterFolderLock.Hold(pipeline.AdapterFolder);
            new CalibrationReport
            {
                Splits = report,
                Task = pipeline.Task.Description,
                DataSha256 = pipeline.Data.Sha256,
                CreatedAt = DateTimeOffset.UtcNow,
                EceBins = 15,
            }.Save(Path.Combine(pipeline.AdapterFolder, CalibrationReport.FileName));
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}
