using System.Text;

namespace UncertaintyService.Core.Tokenization.SentencePiece;

/// <summary>The parts of a SentencePiece <c>ModelProto</c> (tokenizer.model) that encoding reads.</summary>
internal sealed class SentencePieceModel
{
    public enum PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

    public const int BpeModelType = 2;

    public required IReadOnlyList<string> Pieces { get; init; }
    public required IReadOnlyList<float> Scores { get; init; }
    public required IReadOnlyList<PieceType> Types { get; init; }
    public int ModelType { get; init; } = 1; // protobuf default: UNIGRAM
    public bool ByteFallback { get; init; }
    public bool TreatWhitespaceAsSuffix { get; init; }
    public int UnknownId { get; init; }
    public int BeginOfSentenceId { get; init; } = 1;
    public int EndOfSentenceId { get; init; } = 2;
    public string NormalizerName { get; init; } = "";
    public int PrecompiledCharsmapBytes { get; init; }
    public bool AddDummyPrefix { get; init; } = true;
    public bool RemoveExtraWhitespaces { get; init; } = true;
    public bool EscapeWhitespaces { get; init; } = true;

    /// <summary>Reads the model; malformed bytes throw <see cref="InvalidDataException"/> naming the field.</summary>
    public static SentencePieceModel Read(ReadOnlySpan<byte> bytes)
    {
        var pieces = new List<string>();
        var scores = new List<float>();
        var types = new List<PieceType>();
        var trainer = new Dictionary<int, ulong>();
        var normalizer = new Dictionary<int, ulong>();
        string normalizerName = "";
        int charsmapBytes = 0;
        var reader = new ProtobufReader(bytes);
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == 2) ReadPiece(reader.ReadLengthDelimited(), pieces, scores, types);
            else if (field == 2 && wire == 2) ReadVarints(reader.ReadLengthDelimited(), trainer, out _, out _);
            else if (field == 3 && wire == 2) ReadVarints(reader.ReadLengthDelimited(), normalizer, out normalizerName, out charsmapBytes);
            else reader.Skip(wire);
        }
        if (pieces.Count == 0) throw new InvalidDataException("no pieces (field 1)");
        int Int(Dictionary<int, ulong> spec, int field, int fallback) => spec.TryGetValue(field, out var v) ? unchecked((int)(long)v) : fallback;
        bool Flag(Dictionary<int, ulong> spec, int field, bool fallback) => spec.TryGetValue(field, out var v) ? v != 0 : fallback;
        return new SentencePieceModel
        {
            Pieces = pieces,
            Scores = scores,
            Types = types,
            ModelType = Int(trainer, 3, 1),
            TreatWhitespaceAsSuffix = Flag(trainer, 24, false),
            ByteFallback = Flag(trainer, 35, false),
            UnknownId = Int(trainer, 40, 0),
            BeginOfSentenceId = Int(trainer, 41, 1),
            EndOfSentenceId = Int(trainer, 42, 2),
            NormalizerName = normalizerName,
            PrecompiledCharsmapBytes = charsmapBytes,
            AddDummyPrefix = Flag(normalizer, 3, true),
            RemoveExtraWhitespaces = Flag(normalizer, 4, true),
            EscapeWhitespaces = Flag(normalizer, 5, true),
        };
    }

    private static void ReadPiece(ReadOnlySpan<byte> message, List<string> pieces, List<float> scores, List<PieceType> types)
    {
        string? piece = null;
        float score = 0;
        var type = PieceType.Normal;
        var reader = new ProtobufReader(message);
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == 2) piece = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
            else if (field == 2 && wire == 5) score = reader.ReadFixed32AsFloat();
            else if (field == 3 && wire == 0)
            {
                ulong value = reader.ReadVarint();
                if (value is < 1 or > 6) throw new InvalidDataException($"piece {pieces.Count}: type {value} is not a SentencePiece type");
                type = (PieceType)value;
            }
            else reader.Skip(wire);
        }
        if (string.IsNullOrEmpty(piece)) throw new InvalidDataException($"piece {pieces.Count} is empty");
        pieces.Add(piece);
        scores.Add(score);
        types.Add(type);
    }

    // A spec message's scalar fields by number (varints), plus its name (field 1) and the size of its
    // precompiled character map (field 2): the normalizer's and trainer's options are all scalars.
    private static void ReadVarints(ReadOnlySpan<byte> message, Dictionary<int, ulong> values, out string name, out int bytesField2)
    {
        name = "";
        bytesField2 = 0;
        var reader = new ProtobufReader(message);
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            if (wire == 0) values[field] = reader.ReadVarint();
            else if (wire == 2 && field == 1) name = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
            else if (wire == 2 && field == 2) bytesField2 = reader.ReadLengthDelimited().Length;
            else reader.Skip(wire);
        }
    }
}
