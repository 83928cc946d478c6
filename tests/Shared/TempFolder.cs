namespace UncertaintyService.Tests.Shared;

/// <summary>
/// A fresh folder per test (bundle files, task files, checkpoints), removed with everything in it on
/// Dispose, so tests never see each other's files.
/// </summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "uncertainty-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>The path of <paramref name="name"/> inside the folder (not created).</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A subfolder, created, for tests that need several bundles side by side.</summary>
    public string Folder(string name) => Directory.CreateDirectory(File(name)).FullName;

    /// <summary>Writes <paramref name="text"/> to <paramref name="name"/> (creating subfolders) and returns its path.</summary>
    public string Write(string name, string text)
    {
        var path = File(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not turn a passing test red.
        }
    }
}
