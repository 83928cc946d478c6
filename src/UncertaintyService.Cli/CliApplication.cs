using System.CommandLine;
using UncertaintyService.Cli.Commands;

namespace UncertaintyService.Cli;

/// <summary>The command tree, built in one place so tests run the same commands the executable does.</summary>
public static class CliApplication
{
    public static RootCommand Create() => new("UncertaintyService offline pipeline: produces the bundles the service loads.")
    {
        DataCommand.Create(),
        PretrainCommand.Create(),
        FinetuneCommand.Create(),
        FitKfacCommand.Create(),
        TunePriorCommand.Create(),
        FitBlobCommand.Create(),
        FitSwagCommand.Create(),
        FitEnsembleCommand.Create(),
        FitMcDropoutCommand.Create(),
        EvaluateCommand.Create(),
        FinetuneRewardCommand.Create(),
        FitKfacRewardCommand.Create(),
        TunePriorRewardCommand.Create(),
        EvaluateRewardCommand.Create(),
        GenerateDemoCommand.Create(),
    };
}
