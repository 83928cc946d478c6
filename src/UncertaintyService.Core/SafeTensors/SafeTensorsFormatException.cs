namespace UncertaintyService.Core.SafeTensors;

/// <summary>
/// A safetensors file (or a checkpoint's index) that cannot be read as written.
/// The message always names the file, and the tensor when the fault belongs to one,
/// so a bad download or a bad conversion can be found without a debugger.
/// Derives from IOException because InvalidDataException is sealed.
/// </summary>
public sealed class SafeTensorsFormatException : IOException
{
    public SafeTensorsFormatException(string filePath, string? tensorName, string problem, Exception? innerException = null)
        : base(FormatMessage(filePath, tensorName, problem), innerException)
    {
        FilePath = filePath;
        TensorName = tensorName;
        Problem = problem;
    }

    /// <summary>The file at fault: a .safetensors file, or a checkpoint's index file.</summary>
    public string FilePath { get; }

    /// <summary>The tensor at fault, or null when the fault is in the file as a whole.</summary>
    public string? TensorName { get; }

    /// <summary>What is wrong, in plain words, without the file and tensor prefix.</summary>
    public string Problem { get; }

    private static string FormatMessage(string filePath, string? tensorName, string problem) =>
        tensorName is null ? $"{filePath}: {problem}" : $"{filePath}: tensor '{tensorName}': {problem}";
}
