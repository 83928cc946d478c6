using System.CommandLine;
using UncertaintyService.Cli.Commands;

var root = new RootCommand("UncertaintyService offline pipeline: produces the bundles the service loads.")
{
    DataCommand.Create(),
    PretrainCommand.Create(),
    FinetuneCommand.Create(),
    FitKfacCommand.Create(),
    TunePriorCommand.Create(),
    EvaluateCommand.Create(),
    GenerateDemoCommand.Create(),
};
return root.Parse(args).Invoke();
