namespace UncertaintyService.Tests.Shared;

/// <summary>Files the repository ships for tests (the real Llama 2 tokenizer), found from the test assembly's folder.</summary>
public static class RepositoryFiles
{
    private const string Marker = "UncertaintyService.sln";

    /// <summary>The repository root: the folder holding the solution.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, Marker)))
                    return dir.FullName;
            }
            throw new InvalidOperationException($"No {Marker} above {AppContext.BaseDirectory}: the tests must run from inside the repository.");
        }
    }

    /// <summary>The path of <paramref name="relative"/> under the repository root.</summary>
    public static string Path(string relative) => System.IO.Path.Combine(Root, relative);

    /// <summary>The Llama 2 SentencePiece model the repository ships.</summary>
    public static string Llama2Tokenizer => Path("models/tokenizers/llama2/tokenizer.model");
}
