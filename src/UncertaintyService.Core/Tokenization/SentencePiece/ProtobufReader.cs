namespace UncertaintyService.Core.Tokenization.SentencePiece;

/// <summary>
/// The protobuf wire format, as far as a SentencePiece model needs it: varints, fixed 32/64-bit
/// values and length-delimited fields. Malformed bytes throw <see cref="InvalidDataException"/>.
/// </summary>
internal ref struct ProtobufReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> data = data;
    private int position;

    public readonly bool AtEnd => position >= data.Length;

    /// <summary>The next field's number and wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).</summary>
    public (int Field, int WireType) ReadTag()
    {
        ulong tag = ReadVarint();
        int field = (int)(tag >> 3);
        if (field <= 0) throw new InvalidDataException($"field number {field} at byte {position}");
        return (field, (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length) throw new InvalidDataException("truncated varint");
            byte b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException($"varint longer than 10 bytes at byte {position}");
    }

    public float ReadFixed32AsFloat() => BitConverter.Int32BitsToSingle((int)ReadFixed(4));

    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(data.Length - position)) throw new InvalidDataException($"field of {length} bytes runs past the end at byte {position}");
        var slice = data.Slice(position, (int)length);
        position += (int)length;
        return slice;
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0: ReadVarint(); break;
            case 1: ReadFixed(8); break;
            case 2: ReadLengthDelimited(); break;
            case 5: ReadFixed(4); break;
            default: throw new InvalidDataException($"wire type {wireType} at byte {position}");
        }
    }

    private ulong ReadFixed(int bytes)
    {
        if (data.Length - position < bytes) throw new InvalidDataException("truncated fixed-width field");
        ulong value = 0;
        for (int i = 0; i < bytes; i++) value |= (ulong)data[position + i] << (8 * i);
        position += bytes;
        return value;
    }
}
