using System.Text;
using System.Text.Json;

namespace UncertaintyService.Core.Tokenization.HuggingFace;

/// <summary>
/// tokenizer.json's BPE model: each pre-tokenized word split into characters and merged by the rank of
/// its merge rules (ties left-first), a word already in the vocabulary kept whole when ignore_merges,
/// and a piece outside the vocabulary written as its bytes (byte_fallback) or as the unknown token.
/// </summary>
internal sealed class BpeModel
{
    private readonly Dictionary<string, int> vocabulary;
    private readonly Dictionary<(string, string), int> mergeRanks;
    private readonly int? unknownId;
    private readonly bool fuseUnknown, byteFallback, ignoreMerges;

    private BpeModel(Dictionary<string, int> vocabulary, Dictionary<(string, string), int> mergeRanks, int? unknownId,
        bool fuseUnknown, bool byteFallback, bool ignoreMerges)
    {
        this.vocabulary = vocabulary;
        this.mergeRanks = mergeRanks;
        this.unknownId = unknownId;
        this.fuseUnknown = fuseUnknown;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
    }

    public IReadOnlyDictionary<string, int> Vocabulary => vocabulary;

    public static BpeModel Read(JsonNode node)
    {
        if (node.Type() != "BPE")
            throw node.Child("type").Error($"model '{node.Type()}' is not supported (only BPE)");
        node.AllowOnly("type", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix", "fuse_unk", "byte_fallback",
            "ignore_merges", "vocab", "merges");
        node.Require("dropout", v => v.ValueKind == JsonValueKind.Number && v.GetDouble() == 0, "BPE dropout samples segmentations; a server needs one");
        node.Require("continuing_subword_prefix", v => v.ValueKind == JsonValueKind.String && v.GetString() == "", "only none or empty");
        node.Require("end_of_word_suffix", v => v.ValueKind == JsonValueKind.String && v.GetString() == "", "only none or empty");

        var vocabNode = node.Child("vocab");
        if (vocabNode.Element.ValueKind != JsonValueKind.Object) throw vocabNode.Error("must be an object of piece -> id");
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabNode.Element.EnumerateObject())
        {
            if (!entry.Value.TryGetInt32(out int id) || id < 0)
                throw new Formats.BundleFormatException(node.File, $"{vocabNode.Path}.{entry.Name}", $"id {entry.Value.GetRawText()} is not a non-negative integer");
            vocabulary[entry.Name] = id;
        }

        var ranks = new Dictionary<(string, string), int>();
        int rank = 0;
        foreach (var merge in node.Child("merges").Items())
        {
            (string, string) pair;
            if (merge.Element.ValueKind == JsonValueKind.Array && merge.Element.GetArrayLength() == 2)
                pair = (merge.Items().First().String(), merge.Items().Last().String());
            else
            {
                var parts = merge.String().Split(' ');
                if (parts.Length != 2) throw merge.Error($"'{merge.String()}' is not two pieces separated by one space");
                pair = (parts[0], parts[1]);
            }
            ranks.TryAdd(pair, rank++); // a repeated rule keeps its first (best) rank
        }

        int? unknownId = null;
        if (node.Optional("unk_token") is { } unk)
        {
            string unknown = unk.String();
            unknownId = vocabulary.TryGetValue(unknown, out int id) ? id : throw unk.Error($"'{unknown}' is not in the vocabulary");
        }
        return new BpeModel(vocabulary, ranks, unknownId, node.Flag("fuse_unk", false), node.Flag("byte_fallback", false), node.Flag("ignore_merges", false));
    }

    public void Encode(string word, List<int> ids)
    {
        if (word.Length == 0) return;
        if (ignoreMerges && vocabulary.TryGetValue(word, out int whole))
        {
            ids.Add(whole);
            return;
        }
        var characters = new List<string>(word.Length);
        for (int i = 0; i < word.Length; i += char.IsSurrogatePair(word, i) ? 2 : 1)
            characters.Add(word.Substring(i, char.IsSurrogatePair(word, i) ? 2 : 1));
        bool previousUnknown = false;
        foreach (var piece in PairMerger.Merge(characters, TryPair))
        {
            if (vocabulary.TryGetValue(piece, out int id))
            {
                ids.Add(id);
                previousUnknown = false;
                continue;
            }
            if (byteFallback && TryBytes(piece, ids))
            {
                previousUnknown = false;
                continue;
            }
            // Without an unknown token the Rust crate drops the character; so does this.
            if (unknownId is { } unk && !(fuseUnknown && previousUnknown)) ids.Add(unk);
            previousUnknown = unknownId is not null;
        }
    }

    private bool TryPair(string left, string right, out double priority)
    {
        bool found = mergeRanks.TryGetValue((left, right), out int rank);
        priority = rank;
        return found;
    }

    private bool TryBytes(string piece, List<int> ids)
    {
        var bytes = Encoding.UTF8.GetBytes(piece);
        var byteIds = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
            if (!vocabulary.TryGetValue($"<0x{bytes[i]:X2}>", out byteIds[i])) return false;
        ids.AddRange(byteIds);
        return true;
    }
}
