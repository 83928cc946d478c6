using System.CommandLine;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Training;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>The options every posterior-training command shares (the adapter folder gives rank, alpha and targets).</summary>
public sealed class PosteriorTrainingOptions
{
    public Option<DirectoryInfo> Base { get; } = CommonOptions.Base();
    public Option<DirectoryInfo> Adapter { get; } = CommonOptions.Adapter();
    public Option<FileInfo> Data { get; } = new("--data")
    {
        Description = "Task JSONL file (one {\"prompt\",\"label\",\"split\"} per line) for a classification adapter; preferences.jsonl for a reward adapter.",
        Required = true,
    };
    public Option<int> Steps { get; }
    public Option<double> LearningRate { get; } = new("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => 2e-3 };
    public Option<double> Prior { get; } = new("--prior-precision") { Description = "lambda of the L2 prior, as in finetune.", DefaultValueFactory = _ => 1.0 };
    public Option<int?> TrainSize { get; } = CommonOptions.TrainSize();
    public Option<int> BatchSize { get; } = CommonOptions.BatchSize(8);
    public Option<int> MaxTokens { get; } = CommonOptions.MaxTokens();
    public Option<ulong> Seed { get; } = CommonOptions.Seed();
    public Option<int> Samples { get; }
    public Option<bool> MakeDefault { get; } = new("--default") { Description = "Make this the method served when a request names none." };

    public PosteriorTrainingOptions(int steps, int samples)
    {
        Steps = new Option<int>("--steps") { Description = "Optimiser steps.", DefaultValueFactory = _ => steps };
        Samples = new Option<int>("--samples") { Description = "Default samples per prompt written to posterior.json (each a forward pass).", DefaultValueFactory = _ => samples };
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Base, Adapter, Data, Steps, LearningRate, Prior, TrainSize, BatchSize, MaxTokens, Seed, Samples, MakeDefault })
            command.Options.Add(option);
    }

    public LoraTrainingOptions Training(ParseResult parse, double dropout = 0) =>
        new(parse.GetValue(Steps), parse.GetValue(LearningRate), parse.GetValue(BatchSize), parse.GetValue(Prior), parse.GetValue(Seed), dropout);

    /// <summary>
    /// How one member is trained on the adapter's data, for the commands that fit classification and
    /// reward adapters alike (ensembles, MC dropout): cross-entropy on the labels, or Bradley-Terry on
    /// the preference pairs (then --data is a preferences.jsonl), the adapter's structure either way.
    /// </summary>
    public MemberTraining LoadMembers(ParseResult parse)
    {
        string adapterFolder = parse.GetValue(Adapter)!.FullName;
        if (AdapterKind(adapterFolder) == "reward")
        {
            var reward = RewardPipeline.Load(parse.GetValue(Base)!.FullName, adapterFolder, parse.GetValue(Data)!.FullName);
            var (chosen, rejected, _) = reward.Encode("train", parse.GetValue(TrainSize), parse.GetValue(MaxTokens));
            return new MemberTraining(adapterFolder, reward.Adapter, $"{chosen.Count} preference pairs", (options, progress) =>
                RewardTrainer.Train(reward.Model, reward.Adapter.Id, reward.Adapter.Config, chosen, rejected, options, progress));
        }
        var (pipeline, prompts, labels) = Load(parse);
        return new MemberTraining(pipeline.AdapterFolder, pipeline.Adapter, $"{prompts.Count} examples", (options, progress) =>
            LoraTrainer.Train(pipeline.Model, pipeline.Adapter.Id, pipeline.Adapter.Config, prompts, labels, pipeline.ClassIndices, options, progress));
    }

    /// <summary>The kind task.json gives the adapter: classification or reward.</summary>
    public static string AdapterKind(string adapterFolder) =>
        Core.Bundles.TaskDefinition.Load(Path.Combine(adapterFolder, Core.Bundles.TaskDefinition.FileName)).Kind;

    public (LoadedPipeline Pipeline, List<int[]> Prompts, List<int> Labels) Load(ParseResult parse)
    {
        // The adapter's kind first: a reward adapter's --data is a preference file the task reader would refuse less helpfully.
        string adapterFolder = parse.GetValue(Adapter)!.FullName;
        if (AdapterKind(adapterFolder) == "reward")
            throw new ArgumentException($"{adapterFolder} is a reward (score head) adapter; this posterior is fitted for classification adapters (fit-ensemble without --svgd and fit-mc-dropout take reward adapters).");
        var pipeline = LoadedPipeline.Load(parse.GetValue(Base)!.FullName, adapterFolder, parse.GetValue(Data)!.FullName);
        if (pipeline.Adapter.Head != Core.Model.ModelHead.LanguageModel)
            throw new ArgumentException($"{adapterFolder} has a score head but task.json kind classification; classification adapters read the LM head.");
        var (prompts, labels) = pipeline.Encode("train", parse.GetValue(TrainSize), parse.GetValue(MaxTokens));
        return (pipeline, prompts, labels);
    }
}

/// <summary>One member's training on an adapter's data, with the adapter whose structure it keeps.</summary>
public sealed record MemberTraining(string AdapterFolder, LoraAdapter Adapter, string DataDescription,
    Func<LoraTrainingOptions, IProgress<(int Step, double Loss)>, (LoraAdapter Adapter, TrainingLog Log)> Train);
