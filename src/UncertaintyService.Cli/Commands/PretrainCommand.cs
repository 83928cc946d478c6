using System.CommandLine;
using Spectre.Console;
using UncertaintyService.Cli.Pipeline;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.Tokenization;
using UncertaintyService.Core.Training;
using static TorchSharp.torch;

namespace UncertaintyService.Cli.Commands;

/// <summary><c>pretrain</c>: a small Llama-architecture model trained from scratch with the Llama 2 tokenizer; writes a Hugging Face folder.</summary>
internal static class PretrainCommand
{
    public static Command Create()
    {
        var corpus = new Option<FileInfo>("--corpus") { Description = "Text, one document per line (the data command writes pretraining-corpus.txt).", Required = true };
        var tokenizer = new Option<FileInfo>("--tokenizer") { Description = "SentencePiece tokenizer.model (Llama 2).", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Model folder to write.", Required = true };
        var hidden = new Option<int>("--hidden-size") { DefaultValueFactory = _ => 128, Description = "Hidden size." };
        var layers = new Option<int>("--layers") { DefaultValueFactory = _ => 4, Description = "Decoder layers." };
        var heads = new Option<int>("--heads") { DefaultValueFactory = _ => 4, Description = "Attention heads." };
        var kvHeads = new Option<int>("--kv-heads") { DefaultValueFactory = _ => 2, Description = "Key/value heads (grouped-query attention)." };
        var intermediate = new Option<int>("--intermediate-size") { DefaultValueFactory = _ => 384, Description = "SwiGLU width." };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 1500, Description = "Optimiser steps." };
        var learningRate = new Option<double>("--lr") { DefaultValueFactory = _ => 3e-3, Description = "Peak AdamW learning rate (warm-up, cosine decay)." };
        var sequence = new Option<int>("--sequence-length") { DefaultValueFactory = _ => 64, Description = "Tokens per training window." };
        var storage = new Option<string>("--dtype") { DefaultValueFactory = _ => "float16", Description = "Stored weight dtype: float32, float16 or bfloat16." };
        var batchSize = CommonOptions.BatchSize(16);
        var seed = CommonOptions.Seed();
        var checkpoint = new Option<DirectoryInfo?>("--checkpoint")
        {
            Description = "Folder for the run's checkpoint: saved every --checkpoint-every steps and resumed from when it exists (same settings), so a run can span sessions.",
        };
        var checkpointEvery = new Option<int>("--checkpoint-every") { DefaultValueFactory = _ => 200, Description = "Steps between checkpoints." };
        var command = new Command("pretrain", "Train a small Llama from scratch on a text corpus with next-token cross-entropy.")
        {
            corpus, tokenizer, output, hidden, layers, heads, kvHeads, intermediate, steps, learningRate, sequence, storage, batchSize, seed,
            checkpoint, checkpointEvery,
        };
        command.SetAction(parse =>
        {
            var tokenizerFile = parse.GetValue(tokenizer)!.FullName;
            var prompts = PromptTokenizer.Load(Path.GetDirectoryName(tokenizerFile)!);
            // Documents joined as <s> text </s> ... so the model learns where glosses start and end.
            var stream = new List<int>();
            int endOfDocument = prompts.EndOfSentenceId
                ?? throw new InvalidOperationException($"{tokenizerFile} defines no end-of-sentence token to separate documents.");
            foreach (var line in File.ReadLines(parse.GetValue(corpus)!.FullName).Where(l => l.Length > 0))
            {
                stream.AddRange(prompts.EncodePrompt(line));
                stream.Add(endOfDocument);
            }
            var config = new LlamaConfig
            {
                VocabSize = 32000,
                HiddenSize = parse.GetValue(hidden),
                IntermediateSize = parse.GetValue(intermediate),
                NumHiddenLayers = parse.GetValue(layers),
                NumAttentionHeads = parse.GetValue(heads),
                NumKeyValueHeads = parse.GetValue(kvHeads),
                MaxPositionEmbeddings = 2048,
                TieWordEmbeddings = true,
            };
            config.Validate("pretrain options");
            var options = new PretrainingOptions(parse.GetValue(steps), parse.GetValue(learningRate), parse.GetValue(batchSize),
                parse.GetValue(sequence), Seed: parse.GetValue(seed), CheckpointFolder: parse.GetValue(checkpoint)?.FullName,
                CheckpointEvery: parse.GetValue(checkpointEvery));
            AnsiConsole.MarkupLine($"[bold]pretrain[/] {stream.Count:N0} tokens; hidden {config.HiddenSize}, {config.NumHiddenLayers} layers, {options.Steps} steps of {options.BatchSize} x {options.SequenceLength}");

            var (model, log) = ConsoleProgress.Run("pre-training", options.Steps, progress => LanguageModelTrainer.Train(config, stream, options, progress));
            var dtype = parse.GetValue(storage) switch { "float32" => ScalarType.Float32, "bfloat16" => ScalarType.BFloat16, _ => ScalarType.Float16 };
            var folder = parse.GetValue(output)!.FullName;
            ModelFolderWriter.Write(folder, config, LanguageModelTrainer.Named(model), dtype, tokenizerFile);
            int run = log.StepsRun ?? options.Steps;
            double tokensPerSecond = (double)options.BatchSize * options.SequenceLength * run / Math.Max(log.Elapsed.TotalSeconds, 1e-9);
            AnsiConsole.MarkupLine($"loss {log.Losses.Take(20).Average():F3} -> {log.Losses.TakeLast(50).Average():F3}; {run} steps in {log.Elapsed.TotalMinutes:F1} min "
                + $"({tokensPerSecond:N0} tokens/s){(run < options.Steps ? $", resumed at step {options.Steps - run}" : "")}; wrote {folder}");
            // The curve, resumed parts included: mean training loss over each tenth of the steps.
            int tenth = Math.Max(1, log.Losses.Count / 10);
            var curve = Enumerable.Range(0, (log.Losses.Count + tenth - 1) / tenth)
                .Select(i => $"{Math.Min((i + 1) * tenth, log.Losses.Count)}: {log.Losses.Skip(i * tenth).Take(tenth).Average():F3}");
            AnsiConsole.MarkupLine($"loss curve (step: mean loss of the tenth ending there): {string.Join(", ", curve)}");
            return 0;
        });
        return command;
    }
}
