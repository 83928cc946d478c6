using UncertaintyService.Cli;

return CliApplication.Run(args);
