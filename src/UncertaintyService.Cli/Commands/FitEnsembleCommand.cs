using System.CommandLine;
using Spectre.Console;
using UncertaintyService.Cli.Pipeline;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Sampling;
using UncertaintyService.Core.Training;

namespace UncertaintyService.Cli.Commands;

/// <summary><c>fit-ensemble</c>: K independently seeded LoRA fine-tunes, or with --svgd K particles trained jointly; writes ensemble.safetensors or svgd.safetensors.</summary>
internal static class FitEnsembleCommand
{
    public static Command Create()
    {
        var common = new PosteriorTrainingOptions(steps: 400, samples: 5);
        var members = new Option<int>("--members") { Description = "K: members (particles).", DefaultValueFactory = _ => 5 };
        var svgd = new Option<bool>("--svgd") { Description = "Train the K particles jointly by Stein variational gradient descent (RBF kernel)." };
        var command = new Command("fit-ensemble", "A LoRA ensemble of K seeded fine-tunes (or K SVGD particles) with the adapter's config; writes ensemble.safetensors (svgd.safetensors).")
        {
            members, svgd,
        };
        common.AddTo(command);
        command.SetAction(parse =>
        {
            var options = common.Training(parse);
            int k = parse.GetValue(members);
            bool joint = parse.GetValue(svgd);
            if (k < 2) throw new ArgumentException("--members must be at least 2.");
            int samples = Math.Min(parse.GetValue(common.Samples), k);
            var training = joint ? ParticleTraining.Svgd : ParticleTraining.Independent;
            var fileName = ParticlePosterior.DefaultFileName(training);
            string adapterFolder;
            ParticlePosterior posterior;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            if (joint)
            {
                var (pipeline, prompts, labels) = common.Load(parse);
                adapterFolder = pipeline.AdapterFolder;
                AnsiConsole.MarkupLine($"[bold]fit-ensemble --svgd[/] {k} particles, {prompts.Count} examples, {options.Steps} steps");
                var (particles, log) = ConsoleProgress.Run("SVGD", options.Steps, progress =>
                    SvgdTrainer.Train(pipeline.Model, pipeline.Adapter.Id, pipeline.Adapter.Config, prompts, labels, pipeline.ClassIndices, options, k,
                        Path.Combine(adapterFolder, fileName), progress));
                AnsiConsole.MarkupLine($"mean particle loss {log.Losses.Take(10).Average():F4} -> {log.Losses.TakeLast(10).Average():F4}");
                posterior = particles;
            }
            else
            {
                var memberTraining = common.LoadMembers(parse);
                adapterFolder = memberTraining.AdapterFolder;
                AnsiConsole.MarkupLine($"[bold]fit-ensemble[/] {k} members, {memberTraining.DataDescription}, {options.Steps} steps each");
                var adapters = new List<LoraAdapter>();
                for (int member = 0; member < k; member++)
                {
                    var seeded = options with { Seed = unchecked(options.Seed + (ulong)member) };
                    var (adapter, log) = ConsoleProgress.Run($"member {member + 1}/{k}", options.Steps, progress => memberTraining.Train(seeded, progress));
                    AnsiConsole.MarkupLine($"member {member + 1}: loss {log.Losses.Take(10).Average():F4} -> {log.Losses.TakeLast(10).Average():F4}");
                    adapters.Add(adapter);
                }
                posterior = ParticlePosterior.FromMembers(Path.Combine(adapterFolder, fileName), adapters, training);
            }
            var output = Path.Combine(adapterFolder, fileName);
            posterior.Save(output);
            AnsiConsole.MarkupLine($"wrote {output} in {clock.Elapsed.TotalSeconds:F0} s");
            SampledPosteriorOutput.Register(adapterFolder, posterior.Method, fileName, samples, parse.GetValue(common.MakeDefault));
            return 0;
        });
        return command;
    }
}
