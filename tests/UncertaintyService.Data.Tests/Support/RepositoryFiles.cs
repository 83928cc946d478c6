namespace UncertaintyService.Data.Tests.Support;

/// <summary>Files the repository ships for tests (the real Llama 2 tokenizer), found from the test assembly's folder.</summary>
internal static class RepositoryFiles
{
    private const string Marker = "UncertaintyService.sln";

    public static string Path(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, Marker)))
                return System.IO.Path.Combine(dir.FullName, relative);
        }
        throw new InvalidOperationException($"No {Marker} above {AppContext.BaseDirectory}: the tests must run from inside the repository.");
    }
}
