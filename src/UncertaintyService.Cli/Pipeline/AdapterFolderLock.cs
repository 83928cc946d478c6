namespace UncertaintyService.Cli.Pipeline;

/// <summary>
/// Serialises the read-modify-write of an adapter folder's posterior.json and calibration.json between
/// commands that run at once (two fit commands finishing together would otherwise each keep only their
/// own entry): an exclusive lock on <c>.write.lock</c> in the folder, waited for up to 60 s. The files
/// themselves are written whole (temporary file, then rename).
/// </summary>
public sealed class AdapterFolderLock : IDisposable
{
    public const string FileName = ".write.lock";

    private readonly FileStream stream;

    private AdapterFolderLock(FileStream stream) => this.stream = stream;

    public static AdapterFolderLock Hold(string adapterFolder)
    {
        string path = Path.Combine(adapterFolder, FileName);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new AdapterFolderLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                Thread.Sleep(100);
            }
            catch (IOException)
            {
                throw new IOException($"{path}: another command has been writing this adapter's files for over 60 s; try again when it has finished.");
            }
        }
    }

    public void Dispose() => stream.Dispose();
}
