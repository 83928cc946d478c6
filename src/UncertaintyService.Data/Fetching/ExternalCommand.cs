using System.ComponentModel;
using System.Diagnostics;

namespace UncertaintyService.Data;

/// <summary>Runs the package tools the fetchers rely on, turning every failure into an <see cref="ExternalCommandException"/>.</summary>
public static class ExternalCommand
{
    /// <summary>Long enough for a slow mirror; short enough that a hung tool does not hang the CLI forever.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(15);

    /// <summary>Runs <paramref name="program"/> in <paramref name="workingDirectory"/> and returns its stdout.</summary>
    public static string Run(string program, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan? timeout = null)
    {
        var commandLine = string.Join(' ', [program, .. arguments.Select(Quote)]);
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ExternalCommandException(commandLine, null, "Process.Start returned no process");
        }
        catch (Win32Exception e)
        {
            throw new ExternalCommandException(commandLine, null, e.Message);
        }

        using (process)
        {
            // Nothing is ever typed into these tools; a closed stdin makes any prompt fail instead of wait.
            process.StandardInput.Close();
            // Both pipes drain concurrently: a tool that fills one while we block on the other would deadlock.
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout ?? DefaultTimeout))
            {
                process.Kill(entireProcessTree: true);
                throw new ExternalCommandException(commandLine, null, "", $"timed out after {timeout ?? DefaultTimeout} and was killed");
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new ExternalCommandException(commandLine, process.ExitCode, stderr.Result);
            return stdout.Result;
        }
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => !char.IsWhiteSpace(c) && c != '\'' && c != '"') ? argument : $"'{argument}'";
}
