using System.Text.Json;
using UncertaintyService.Core.Formats;

namespace UncertaintyService.Core.Tokenization.HuggingFace;

/// <summary>
/// A Hugging Face tokenizer.json read as a structure and encoded as the Rust crate does: added tokens
/// found first, each remaining section normalized, pre-tokenized and split by the BPE model; the
/// post-processor's template gives the tokens around a prompt. Every component and flag is checked;
/// one this project does not implement is refused naming its key. Decoders are not read: the service
/// never turns ids back into text.
/// </summary>
internal sealed class HuggingFaceEncoder : ITokenEncoder
{
    private readonly Func<string, string>? normalizer;
    private readonly PreTokenizer? preTokenizer;
    private readonly BpeModel model;
    private readonly AddedVocabulary added;
    private readonly Dictionary<int, string> pieces = [];
    private readonly Dictionary<string, int> ids = new(StringComparer.Ordinal);

    private HuggingFaceEncoder(Func<string, string>? normalizer, PreTokenizer? preTokenizer, BpeModel model, AddedVocabulary added,
        PostProcessor postProcessor)
    {
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.added = added;
        PostProcessor = postProcessor;
        foreach (var (piece, id) in model.Vocabulary)
        {
            pieces.TryAdd(id, piece);
            ids.TryAdd(piece, id);
        }
        foreach (var token in added.Tokens)
        {
            pieces[token.Id] = token.Content;
            ids[token.Content] = token.Id;
        }
        VocabularySize = pieces.Keys.Max() + 1;
    }

    public PostProcessor PostProcessor { get; }

    public int VocabularySize { get; }

    public static HuggingFaceEncoder Load(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new BundleFormatException(path, null, $"is not JSON ({e.Message})", e);
        }
        using (document)
        {
            var root = new JsonNode(path, document.RootElement, "");
            root.AllowOnly("version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer", "model", "post_processor", "decoder");
            root.Require("truncation", _ => false, "the service limits prompt length itself and never truncates");
            var normalizer = root.Optional("normalizer") is { } n ? Normalizers.Read(n) : null;
            var preTokenizer = root.Optional("pre_tokenizer") is { } p ? PreTokenizers.Read(p) : null;
            var model = BpeModel.Read(root.Child("model"));
            var added = AddedVocabulary.Read(root.Optional("added_tokens"), normalizer);
            var postProcessor = PostProcessor.Read(root.Optional("post_processor"));
            return new HuggingFaceEncoder(normalizer, preTokenizer, model, added, postProcessor);
        }
    }

    public string Piece(int id) => pieces.TryGetValue(id, out var piece) ? piece : throw new ArgumentOutOfRangeException(nameof(id), id, "not a token id");

    public int? PieceId(string piece) => ids.TryGetValue(piece, out int id) ? id : null;

    public List<int> Encode(string text)
    {
        var result = new List<int>();
        int offset = 0;
        foreach (var (section, addedId) in added.SplitRaw(text))
        {
            bool first = offset == 0;
            offset += section.Length;
            if (addedId is { } id)
            {
                result.Add(id);
                continue;
            }
            string normalized = normalizer is null ? section : normalizer(section);
            foreach (var (part, normalizedId) in added.SplitNormalized(normalized))
            {
                if (normalizedId is { } nid)
                {
                    result.Add(nid);
                    continue;
                }
                var words = preTokenizer is null ? [part] : preTokenizer(part, first);
                foreach (var word in words) model.Encode(word, result);
            }
        }
        return result;
    }
}
