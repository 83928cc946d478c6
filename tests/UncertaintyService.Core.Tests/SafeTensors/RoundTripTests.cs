using TorchSharp;
using UncertaintyService.Core.SafeTensors;

namespace UncertaintyService.Core.Tests.SafeTensors;

/// <summary>What SafeTensorsWriter writes, SafeTensorsFile reads back bit for bit.</summary>
public sealed class RoundTripTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void TensorsOfEveryFloatTypeAndShapeComeBackEqual()
    {
        // Values exactly representable in F16 and BF16, so equality is exact after the round trip.
        using var f32 = torch.tensor(new float[] { 1.5f, -2f, 3.25f, 0f, 1e-3f, -7e5f }, [2, 3]);
        using var f64 = torch.tensor(new double[] { Math.PI, -Math.E, 1e-300, 42 }, [4]);
        using var f16 = torch.tensor(new float[] { 1f, -2f, 0.5f, 1024f, -0.25f, 3f }, [3, 2, 1]).to(torch.ScalarType.Float16);
        using var bf16 = torch.tensor(new float[] { 1f, 3f, -0.5f, 256f, 1.5f }, [5]).to(torch.ScalarType.BFloat16);
        using var i64 = torch.tensor(-9_000_000_000L);
        using var empty = torch.zeros([0, 3], torch.ScalarType.Float32);
        var path = _dir.File("all.safetensors");

        SafeTensorsWriter.Write(path, Named(("f32", f32), ("f64", f64), ("f16", f16), ("bf16", bf16), ("i64", i64), ("empty", empty)));

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(["f32", "f64", "f16", "bf16", "i64", "empty"], file.Entries.Select(e => e.Name));
        Assert.Equal(["F32", "F64", "F16", "BF16", "I64", "F32"], file.Entries.Select(e => e.DType));
        foreach (var (name, original) in new[] { ("f32", f32), ("f64", f64), ("f16", f16), ("bf16", bf16), ("i64", i64), ("empty", empty) })
        {
            using var loaded = file.Load(name);
            Assert.Equal(original.dtype, loaded.dtype);
            Assert.Equal(original.shape, loaded.shape);
            Assert.Equal(original.bytes.ToArray(), loaded.bytes.ToArray());
        }

        using var loadedF32 = file.Load("f32");
        Assert.Equal([1.5f, -2f, 3.25f, 0f, 1e-3f, -7e5f], loadedF32.data<float>().ToArray());
        using var loadedI64 = file.Load("i64");
        Assert.Empty(loadedI64.shape);
        Assert.Equal(-9_000_000_000L, loadedI64.item<long>());
    }

    [Fact]
    public void TensorsAreStoredContiguouslyInTheOrderGiven()
    {
        using var a = torch.ones([3], torch.ScalarType.Float64);
        using var b = torch.ones([2, 2], torch.ScalarType.Int16);
        using var c = torch.ones([5], torch.ScalarType.Byte);
        var path = _dir.File("order.safetensors");

        SafeTensorsWriter.Write(path, Named(("z", a), ("a", b), ("m", c)));

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal([("z", 0L, 24L), ("a", 24L, 32L), ("m", 32L, 37L)], file.Entries.Select(e => (e.Name, e.Begin, e.End)));
        Assert.Equal(8 + (long)RawFile.HeaderLength(path) + 37, new FileInfo(path).Length);
    }

    [Fact]
    public void IntegerAndBoolTypesComeBackEqual()
    {
        using var i32 = torch.tensor(new[] { int.MinValue, -1, 0, int.MaxValue });
        using var i16 = torch.tensor(new short[] { short.MinValue, 7, short.MaxValue });
        using var i8 = torch.tensor(new sbyte[] { -128, 0, 127 });
        using var u8 = torch.tensor(new byte[] { 0, 128, 255 });
        using var flags = torch.tensor(new[] { true, false, false, true });
        var path = _dir.File("ints.safetensors");

        SafeTensorsWriter.Write(path, Named(("i32", i32), ("i16", i16), ("i8", i8), ("u8", u8), ("flags", flags)));

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(["I32", "I16", "I8", "U8", "BOOL"], file.Entries.Select(e => e.DType));
        using var loadedI32 = file.Load("i32");
        using var loadedI16 = file.Load("i16");
        using var loadedI8 = file.Load("i8");
        using var loadedU8 = file.Load("u8");
        using var loadedFlags = file.Load("flags");
        Assert.Equal([int.MinValue, -1, 0, int.MaxValue], loadedI32.data<int>().ToArray());
        Assert.Equal([short.MinValue, (short)7, short.MaxValue], loadedI16.data<short>().ToArray());
        Assert.Equal([(sbyte)-128, (sbyte)0, (sbyte)127], loadedI8.data<sbyte>().ToArray());
        Assert.Equal([(byte)0, (byte)128, (byte)255], loadedU8.data<byte>().ToArray());
        Assert.Equal([true, false, false, true], loadedFlags.data<bool>().ToArray());
    }

    [Fact]
    public void MetadataComesBackEqual()
    {
        using var t = torch.zeros([1]);
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["quote\"and\\slash"] = "ünïcødé ✓", ["empty"] = "" };
        var path = _dir.File("meta.safetensors");

        SafeTensorsWriter.Write(path, Named(("t", t)), metadata);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(metadata.OrderBy(p => p.Key), file.Metadata.OrderBy(p => p.Key));
    }

    [Fact]
    public void LoadConvertsToTheRequestedDType()
    {
        using var f16 = torch.tensor(new float[] { 1f, -2f, 0.5f, 65504f }).to(torch.ScalarType.Float16);
        using var i64 = torch.tensor(new long[] { -3, 0, 1L << 40 }, [3, 1]);
        using var f32 = torch.tensor(new float[] { 1f, 2.5f, -3f });
        var path = _dir.File("convert.safetensors");
        SafeTensorsWriter.Write(path, Named(("f16", f16), ("i64", i64), ("f32", f32)));

        using var file = SafeTensorsFile.Open(path);
        using var f16AsF32 = file.Load("f16", torch.ScalarType.Float32);
        using var i64AsF64 = file.Load("i64", torch.ScalarType.Float64, torch.CPU);
        using var f32AsBf16 = file.Load("f32", torch.ScalarType.BFloat16);
        using var f32Same = file.Load("f32", torch.ScalarType.Float32, torch.CPU);

        Assert.Equal(torch.ScalarType.Float32, f16AsF32.dtype);
        Assert.Equal([1f, -2f, 0.5f, 65504f], f16AsF32.data<float>().ToArray());
        Assert.Equal(torch.ScalarType.Float64, i64AsF64.dtype);
        Assert.Equal([3L, 1L], i64AsF64.shape);
        Assert.Equal([-3.0, 0.0, 1099511627776.0], i64AsF64.data<double>().ToArray());
        Assert.Equal(torch.ScalarType.BFloat16, f32AsBf16.dtype);
        using var backToF32 = f32AsBf16.to(torch.ScalarType.Float32);
        Assert.Equal([1f, 2.5f, -3f], backToF32.data<float>().ToArray());
        Assert.Equal([1f, 2.5f, -3f], f32Same.data<float>().ToArray());
    }

    [Fact]
    public void ZeroElementTensorLoadsWithConversion()
    {
        using var empty = torch.zeros([2, 0, 5], torch.ScalarType.Float16);
        var path = _dir.File("empty.safetensors");
        SafeTensorsWriter.Write(path, Named(("empty", empty)));

        using var file = SafeTensorsFile.Open(path);
        using var loaded = file.Load("empty", torch.ScalarType.Float32);

        Assert.Equal((0L, 0L), (file.GetEntry("empty").Begin, file.GetEntry("empty").End));
        Assert.Equal([2L, 0L, 5L], loaded.shape);
        Assert.Equal(torch.ScalarType.Float32, loaded.dtype);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void HeaderLengthIsAMultipleOfEight(int extraNameChars)
    {
        using var t = torch.ones([2, 2]);
        var path = _dir.File("pad.safetensors");

        SafeTensorsWriter.Write(path, Named(("t" + new string('x', extraNameChars), t)));

        Assert.Equal(0UL, RawFile.HeaderLength(path) % 8);
        using var file = SafeTensorsFile.Open(path);
        using var loaded = file.Load(file.Entries[0].Name);
        Assert.Equal([1f, 1f, 1f, 1f], loaded.data<float>().ToArray());
    }

    internal static IEnumerable<KeyValuePair<string, torch.Tensor>> Named(params (string Name, torch.Tensor Tensor)[] tensors) =>
        tensors.Select(t => new KeyValuePair<string, torch.Tensor>(t.Name, t.Tensor));
}
