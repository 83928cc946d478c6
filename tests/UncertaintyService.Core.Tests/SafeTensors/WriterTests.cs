using TorchSharp;
using UncertaintyService.Core.SafeTensors;
using static UncertaintyService.Core.Tests.SafeTensors.RoundTripTests;

namespace UncertaintyService.Core.Tests.SafeTensors;

public sealed class WriterTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void NonContiguousTensorIsWrittenInLogicalOrderAndCallerTensorsSurvive()
    {
        using var matrix = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        using var transposed = matrix.t();
        Assert.False(transposed.is_contiguous());
        var path = _dir.File("t.safetensors");

        SafeTensorsWriter.Write(path, Named(("t", transposed), ("m", matrix)));

        using var file = SafeTensorsFile.Open(path);
        using var loaded = file.Load("t");
        Assert.Equal([3L, 2L], loaded.shape);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], loaded.data<float>().ToArray());
        // The writer's contiguous copy is its own; the caller's tensors are still alive and unchanged.
        Assert.Equal(4f, transposed[0, 1].item<float>());
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], matrix.data<float>().ToArray());
    }

    [Fact]
    public void WriteReplacesAnExistingFileAndLeavesNoTemporary()
    {
        using var first = torch.zeros([4]);
        using var second = torch.ones([2], torch.ScalarType.Int32);
        var path = _dir.File("replace.safetensors");

        SafeTensorsWriter.Write(path, Named(("first", first)));
        SafeTensorsWriter.Write(path, Named(("second", second)));

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(["second"], file.Entries.Select(e => e.Name));
        Assert.False(File.Exists(path + ".tmp"));
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void DuplicateNameIsRejectedNamingItAndWritesNothing()
    {
        using var a = torch.zeros([1]);
        using var b = torch.ones([1]);
        var path = _dir.File("dup.safetensors");

        var ex = Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, Named(("weight", a), ("bias", a), ("weight", b))));

        Assert.Contains("'weight'", ex.Message);
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void UnsupportedDTypeIsRejectedAndWritesNothing()
    {
        using var complex = torch.zeros([2], torch.ScalarType.ComplexFloat32);
        var path = _dir.File("complex.safetensors");

        var ex = Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, Named(("c", complex))));

        Assert.Contains("'c'", ex.Message);
        Assert.Contains("ComplexFloat32", ex.Message);
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void MetadataKeyCannotNameATensor()
    {
        using var t = torch.zeros([1]);

        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(_dir.File("x.safetensors"), Named(("__metadata__", t))));
    }

    [Fact]
    public void StorageIsCopiedInSlicesWhenTheTensorExceedsOneSlice()
    {
        // Large tensors go through Span-sized slices; tiny slices here exercise the same path on 7 floats.
        using var source = torch.arange(7, dtype: torch.ScalarType.Float32);
        using var stream = new MemoryStream();
        TensorStorage.WriteTo(source, stream, chunkBytes: 8);
        var written = stream.ToArray();
        Assert.Equal(RawFile.Floats(0, 1, 2, 3, 4, 5, 6), written);

        using var destination = torch.empty([7], torch.ScalarType.Float32);
        unsafe
        {
            fixed (byte* bytes = written)
            {
                TensorStorage.CopyInto(destination, bytes, written.Length, chunkBytes: 12);
            }
        }
        Assert.Equal([0f, 1f, 2f, 3f, 4f, 5f, 6f], destination.data<float>().ToArray());
    }
}
