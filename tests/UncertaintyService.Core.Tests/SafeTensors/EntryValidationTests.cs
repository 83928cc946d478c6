using UncertaintyService.Core.SafeTensors;

namespace UncertaintyService.Core.Tests.SafeTensors;

/// <summary>Faults in one tensor's header entry; each must name the tensor as well as the file.</summary>
public sealed class EntryValidationTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("""{"shape":[2],"data_offsets":[0,8]}""", "dtype")]
    [InlineData("""{"dtype":"F32","data_offsets":[0,8]}""", "shape")]
    [InlineData("""{"dtype":"F32","shape":[2]}""", "data_offsets")]
    public void EntryMissingAField(string entry, string field) =>
        BadFile.AssertRejected(_dir, BadFile.WithEntry("layer.0.weight", entry), "layer.0.weight", "missing", $"'{field}'");

    [Theory]
    [InlineData("""{"dtype":32,"shape":[2],"data_offsets":[0,8]}""", "'dtype' is a JSON number")]
    [InlineData("""{"dtype":"F32","shape":"2","data_offsets":[0,8]}""", "'shape' is a JSON string")]
    [InlineData("""{"dtype":"F32","shape":[2],"data_offsets":{"begin":0}}""", "'data_offsets' is a JSON object")]
    [InlineData("""{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}""", "shape[0]")]
    [InlineData("""{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}""", "shape[0] is 2.5")]
    [InlineData("""[1,2,3]""", "entry is a JSON array")]
    public void EntryFieldOfTheWrongJsonType(string entry, string problem) =>
        BadFile.AssertRejected(_dir, BadFile.WithEntry("w", entry), "w", problem);

    [Fact]
    public void NegativeDimension() =>
        BadFile.AssertRejected(_dir, BadFile.WithEntry("w", """{"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]}"""),
            "w", "shape[1] is -1", "non-negative");

    [Fact]
    public void UnknownDTypeIsNamedAlongsideTheSupportedOnes()
    {
        var ex = BadFile.AssertRejected(_dir, BadFile.WithEntry("w", """{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}"""),
            "w", "unsupported dtype 'F8_E4M3'");

        foreach (var supported in new[] { "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL" })
        {
            Assert.Contains(supported, ex.Problem);
        }
    }

    [Theory]
    [InlineData("[8,0]")]
    [InlineData("[-8,0]")]
    [InlineData("[0]")]
    [InlineData("[0,4,8]")]
    [InlineData("[\"0\",\"8\"]")]
    [InlineData("[0,8.5]")]
    public void DataOffsetsNotTwoAscendingNonNegativeIntegers(string offsets) =>
        BadFile.AssertRejected(_dir, BadFile.WithEntry("w", $$"""{"dtype":"U8","shape":[8],"data_offsets":{{offsets}}}"""),
            "w", "data_offsets must be two ascending non-negative integers", offsets);

    [Fact]
    public void EndPastTheDataRegion() =>
        BadFile.AssertRejected(_dir, BadFile.WithEntry("w", """{"dtype":"F32","shape":[4],"data_offsets":[0,16]}""", dataBytes: 12),
            "w", "end 16", "past the end of the data region", "12 bytes");

    [Fact]
    public void ByteSizeDisagreesWithShapeAndDType() =>
        BadFile.AssertRejected(_dir, BadFile.WithEntry("w", """{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}""", dataBytes: 24),
            "w", "20 bytes", "needs 24 bytes", "[2, 3]", "F32");

    [Fact]
    public void ShapeTooLargeToAddress() =>
        BadFile.AssertRejected(_dir,
            BadFile.WithEntry("w", """{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]}"""), "w", "too large");

    [Fact]
    public void OverlappingTensorsAreBothNamed()
    {
        const string header = """
            {"first":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},
             "second":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}
            """;

        var ex = BadFile.AssertRejected(_dir, RawFile.Build(header, new byte[20]), "second", "overlap");

        Assert.Contains("'first'", ex.Message);
    }

    [Fact]
    public void ZeroLengthRangesInsideAnotherTensorAreNotOverlaps()
    {
        const string header = """
            {"full":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},
             "empty":{"dtype":"F32","shape":[0],"data_offsets":[2,2]}}
            """;
        var path = _dir.File("ok.safetensors");
        File.WriteAllBytes(path, RawFile.Build(header, 1, 2, 3, 4));

        using var file = SafeTensorsFile.Open(path);
        using var full = file.Load("full");
        Assert.Equal([(byte)1, (byte)2, (byte)3, (byte)4], full.data<byte>().ToArray());
    }

    [Fact]
    public void TensorNamedTwice() =>
        BadFile.AssertRejected(_dir, RawFile.Build("""
            {"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}
            """, 0, 0), "w", "twice");
}
