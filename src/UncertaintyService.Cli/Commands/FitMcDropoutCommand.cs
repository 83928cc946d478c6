using System.CommandLine;
using Spectre.Console;
using UncertaintyService.Cli.Pipeline;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Core.Training;

namespace UncertaintyService.Cli.Commands;

/// <summary><c>fit-mc-dropout</c>: LoRA MAP fine-tuning with dropout on every LoRA input, kept on at prediction; writes mc_dropout.safetensors.</summary>
internal static class FitMcDropoutCommand
{
    public static Command Create()
    {
        var common = new PosteriorTrainingOptions(steps: 400, samples: 10);
        var dropout = new Option<double>("--dropout") { Description = "p: probability of zeroing a LoRA input element (training and prediction).", DefaultValueFactory = _ => 0.1 };
        var command = new Command("fit-mc-dropout", "MC dropout: fine-tune with dropout on the LoRA inputs (adapter's config; classification or reward adapter); writes mc_dropout.safetensors.")
        {
            dropout,
        };
        common.AddTo(command);
        command.SetAction(parse =>
        {
            double p = parse.GetValue(dropout);
            if (!(p is > 0 and < 1)) throw new ArgumentException("--dropout must be in (0, 1).");
            var members = common.LoadMembers(parse);
            var options = common.Training(parse, p);
            var output = Path.Combine(members.AdapterFolder, McDropoutPosterior.DefaultFileName);
            AnsiConsole.MarkupLine($"[bold]fit-mc-dropout[/] {members.DataDescription}, p = {p}, {options.Steps} steps");
            var (adapter, log) = ConsoleProgress.Run("training", options.Steps, progress => members.Train(options, progress));
            new McDropoutPosterior(output, adapter, p).Save(output);
            AnsiConsole.MarkupLine($"loss {log.Losses.Take(10).Average():F4} -> {log.Losses.TakeLast(10).Average():F4} in {log.Elapsed.TotalSeconds:F0} s; wrote {output}");
            SampledPosteriorOutput.Register(members.AdapterFolder, McDropoutPosterior.MethodName, McDropoutPosterior.DefaultFileName, parse.GetValue(common.Samples), parse.GetValue(common.MakeDefault));
            return 0;
        });
        return command;
    }
}
