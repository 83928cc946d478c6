using System.CommandLine;
using Spectre.Console;
using UncertaintyService.Cli.Pipeline;
using UncertaintyService.Core.Laplace;

namespace UncertaintyService.Cli.Commands;

/// <summary><c>fit-kfac-reward</c>: K-FAC factors of a reward adapter (LoRA matrices and the saved head) under the Bradley-Terry likelihood.</summary>
internal static class FitKfacRewardCommand
{
    public static Command Create()
    {
        var baseFolder = CommonOptions.Base();
        var adapter = CommonOptions.Adapter();
        var data = RewardOptions.Data();
        var fisher = new Option<FisherKind>("--fisher") { Description = "exact (p(1-p) on r_c - r_r), mc (sampled preference) or empirical (observed preference).", DefaultValueFactory = _ => FisherKind.Exact };
        var positions = new Option<PositionHandling>("--positions") { Description = "expand, reduce or last, per response, for the decoder's LoRA matrices.", DefaultValueFactory = _ => PositionHandling.Expand };
        var rankK = new Option<int?>("--rank-k") { Description = "Keep the large sides as rank-k square roots (incremental SVD); default square." };
        var trainSize = CommonOptions.TrainSize();
        var batchSize = CommonOptions.BatchSize(8);
        var maxTokens = CommonOptions.MaxTokens();
        var seed = CommonOptions.Seed();
        var command = new Command("fit-kfac-reward", "Fit the Kronecker factors of a reward model's Laplace posterior (Bradley-Terry Fisher) on the train pairs.")
        {
            baseFolder, adapter, data, fisher, positions, rankK, trainSize, batchSize, maxTokens, seed,
        };
        command.SetAction(parse =>
        {
            var pipeline = RewardPipeline.Load(parse.GetValue(baseFolder)!.FullName, parse.GetValue(adapter)!.FullName, parse.GetValue(data)!.FullName);
            var (chosen, rejected, _) = pipeline.Encode("train", parse.GetValue(trainSize), parse.GetValue(maxTokens));
            var options = new KfacFitOptions(parse.GetValue(fisher), parse.GetValue(positions), parse.GetValue(rankK), parse.GetValue(batchSize), parse.GetValue(seed));
            var output = Path.Combine(pipeline.AdapterFolder, KfacFactorFile.FileName);
            AnsiConsole.MarkupLine($"[bold]fit-kfac-reward[/] {chosen.Count} pairs, fisher {options.Fisher}, positions {options.Positions}");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = ConsoleProgress.Run("accumulating", chosen.Count, progress =>
                PreferenceKfacFitter.Fit(pipeline.Model, pipeline.Adapter, chosen, rejected, options, output,
                    new Progress<int>(done => progress.Report((done, double.NaN)))));
            AnsiConsole.MarkupLine($"wrote {output}: {result.Factors.Modules.Count} matrices, N = {result.Examples} pairs, "
                + $"training log-likelihood {result.LogLikelihood:F2}, {clock.Elapsed.TotalSeconds:F0} s");
            return 0;
        });
        return command;
    }
}
