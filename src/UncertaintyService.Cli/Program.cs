using System.CommandLine;
using UncertaintyService.Cli.Commands;

var root = new RootCommand("UncertaintyService offline pipeline: produces the bundles the service loads.")
{
    GenerateDemoCommand.Create(),
    FinetuneCommand.Create(),
};
return root.Parse(args).Invoke();
