using UncertaintyService.Core.Synthetic;

namespace UncertaintyService.Api.Tests.Support;

/// <summary>A temporary model root holding a small generated bundle (real files, real loader), deleted on dispose.</summary>
public sealed class TestModelRoot : IDisposable
{
    public TestModelRoot(int hiddenSize = 16, ulong seed = 7)
    {
        Root = Path.Combine(Path.GetTempPath(), "uncertainty-api-" + Guid.NewGuid().ToString("N"));
        DemoBundle.Write(Path.Combine(Root, "demo"), TokenizerModel, new DemoBundle.Options
        {
            HiddenSize = hiddenSize, Heads = 2, KeyValueHeads = 1, IntermediateSize = 2 * hiddenSize, Rank = 2, Seed = seed,
        });
    }

    public string Root { get; }

    public string Bundle => Path.Combine(Root, "demo");

    public string AdapterFolder(string id) => Path.Combine(Bundle, "adapters", id);

    /// <summary>Copies an adapter folder to a new folder under the root and returns its path relative to the root.</summary>
    public string CopyAdapter(string id, string newName)
    {
        var target = Path.Combine(Root, newName);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(AdapterFolder(id)))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        return newName;
    }

    public static string TokenizerModel => RepositoryFiles.Llama2Tokenizer;

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
