namespace UncertaintyService.Data;

/// <summary>Fetching or unpacking a data set failed; the message says which step and why.</summary>
public class DataFetchException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A downloaded file's SHA-256 is not the pinned one: a changed package or a corrupt download.</summary>
public sealed class ChecksumMismatchException(string filePath, string expectedSha256, string actualSha256)
    : DataFetchException($"SHA-256 mismatch for {filePath}: expected {expectedSha256}, actual {actualSha256}. " +
                         "Delete the file to download it again; if the mismatch stays, the package changed upstream.")
{
    public string FilePath { get; } = filePath;
    public string ExpectedSha256 { get; } = expectedSha256;
    public string ActualSha256 { get; } = actualSha256;
}

/// <summary>An external program (apt-get, npm, dpkg-deb, tar) could not start or exited non-zero.</summary>
public sealed class ExternalCommandException(string commandLine, int? exitCode, string standardError, string? failure = null)
    : DataFetchException(Describe(commandLine, exitCode, standardError, failure))
{
    public string CommandLine { get; } = commandLine;

    /// <summary>Null when the program could not be started or was killed.</summary>
    public int? ExitCode { get; } = exitCode;

    public string StandardError { get; } = standardError;

    private static string Describe(string commandLine, int? exitCode, string standardError, string? failure)
    {
        var what = failure ?? (exitCode is { } code ? $"failed with exit code {code}" : "could not be started");
        var detail = string.IsNullOrWhiteSpace(standardError) ? "(no output on stderr)" : standardError.Trim();
        return $"Command `{commandLine}` {what}:\n{detail}";
    }
}
