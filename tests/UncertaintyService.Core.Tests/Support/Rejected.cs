using UncertaintyService.Core.Formats;

namespace UncertaintyService.Core.Tests.Support;

/// <summary>
/// Asserts that reading a bad bundle file fails the way a person can act on: a
/// <see cref="BundleFormatException"/> whose message names the file, the key and the problem.
/// </summary>
internal static class Rejected
{
    /// <param name="fileName">The file's name (not its full path, which differs per temp folder).</param>
    /// <param name="key">The key the message must quote, or null for a fault of the file as a whole.</param>
    /// <param name="words">Words of the problem the message must contain (case-insensitive).</param>
    public static BundleFormatException Bundle(Action read, string fileName, string? key, params string[] words)
    {
        var ex = Assert.Throws<BundleFormatException>(read);
        Assert.Contains(fileName, ex.Message);
        Assert.Equal(fileName, Path.GetFileName(ex.FilePath));
        if (key is not null)
        {
            Assert.Equal(key, ex.Key);
            Assert.Contains($"'{key}'", ex.Message);
        }
        foreach (var word in words)
            Assert.Contains(word, ex.Message, StringComparison.OrdinalIgnoreCase);
        return ex;
    }

    public static BundleFormatException Bundle(Func<object?> read, string fileName, string? key, params string[] words) =>
        Bundle(() => { read(); }, fileName, key, words);
}
