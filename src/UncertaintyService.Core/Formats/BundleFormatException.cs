namespace UncertaintyService.Core.Formats;

/// <summary>
/// A file of a model bundle (config, adapter, factors, posterior) that cannot be used as it is.
/// The message always names the file, the key when there is one, and the problem.
/// </summary>
public sealed class BundleFormatException : Exception
{
    public BundleFormatException(string filePath, string? key, string problem, Exception? inner = null)
        : base(Describe(filePath, key, problem), inner)
    {
        FilePath = filePath;
        Key = key;
        Problem = problem;
    }

    public string FilePath { get; }

    public string? Key { get; }

    public string Problem { get; }

    private static string Describe(string filePath, string? key, string problem) =>
        key is null ? $"{filePath}: {problem}" : $"{filePath}: '{key}': {problem}";
}
