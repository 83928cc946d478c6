using UncertaintyService.Cli;

return CliApplication.Create().Parse(args).Invoke();
