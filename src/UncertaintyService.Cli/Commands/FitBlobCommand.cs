using System.CommandLine;
using Spectre.Console;
using UncertaintyService.Cli.Pipeline;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Core.Training;

namespace UncertaintyService.Cli.Commands;

/// <summary><c>fit-blob</c>: BLoB variational fine-tuning with the adapter's LoRA config; writes blob.safetensors.</summary>
internal static class FitBlobCommand
{
    public static Command Create()
    {
        var common = new PosteriorTrainingOptions(steps: 400, samples: 10);
        var priorStd = new Option<double>("--prior-std") { Description = "beta: the prior on every element of A is N(0, beta^2).", DefaultValueFactory = _ => 0.2 };
        var initialSigma = new Option<double>("--initial-sigma") { Description = "sigma of A at the start.", DefaultValueFactory = _ => 1e-3 };
        var klWeight = new Option<double>("--kl-weight") { Description = "Weight of the KL term (1: the ELBO; below 1: a tempered posterior).", DefaultValueFactory = _ => 1.0 };
        var mapping = new Option<SigmaMapping>("--sigma-mapping") { Description = "square (sigma = G^2) or softplus.", DefaultValueFactory = _ => SigmaMapping.Square };
        var command = new Command("fit-blob", "BLoB: variational LoRA fine-tuning (Gaussian A, deterministic B) on the train split; writes blob.safetensors.")
        {
            priorStd, initialSigma, klWeight, mapping,
        };
        common.AddTo(command);
        command.SetAction(parse =>
        {
            var (pipeline, prompts, labels) = common.Load(parse);
            var options = common.Training(parse);
            var blob = new BlobOptions(parse.GetValue(priorStd), parse.GetValue(initialSigma), parse.GetValue(klWeight), parse.GetValue(mapping));
            var output = Path.Combine(pipeline.AdapterFolder, BlobPosterior.DefaultFileName);
            AnsiConsole.MarkupLine($"[bold]fit-blob[/] {prompts.Count} examples, beta {blob.PriorStd}, KL weight {blob.KlWeight}, {options.Steps} steps");
            var (posterior, log) = ConsoleProgress.Run("training", options.Steps, progress =>
                BlobTrainer.Train(pipeline.Model, pipeline.Adapter.Id, pipeline.Adapter.Config, prompts, labels, pipeline.ClassIndices, options, blob, output, progress));
            posterior.Save(output);
            double meanSigma = posterior.Adapter.Modules.Average(m => posterior.SigmaOf(m.ModulePath).mean().item<double>());
            AnsiConsole.MarkupLine($"loss {log.Losses.Take(10).Average():F4} -> {log.Losses.TakeLast(10).Average():F4} in {log.Elapsed.TotalSeconds:F0} s; "
                + $"mean sigma {meanSigma:G3}; wrote {output}");
            SampledPosteriorOutput.Register(pipeline.AdapterFolder, BlobPosterior.MethodName, BlobPosterior.DefaultFileName, parse.GetValue(common.Samples), parse.GetValue(common.MakeDefault));
            return 0;
        });
        return command;
    }
}
