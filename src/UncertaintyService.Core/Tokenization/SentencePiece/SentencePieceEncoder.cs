using System.Globalization;
using System.Text;

namespace UncertaintyService.Core.Tokenization.SentencePiece;

/// <summary>
/// Encodes text as Google's SentencePiece does for a BPE model (sentencepiece's normalizer.cc,
/// bpe_model.cc and the byte fallback of sentencepiece_processor.cc): spaces become "▁", a dummy
/// prefix "▁" leads, user-defined symbols are kept whole, pieces merge by score (ties left-first), a
/// piece outside the vocabulary becomes its UTF-8 bytes (byte fallback) or one unknown token per run.
/// Models this does not reproduce exactly (unigram, a precompiled normalisation map, unused pieces)
/// are refused at construction with the reason.
/// </summary>
internal sealed class SentencePieceEncoder : ITokenEncoder
{
    private const string SpaceSymbol = "\u2581";

    private readonly SentencePieceModel model;
    private readonly Dictionary<string, int> mergeable = new(StringComparer.Ordinal); // NORMAL and USER_DEFINED
    private readonly Dictionary<string, int> reserved = new(StringComparer.Ordinal);  // CONTROL, UNKNOWN, BYTE
    private readonly int[] byteIds = new int[256];
    private readonly Dictionary<char, List<string>> userDefinedByFirstChar = [];

    public SentencePieceEncoder(SentencePieceModel model)
    {
        this.model = model;
        if (model.ModelType != SentencePieceModel.BpeModelType)
            throw new NotSupportedException($"model_type {ModelTypeName(model.ModelType)} is not supported; only BPE models are encoded exactly");
        if (model.PrecompiledCharsmapBytes > 0)
            throw new NotSupportedException($"normalizer '{model.NormalizerName}' has a precompiled character map, which is not supported (only 'identity')");
        Array.Fill(byteIds, -1);
        for (int id = 0; id < model.Pieces.Count; id++)
        {
            string piece = model.Pieces[id];
            switch (model.Types[id])
            {
                case SentencePieceModel.PieceType.Unused:
                    throw new NotSupportedException($"piece {id} '{piece}' has type UNUSED, which is not supported");
                case SentencePieceModel.PieceType.Normal:
                    mergeable.TryAdd(piece, id);
                    break;
                case SentencePieceModel.PieceType.UserDefined:
                    mergeable.TryAdd(piece, id);
                    if (!userDefinedByFirstChar.TryGetValue(piece[0], out var list)) userDefinedByFirstChar[piece[0]] = list = [];
                    list.Add(piece);
                    break;
                default:
                    reserved.TryAdd(piece, id);
                    if (model.Types[id] == SentencePieceModel.PieceType.Byte && TryParseBytePiece(piece, out byte value)) byteIds[value] = id;
                    break;
            }
        }
        foreach (var list in userDefinedByFirstChar.Values) list.Sort((a, b) => b.Length.CompareTo(a.Length));
        if (model.UnknownId < 0 || model.UnknownId >= model.Pieces.Count)
            throw new NotSupportedException($"unk_id {model.UnknownId} is outside the {model.Pieces.Count} pieces");
    }

    public int VocabularySize => model.Pieces.Count;

    public string Piece(int id) => model.Pieces[id];

    public int? PieceId(string piece) =>
        mergeable.TryGetValue(piece, out int id) || reserved.TryGetValue(piece, out id) ? id : null;

    public List<int> Encode(string text)
    {
        var ids = new List<int>();
        var (symbols, frozen) = Symbols(Normalize(text));
        if (symbols.Count == 0) return ids;
        var pieces = PairMerger.Merge(symbols, TryPair, frozen);
        bool previousUnknown = false;
        foreach (var piece in pieces)
        {
            int? id = PieceId(piece);
            bool unknown = id is null || id == model.UnknownId;
            if (unknown && model.ByteFallback)
            {
                foreach (byte b in Encoding.UTF8.GetBytes(piece)) ids.Add(byteIds[b] >= 0 ? byteIds[b] : model.UnknownId);
            }
            else if (!(unknown && previousUnknown)) // a run of unknown pieces is one unknown token
            {
                ids.Add(id ?? model.UnknownId);
            }
            previousUnknown = unknown;
        }
        return ids;
    }

    // Higher score merges first, so the priority is the negated score (float, as sentencepiece compares it).
    private bool TryPair(string left, string right, out double priority)
    {
        if (mergeable.TryGetValue(left + right, out int id))
        {
            priority = -model.Scores[id];
            return true;
        }
        priority = 0;
        return false;
    }

    // normalizer.cc with the identity map: optionally drop leading, repeated and trailing spaces, then
    // write every space as "▁" and add the dummy "▁" before (or, as a suffix model, after) the text.
    private string Normalize(string text)
    {
        if (text.Length == 0) return "";
        if (model.RemoveExtraWhitespaces)
        {
            var collapsed = new StringBuilder(text.Length);
            foreach (char c in text.Trim(' '))
                if (c != ' ' || collapsed.Length == 0 || collapsed[^1] != ' ') collapsed.Append(c);
            text = collapsed.ToString();
            if (text.Length == 0) return "";
        }
        string space = model.EscapeWhitespaces ? SpaceSymbol : " ";
        string body = model.EscapeWhitespaces ? text.Replace(" ", SpaceSymbol, StringComparison.Ordinal) : text;
        if (!model.AddDummyPrefix) return body;
        return model.TreatWhitespaceAsSuffix ? body + space : space + body;
    }

    // One symbol per Unicode character, except that user-defined symbols are matched whole (longest first) and never merge.
    private (List<string> Symbols, List<bool> Frozen) Symbols(string normalized)
    {
        var symbols = new List<string>(normalized.Length);
        var frozen = new List<bool>(normalized.Length);
        int i = 0;
        while (i < normalized.Length)
        {
            string? userDefined = null;
            if (userDefinedByFirstChar.TryGetValue(normalized[i], out var candidates))
                userDefined = candidates.FirstOrDefault(c => string.CompareOrdinal(normalized, i, c, 0, c.Length) == 0);
            int length = userDefined?.Length ?? (char.IsSurrogatePair(normalized, i) ? 2 : 1);
            symbols.Add(normalized.Substring(i, length));
            frozen.Add(userDefined is not null);
            i += length;
        }
        return (symbols, frozen);
    }

    private static bool TryParseBytePiece(string piece, out byte value)
    {
        value = 0;
        return piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out value);
    }

    private static string ModelTypeName(int type) => type switch { 1 => "UNIGRAM", 2 => "BPE", 3 => "WORD", 4 => "CHAR", _ => type.ToString(CultureInfo.InvariantCulture) };
}
