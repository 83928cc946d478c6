using System.CommandLine;
using Spectre.Console;
using UncertaintyService.Cli.Pipeline;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Core.Training;

namespace UncertaintyService.Cli.Commands;

/// <summary><c>fit-swag</c>: continue from the adapter's MAP weights at a constant learning rate and collect SWAG moments; writes swag.safetensors.</summary>
internal static class FitSwagCommand
{
    public static Command Create()
    {
        var common = new PosteriorTrainingOptions(steps: 200, samples: 10);
        var every = new Option<int>("--every") { Description = "Steps between snapshots.", DefaultValueFactory = _ => 10 };
        var rankK = new Option<int>("--rank-k") { Description = "K: deviation columns of the low-rank part (0: diagonal SWAG).", DefaultValueFactory = _ => 10 };
        var scale = new Option<double>("--scale") { Description = "Covariance scale (1/2 with the low-rank part, as in the paper).", DefaultValueFactory = _ => 0.5 };
        var command = new Command("fit-swag", "SWAG-LoRA: snapshots of the LoRA weights along constant-rate fine-tuning from the MAP adapter; writes swag.safetensors.")
        {
            every, rankK, scale,
        };
        common.AddTo(command);
        command.SetAction(parse =>
        {
            var (pipeline, prompts, labels) = common.Load(parse);
            var options = common.Training(parse);
            var swag = new SwagOptions(parse.GetValue(every), parse.GetValue(rankK), parse.GetValue(scale));
            var output = Path.Combine(pipeline.AdapterFolder, SwagPosterior.DefaultFileName);
            AnsiConsole.MarkupLine($"[bold]fit-swag[/] {prompts.Count} examples, {options.Steps} steps at lr {options.LearningRate}, snapshot every {swag.Every}, K = {swag.DeviationColumns}");
            var (posterior, log) = ConsoleProgress.Run("collecting", options.Steps, progress =>
                SwagCollector.Collect(pipeline.Model, pipeline.Adapter, prompts, labels, pipeline.ClassIndices, options, swag, output, progress));
            posterior.Save(output);
            AnsiConsole.MarkupLine($"loss {log.Losses.Take(10).Average():F4} -> {log.Losses.TakeLast(10).Average():F4} in {log.Elapsed.TotalSeconds:F0} s; "
                + $"{posterior.Snapshots} snapshots; wrote {output}");
            SampledPosteriorOutput.Register(pipeline.AdapterFolder, SwagPosterior.MethodName, SwagPosterior.DefaultFileName, parse.GetValue(common.Samples), parse.GetValue(common.MakeDefault));
            return 0;
        });
        return command;
    }
}
