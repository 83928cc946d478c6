using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using UncertaintyService.Cli.Pipeline;
using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Tokenization;
using UncertaintyService.Core.Training;
using static TorchSharp.torch;

namespace UncertaintyService.Cli.Commands;

/// <summary><c>finetune</c>: LoRA MAP training on a task's train split; writes PEFT files and task.json.</summary>
internal static class FinetuneCommand
{
    public static Command Create()
    {
        var baseFolder = CommonOptions.Base();
        var data = CommonOptions.Data();
        var task = new Option<FileInfo?>("--task") { Description = "task.json (default: beside --data)." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Adapter folder to write.", Required = true };
        var rank = new Option<int>("--rank") { Description = "LoRA rank r.", DefaultValueFactory = _ => 8 };
        var alpha = new Option<double>("--alpha") { Description = "LoRA alpha (scale alpha / r).", DefaultValueFactory = _ => 16 };
        var targets = new Option<string[]>("--targets") { Description = "Modules to adapt.", DefaultValueFactory = _ => ["q_proj", "v_proj"], AllowMultipleArgumentsPerToken = true };
        var steps = new Option<int>("--steps") { Description = "Optimiser steps.", DefaultValueFactory = _ => 300 };
        var learningRate = new Option<double>("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => 1e-3 };
        var prior = new Option<double>("--prior-precision") { Description = "lambda of the Gaussian prior, as lambda/(2N) ||theta||^2 in the objective.", DefaultValueFactory = _ => 1.0 };
        var trainSize = CommonOptions.TrainSize();
        var batchSize = CommonOptions.BatchSize(8);
        var maxTokens = CommonOptions.MaxTokens();
        var seed = CommonOptions.Seed();

        var command = new Command("finetune", "LoRA MAP fine-tuning: cross-entropy over the label tokens at the last position, AdamW.")
        {
            baseFolder, data, task, output, rank, alpha, targets, steps, learningRate, prior, trainSize, batchSize, maxTokens, seed,
        };
        command.SetAction(parse =>
        {
            var basePath = parse.GetValue(baseFolder)!.FullName;
            var taskFile = TaskFile.Load(parse.GetValue(data)!.FullName, parse.GetValue(task)?.FullName);
            var tokenizer = PromptTokenizer.Load(basePath);
            var model = LlamaModelLoader.Load(basePath, ScalarType.Float32, CPU);
            var train = taskFile.Split("train", parse.GetValue(trainSize));
            var (prompts, labels) = taskFile.Encode(tokenizer, train, parse.GetValue(maxTokens));
            var classes = tokenizer.LabelTokens(taskFile.Definition.TokenTexts, taskFile.Definition.LabelContext).Select(i => (long)i).ToArray();
            var config = new LoraConfig
            {
                R = parse.GetValue(rank),
                LoraAlpha = parse.GetValue(alpha),
                TaskType = "CAUSAL_LM",
                TargetModules = JsonSerializer.SerializeToElement(parse.GetValue(targets)),
            };
            var options = new LoraTrainingOptions(parse.GetValue(steps), parse.GetValue(learningRate), parse.GetValue(batchSize),
                parse.GetValue(prior), parse.GetValue(seed));
            var outputFolder = parse.GetValue(output)!.FullName;

            AnsiConsole.MarkupLine($"[bold]finetune[/] {train.Count} train examples, {classes.Length} classes, rank {config.R}, targets {string.Join(" ", parse.GetValue(targets)!)}");
            var (adapter, log) = ConsoleProgress.Run("training", options.Steps, progress =>
                LoraTrainer.Train(model, Path.GetFileName(outputFolder), config, prompts, labels, classes, options, progress));
            LoraAdapterWriter.Write(outputFolder, adapter);
            taskFile.Definition.Save(Path.Combine(outputFolder, TaskDefinition.FileName));
            AnsiConsole.MarkupLine($"loss {log.Losses.Take(10).Average():F4} -> {log.Losses.TakeLast(10).Average():F4} in {log.Elapsed.TotalSeconds:F0} s; wrote {outputFolder}");
            return 0;
        });
        return command;
    }
}
