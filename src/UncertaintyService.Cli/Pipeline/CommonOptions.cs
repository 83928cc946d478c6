using System.CommandLine;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>Options several commands share, declared once so their names and help agree.</summary>
public static class CommonOptions
{
    public static Option<DirectoryInfo> Base() => new("--base") { Description = "Base model folder (Hugging Face layout: config.json, model.safetensors, tokenizer.model).", Required = true };

    public static Option<DirectoryInfo> Adapter() => new("--adapter") { Description = "Adapter folder (PEFT files, task.json; the command writes its output here).", Required = true };

    public static Option<FileInfo> Data() => new("--data") { Description = "Task JSONL file (one {\"prompt\",\"label\",\"split\"} per line); task.json beside it.", Required = true };

    public static Option<int?> TrainSize() => new("--train-size") { Description = "Use only the first N examples of the train split (default: all)." };

    public static Option<int> MaxTokens() => new("--max-tokens") { Description = "Prompts longer than this keep BOS and their last tokens.", DefaultValueFactory = _ => 256 };

    public static Option<int> BatchSize(int fallback) => new("--batch-size") { Description = "Prompts per forward pass.", DefaultValueFactory = _ => fallback };

    public static Option<ulong> Seed() => new("--seed") { Description = "Seed of every random choice.", DefaultValueFactory = _ => 0UL };
}
