using System.Buffers.Binary;
using System.Text;
using UncertaintyService.Core.SafeTensors;

namespace UncertaintyService.Core.Tests.SafeTensors;

/// <summary>Faults in the file as a whole: its length prefix, header encoding and metadata.</summary>
public sealed class FileValidationTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(7)]
    public void FileShorterThanTheLengthPrefix(int length) =>
        BadFile.AssertRejected(_dir, new byte[length], null, "shorter", $"{length} bytes");

    [Fact]
    public void HeaderLengthPastTheEndOfTheFile()
    {
        var bytes = RawFile.Build("{}      ");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 9);

        BadFile.AssertRejected(_dir, bytes, null, "header length 9", "past the end");
    }

    [Fact]
    public void HugeHeaderLengthDoesNotOverflow()
    {
        var bytes = RawFile.Build("{}      ");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);

        BadFile.AssertRejected(_dir, bytes, null, "past the end");
    }

    [Fact]
    public void HeaderNotUtf8()
    {
        var header = Encoding.UTF8.GetBytes("""{"__metadata__":{"k":"v?"}}""");
        header[Array.IndexOf(header, (byte)'?')] = 0xFF;

        BadFile.AssertRejected(_dir, RawFile.Build(header, []), null, "UTF-8");
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("{\"w\":{\"dtype\":\"F32\"}")]
    public void HeaderNotJson(string header) =>
        BadFile.AssertRejected(_dir, RawFile.Build(header), null, "not valid JSON");

    [Theory]
    [InlineData("[]", "array")]
    [InlineData("\"text\"", "string")]
    [InlineData("42", "number")]
    public void HeaderNotAnObject(string header, string kind) =>
        BadFile.AssertRejected(_dir, RawFile.Build(header), null, "expected an object", kind);

    [Fact]
    public void MetadataValueNotAString() =>
        BadFile.AssertRejected(_dir, RawFile.Build("""{"__metadata__":{"format":"pt","epochs":3}}"""), null,
            "__metadata__", "'epochs'", "expected a string");

    [Fact]
    public void MetadataNotAnObject() =>
        BadFile.AssertRejected(_dir, RawFile.Build("""{"__metadata__":["pt"]}"""), null, "__metadata__", "array");

    [Fact]
    public void MissingTensorNameIsNamedByGetEntryAndLoad()
    {
        var path = _dir.File("good.safetensors");
        File.WriteAllBytes(path, BadFile.WithEntry("present", """{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"""));
        using var file = SafeTensorsFile.Open(path);

        var fromEntry = Assert.Throws<SafeTensorsFormatException>(() => file.GetEntry("absent.weight"));
        var fromLoad = Assert.Throws<SafeTensorsFormatException>(() => file.Load("absent.weight"));

        foreach (var ex in new[] { fromEntry, fromLoad })
        {
            Assert.Equal("absent.weight", ex.TensorName);
            Assert.Contains("good.safetensors", ex.Message);
            Assert.Contains("'absent.weight'", ex.Message);
            Assert.Contains("no such tensor", ex.Message);
        }
    }

    [Fact]
    public void LoadAfterDisposeThrows()
    {
        var path = _dir.File("good.safetensors");
        File.WriteAllBytes(path, BadFile.WithEntry("w", """{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"""));
        var file = SafeTensorsFile.Open(path);
        file.Dispose();
        file.Dispose();

        Assert.Throws<ObjectDisposedException>(() => file.Load("w"));
    }
}
