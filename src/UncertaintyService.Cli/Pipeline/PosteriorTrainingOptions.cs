using System.CommandLine;
using UncertaintyService.Core.Training;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>The options every posterior-training command shares (the adapter folder gives rank, alpha and targets).</summary>
public sealed class PosteriorTrainingOptions
{
    public Option<DirectoryInfo> Base { get; } = CommonOptions.Base();
    public Option<DirectoryInfo> Adapter { get; } = CommonOptions.Adapter();
    public Option<FileInfo> Data { get; } = CommonOptions.Data();
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

    public (LoadedPipeline Pipeline, List<int[]> Prompts, List<int> Labels) Load(ParseResult parse)
    {
        var pipeline = LoadedPipeline.Load(parse.GetValue(Base)!.FullName, parse.GetValue(Adapter)!.FullName, parse.GetValue(Data)!.FullName);
        if (pipeline.Adapter.Head != Core.Model.ModelHead.LanguageModel)
            throw new ArgumentException($"{pipeline.AdapterFolder} is a SEQ_CLS (score head) adapter; sampled posteriors are fitted for classification adapters.");
        var (prompts, labels) = pipeline.Encode("train", parse.GetValue(TrainSize), parse.GetValue(MaxTokens));
        return (pipeline, prompts, labels);
    }
}
