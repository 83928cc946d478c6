using UncertaintyService.Core.SafeTensors;

namespace UncertaintyService.Core.Tests.SafeTensors;

/// <summary>Writes a broken file and checks that opening it fails with a message a person can act on.</summary>
internal static class BadFile
{
    public const string FileName = "broken-model.safetensors";

    public static SafeTensorsFormatException AssertRejected(TempFolder dir, byte[] bytes, string? tensorName, params string[] words)
    {
        var path = dir.File(FileName);
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path).Dispose());

        Assert.Equal(path, ex.FilePath);
        Assert.Equal(tensorName, ex.TensorName);
        Assert.Contains(FileName, ex.Message);
        if (tensorName is not null)
        {
            Assert.Contains($"'{tensorName}'", ex.Message);
        }
        foreach (var word in words)
        {
            Assert.Contains(word, ex.Message);
        }
        Assert.EndsWith(ex.Problem, ex.Message);
        return ex;
    }

    /// <summary>A header holding one entry whose body is given, followed by <paramref name="dataBytes"/> zero bytes.</summary>
    public static byte[] WithEntry(string name, string entryJson, int dataBytes = 8) =>
        RawFile.Build($$"""{"{{name}}":{{entryJson}}}""", new byte[dataBytes]);
}
