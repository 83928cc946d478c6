using System.Diagnostics;
using System.Text;

namespace UncertaintyService.Tests.Shared;

/// <summary>
/// Runs a reference program (python3, node) to its end: exit code and what it printed, UTF-8 both ways,
/// standard output and error read together so neither pipe can fill up and stall it; killed past the timeout.
/// </summary>
public static class ExternalProgram
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(string program, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan timeout, string? input = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = input is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory,
        };
        if (input is not null) start.StandardInputEncoding = new UTF8Encoding(false);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} ran past {timeout.TotalMinutes:0.#} minutes");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }
}
