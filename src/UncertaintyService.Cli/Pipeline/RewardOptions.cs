using System.CommandLine;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>Options the reward commands share.</summary>
public static class RewardOptions
{
    public static Option<FileInfo> Data() => new("--data") { Description = "preferences.jsonl (one {\"prompt\",\"chosen\",\"rejected\",\"preference\",\"split\"} per line).", Required = true };
}
