namespace UncertaintyService.Core.Tests.Support;

/// <summary>Files the repository ships for tests (real tokenizers), found from the test assembly's folder.</summary>
internal static class RepositoryFiles
{
    private const string Marker = "UncertaintyService.sln";

    /// <summary>The path of <paramref name="relative"/> under the repository root (the folder holding the solution).</summary>
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
