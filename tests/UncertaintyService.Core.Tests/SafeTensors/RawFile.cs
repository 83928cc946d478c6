using System.Buffers.Binary;
using System.Text;

namespace UncertaintyService.Core.Tests.SafeTensors;

/// <summary>
/// Builds safetensors bytes by hand, independent of SafeTensorsWriter, so reader tests
/// cannot pass merely because the writer and reader share a mistake.
/// </summary>
internal static class RawFile
{
    /// <summary>The 8-byte little-endian length, the header text as given, then the data.</summary>
    public static byte[] Build(string header, params byte[] data) => Build(Encoding.UTF8.GetBytes(header), data);

    public static byte[] Build(byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }
        return bytes;
    }

    public static byte[] UInt16s(params ushort[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), values[i]);
        }
        return bytes;
    }

    public static byte[] Int64s(params long[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        }
        return bytes;
    }

    /// <summary>Header length as stored in the first 8 bytes of a file.</summary>
    public static ulong HeaderLength(string path)
    {
        Span<byte> prefix = stackalloc byte[8];
        using var stream = System.IO.File.OpenRead(path);
        stream.ReadExactly(prefix);
        return BinaryPrimitives.ReadUInt64LittleEndian(prefix);
    }
}
