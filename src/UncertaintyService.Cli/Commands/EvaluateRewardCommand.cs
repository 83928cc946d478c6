using System.CommandLine;
using Spectre.Console;
using UncertaintyService.Cli.Pipeline;
using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Laplace;
using UncertaintyService.Core.Prediction;

namespace UncertaintyService.Cli.Commands;

/// <summary>
/// <c>evaluate-reward</c>: pairwise accuracy, ECE, NLL and Brier of the preference probabilities, and their
/// agreement with the human vote fractions, for MAP and Laplace on every split but train; writes calibration.json.
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
        var samples = new Option<int>("--samples") { Description = "Monte Carlo samples per pair.", DefaultValueFactory = _ => 1000 };
        var batchSize = CommonOptions.BatchSize(16);
        var maxTokens = CommonOptions.MaxTokens();
        var seed = CommonOptions.Seed();
        var command = new Command("evaluate-reward", "Calibration of a reward model's preference probabilities (MAP, Laplace Monte Carlo and probit, P(r_c > r_r)) against labels and human vote fractions.")
        {
            baseFolder, adapter, data, splits, limit, samples, batchSize, maxTokens, seed,
        };
        command.SetAction(parse =>
        {
            var pipeline = RewardPipeline.Load(parse.GetValue(baseFolder)!.FullName, parse.GetValue(adapter)!.FullName, parse.GetValue(data)!.FullName);
            var laplace = File.Exists(Path.Combine(pipeline.AdapterFolder, PosteriorConfig.FileName))
                ? PosteriorConfig.LoadPosterior(pipeline.AdapterFolder, pipeline.Model, pipeline.Adapter).Posterior
                : null;
            var chosenSplits = parse.GetValue(splits) is { Length: > 0 } s ? s : pipeline.Data.Splits.Where(x => x != "train").ToArray();
            int batch = parse.GetValue(batchSize), mc = parse.GetValue(samples);
            ulong firstSeed = parse.GetValue(seed);
            var report = new Dictionary<string, IReadOnlyDictionary<string, CalibrationMetrics>>();
            var table = new Table().AddColumns("split", "n", "method", "acc", "ECE", "NLL", "Brier", "|p-q|", "(p-q)^2", "corr(p,q)", "CE(q,p)");
            foreach (var split in chosenSplits)
            {
                var (chosen, rejected, votes) = pipeline.Encode(split, parse.GetValue(limit), parse.GetValue(maxTokens));
                if (chosen.Count == 0) continue;
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var methods = new Dictionary<string, CalibrationMetrics>();
                var map = RewardPredictions.Pairs(null, pipeline, chosen, rejected, batch);
                methods["map"] = PreferenceMetricsCalculator.Compute(
                    [.. map.Chosen.Means.Zip(map.Rejected.Means, (c, r) => PreferenceProbability.Sigmoid(c - r))], votes);
                if (laplace is not null)
                {
                    var moments = ConsoleProgress.Run($"{split}: Laplace", chosen.Count,
                        progress => RewardPredictions.Pairs(laplace, pipeline, chosen, rejected, batch, progress), "n");
                    var monteCarlo = new double[chosen.Count];
                    var probit = new double[chosen.Count];
                    var higher = new double[chosen.Count];
                    for (int i = 0; i < chosen.Count; i++)
                    {
                        double m = moments.Chosen.Means[i] - moments.Rejected.Means[i];
                        double s2 = PreferenceProbability.DifferenceVariance(moments.Chosen.Variances[i], moments.Rejected.Variances[i], moments.Covariances[i]);
                        monteCarlo[i] = PreferenceProbability.MonteCarlo(moments.Chosen.Means[i], moments.Rejected.Means[i], moments.Chosen.Variances[i],
                            moments.Rejected.Variances[i], moments.Covariances[i], mc, unchecked(firstSeed + (ulong)i)).Mean;
                        probit[i] = PreferenceProbability.Probit(m, s2);
                        higher[i] = PreferenceProbability.RewardHigher(m, s2);
                    }
                    methods["laplace"] = PreferenceMetricsCalculator.Compute(monteCarlo, votes);
                    methods["laplace_probit"] = PreferenceMetricsCalculator.Compute(probit, votes);
                    methods["laplace_reward_higher"] = PreferenceMetricsCalculator.Compute(higher, votes);
                }
                report[split] = methods;
                foreach (var (name, x) in methods)
                {
                    var h = x.HumanVotes!;
                    table.AddRow(split, x.N.ToString(), name, $"{x.Acc:F3}", $"{x.Ece:F3}", $"{x.Nll:F3}", $"{x.Brier:F3}",
                        $"{h.Mae:F3}", $"{h.Brier:F4}", $"{h.Correlation:F3}", $"{h.CrossEntropy:F3} (floor {h.VoteEntropy:F3})");
                }
                ReliabilityDiagram.Save(Path.Combine(pipeline.AdapterFolder, $"reliability-{split}.png"), $"{pipeline.Adapter.Id}: {split}", methods);
                AnsiConsole.MarkupLine($"{split}: {chosen.Count} pairs in {clock.Elapsed.TotalSeconds:F0} s");
            }

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
