using System.CommandLine;
using System.Text.Json;
using UncertaintyService.Cli.Commands;
using UncertaintyService.Core.Formats;
using UncertaintyService.Data;

namespace UncertaintyService.Cli;

/// <summary>The command tree, built in one place so tests run the same commands the executable does.</summary>
public static class CliApplication
{
    /// <summary>Exit code of a run refused for its input (a file, a value, an option).</summary>
    public const int BadInput = 2;

    /// <summary>Prints the stack trace of a failure too (for bug reports).</summary>
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "On failure, print the stack trace as well.", Recursive = true };

    public static RootCommand Create() => new("UncertaintyService offline pipeline: produces the bundles the service loads.")
    {
        Verbose,
        DataCommand.Create(),
        PretrainCommand.Create(),
        FinetuneCommand.Create(),
        FitKfacCommand.Create(),
        TunePriorCommand.Create(),
        FitBlobCommand.Create(),
        FitSwagCommand.Create(),
        FitEnsembleCommand.Create(),
        FitMcDropoutCommand.Create(),
        FitTemperatureCommand.Create(),
        EvaluateCommand.Create(),
        FinetuneRewardCommand.Create(),
        FitKfacRewardCommand.Create(),
        TunePriorRewardCommand.Create(),
        EvaluateRewardCommand.Create(),
        GenerateDemoCommand.Create(),
    };

    /// <summary>
    /// Runs one command line. Input the user gave that cannot be used ends in one line on stderr and
    /// exit code 2; anything else in one line and exit code 1; the stack trace follows only with --verbose.
    /// </summary>
    public static int Run(string[] args, TextWriter? error = null)
    {
        error ??= Console.Error;
        var parse = Create().Parse(args);
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsBadInput(e))
        {
            error.WriteLine($"error: {e.Message}");
            if (parse.GetValue(Verbose)) error.WriteLine(e);
            return BadInput;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error.WriteLine($"error ({e.GetType().Name}): {e.Message}");
            if (parse.GetValue(Verbose)) error.WriteLine(e);
            return 1;
        }
    }

    private static bool IsBadInput(Exception e) => e is ArgumentException or InvalidDataException or FileNotFoundException
        or DirectoryNotFoundException or JsonException or BundleFormatException or Core.SafeTensors.SafeTensorsFormatException
        or ChecksumMismatchException;
}
