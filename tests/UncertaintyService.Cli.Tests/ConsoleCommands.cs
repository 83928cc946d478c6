namespace UncertaintyService.Cli.Tests;

/// <summary>Tests that run commands one at a time: Spectre.Console's progress displays are process-wide and refuse to overlap.</summary>
[CollectionDefinition(nameof(ConsoleCommands))]
public sealed class ConsoleCommands;
