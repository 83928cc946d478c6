using System.Buffers.Binary;
using TorchSharp;
using UncertaintyService.Core.SafeTensors;

namespace UncertaintyService.Core.Tests.SafeTensors;

/// <summary>Reads files whose every byte the test wrote itself, against values known in advance.</summary>
public sealed class HandBuiltFileTests : IDisposable
{
    private static readonly float[] MatrixValues = [1.5f, -2f, 3.25f, 0f, 0.5f, -0.125f];

    private readonly TempFolder _dir = new();
    private readonly string _path;

    public HandBuiltFileTests()
    {
        // Header order differs from data order on purpose: the reader must follow data_offsets, not position.
        const string header = """
            {"brain":{"dtype":"BF16","shape":[2],"data_offsets":[30,34]},
             "__metadata__":{"format":"pt","note":"hand built"},
             "matrix":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},
             "half":{"dtype":"F16","shape":[3],"data_offsets":[24,30]},
             "count":{"dtype":"I64","shape":[],"data_offsets":[34,42]},
             "flags":{"dtype":"BOOL","shape":[3],"data_offsets":[42,45]},
             "empty":{"dtype":"F32","shape":[0,4],"data_offsets":[45,45]}}    
            """;
        byte[] data =
        [
            .. RawFile.Floats(MatrixValues),
            .. RawFile.UInt16s(0x3C00, 0xC000, 0x3800), // F16: 1.0, -2.0, 0.5
            .. RawFile.UInt16s(0x3F80, 0x4040), // BF16: 1.0, 3.0
            .. RawFile.Int64s(-7),
            1, 0, 1,
        ];
        _path = _dir.File("hand.safetensors");
        File.WriteAllBytes(_path, RawFile.Build(header, data));
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void EntriesFollowHeaderOrderWithTheirShapesAndOffsets()
    {
        using var file = SafeTensorsFile.Open(_path);

        Assert.Equal(["brain", "matrix", "half", "count", "flags", "empty"], file.Entries.Select(e => e.Name));
        var matrix = file.GetEntry("matrix");
        Assert.Equal("F32", matrix.DType);
        Assert.Equal(torch.ScalarType.Float32, matrix.ScalarType);
        Assert.Equal([2L, 3L], matrix.Shape);
        Assert.Equal((0L, 24L), (matrix.Begin, matrix.End));
        Assert.Equal(torch.ScalarType.BFloat16, file.GetEntry("brain").ScalarType);
        Assert.Empty(file.GetEntry("count").Shape);
        Assert.True(file.Contains("flags"));
        Assert.False(file.Contains("__metadata__"));
    }

    [Fact]
    public void MetadataIsRead()
    {
        using var file = SafeTensorsFile.Open(_path);

        Assert.Equal(2, file.Metadata.Count);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("hand built", file.Metadata["note"]);
    }

    [Fact]
    public void F32MatrixHasTheWrittenValuesInRowMajorOrder()
    {
        using var file = SafeTensorsFile.Open(_path);
        using var matrix = file.Load("matrix");

        Assert.Equal(torch.ScalarType.Float32, matrix.dtype);
        Assert.Equal([2L, 3L], matrix.shape);
        Assert.Equal(MatrixValues, matrix.data<float>().ToArray());
        Assert.Equal(-0.125f, matrix[1, 2].item<float>());
    }

    [Fact]
    public void F16KeepsItsBitPatternsAndConvertsToTheirValues()
    {
        using var file = SafeTensorsFile.Open(_path);
        using var half = file.Load("half");
        using var asFloat = file.Load("half", torch.ScalarType.Float32);

        Assert.Equal(torch.ScalarType.Float16, half.dtype);
        Assert.Equal(new ushort[] { 0x3C00, 0xC000, 0x3800 }, Bits16(half));
        Assert.Equal([1f, -2f, 0.5f], asFloat.data<float>().ToArray());
    }

    [Fact]
    public void BF16KeepsItsBitPatternsAndConvertsToTheirValues()
    {
        using var file = SafeTensorsFile.Open(_path);
        using var brain = file.Load("brain");
        using var asDouble = file.Load("brain", torch.ScalarType.Float64);

        Assert.Equal(torch.ScalarType.BFloat16, brain.dtype);
        Assert.Equal(new ushort[] { 0x3F80, 0x4040 }, Bits16(brain));
        Assert.Equal([1.0, 3.0], asDouble.data<double>().ToArray());
    }

    [Fact]
    public void ScalarBoolAndEmptyTensorsLoad()
    {
        using var file = SafeTensorsFile.Open(_path);
        using var count = file.Load("count");
        using var flags = file.Load("flags");
        using var empty = file.Load("empty");

        Assert.Empty(count.shape);
        Assert.Equal(-7L, count.item<long>());
        Assert.Equal([true, false, true], flags.data<bool>().ToArray());
        Assert.Equal([0L, 4L], empty.shape);
        Assert.Equal(torch.ScalarType.Float32, empty.dtype);
    }

    [Fact]
    public void FileWithOnlyAnEmptyHeaderHasNoEntries()
    {
        var path = _dir.File("nothing.safetensors");
        File.WriteAllBytes(path, RawFile.Build("{}      "));

        using var file = SafeTensorsFile.Open(path);

        Assert.Empty(file.Entries);
        Assert.Empty(file.Metadata);
    }

    private static ushort[] Bits16(torch.Tensor tensor)
    {
        var bytes = tensor.bytes;
        var bits = new ushort[bytes.Length / 2];
        for (var i = 0; i < bits.Length; i++)
        {
            bits[i] = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]);
        }
        return bits;
    }
}
