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

/// <summary><c>finetune-reward</c>: a reward model's LoRA adapter and new score head by Bradley-Terry MAP training on preference pairs.</summary>
internal static class FinetuneRewardCommand
{
    public const string DefaultTemplate = "{prompt} {response}";

    public static Command Create()
    {
        var baseFolder = CommonOptions.Base();
        var data = RewardOptions.Data();
        var output = new Option<DirectoryInfo>("--out") { Description = "Adapter folder to write.", Required = true };
        var template = new Option<string>("--template") { Description = "How prompt and response become one text; written to task.json.", DefaultValueFactory = _ => DefaultTemplate };
        var rank = new Option<int>("--rank") { Description = "LoRA rank r.", DefaultValueFactory = _ => 8 };
        var alpha = new Option<double>("--alpha") { Description = "LoRA alpha (scale alpha / r).", DefaultValueFactory = _ => 16 };
        var targets = new Option<string[]>("--targets") { Description = "Modules to adapt (the score head is always trained whole).", DefaultValueFactory = _ => ["q_proj", "v_proj"], AllowMultipleArgumentsPerToken = true };
        var steps = new Option<int>("--steps") { Description = "Optimiser steps.", DefaultValueFactory = _ => 300 };
        var learningRate = new Option<double>("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => 1e-3 };
        var prior = new Option<double>("--prior-precision") { Description = "lambda of the Gaussian prior on LoRA and head, as lambda/(2N) ||theta||^2 in the objective.", DefaultValueFactory = _ => 1.0 };
        var trainSize = CommonOptions.TrainSize();
        var batchSize = new Option<int>("--batch-size") { Description = "Pairs per step (two texts each).", DefaultValueFactory = _ => 16 };
        var maxTokens = CommonOptions.MaxTokens();
        var seed = CommonOptions.Seed();

        var command = new Command("finetune-reward", "Reward-model MAP fine-tuning: Bradley-Terry loss -log sigmoid(r_chosen - r_rejected) plus the L2 prior, AdamW.")
        {
            baseFolder, data, output, template, rank, alpha, targets, steps, learningRate, prior, trainSize, batchSize, maxTokens, seed,
        };
        command.SetAction(parse =>
        {
            var basePath = parse.GetValue(baseFolder)!.FullName;
            var tokenizer = PromptTokenizer.Load(basePath);
            var model = LlamaModelLoader.Load(basePath, ScalarType.Float32, CPU);
            var preferences = PreferenceFile.Load(parse.GetValue(data)!.FullName);
            var task = new TaskDefinition
            {
                Kind = "reward",
                Labels = ["reward"],
                PromptTemplate = parse.GetValue(template),
                Description = $"Reward model trained on {Path.GetFileName(Path.GetDirectoryName(preferences.Path))} preference pairs (Bradley-Terry).",
            };
            task.Validate("--template");
            var train = preferences.Split("train", parse.GetValue(trainSize));
            var (chosen, rejected, _) = PreferenceFile.Encode(tokenizer, task, train, parse.GetValue(maxTokens));
            var config = new LoraConfig
            {
                R = parse.GetValue(rank),
                LoraAlpha = parse.GetValue(alpha),
                TaskType = "SEQ_CLS",
                TargetModules = JsonSerializer.SerializeToElement(parse.GetValue(targets)),
                ModulesToSave = [LlamaModel.ScoreModulePath],
            };
            var options = new LoraTrainingOptions(parse.GetValue(steps), parse.GetValue(learningRate), parse.GetValue(batchSize),
                parse.GetValue(prior), parse.GetValue(seed));
            var outputFolder = parse.GetValue(output)!.FullName;

            AnsiConsole.MarkupLine($"[bold]finetune-reward[/] {train.Count} train pairs, rank {config.R}, targets {string.Join(" ", parse.GetValue(targets)!)} + score head");
            var (adapter, log) = ConsoleProgress.Run("training", options.Steps, progress =>
                RewardTrainer.Train(model, Path.GetFileName(outputFolder), config, chosen, rejected, options, progress));
            LoraAdapterWriter.Write(outputFolder, adapter);
            task.Save(Path.Combine(outputFolder, TaskDefinition.FileName));
            AnsiConsole.MarkupLine($"loss {log.Losses.Take(10).Average():F4} -> {log.Losses.TakeLast(10).Average():F4} in {log.Elapsed.TotalSeconds:F0} s; wrote {outputFolder}");
            return 0;
        });
        return command;
    }
}
