using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using UncertaintyService.Core.Formats;

namespace UncertaintyService.Core.Tokenization;

/// <summary>
/// The tokenizer of a model folder, through Microsoft.ML.Tokenizers: SentencePiece
/// <c>tokenizer.model</c> (Llama 2, Mistral) or a BPE <c>tokenizer.json</c>.
/// </summary>
public sealed class PromptTokenizer
{
    public const string SentencePieceFile = "tokenizer.model";
    public const string HuggingFaceFile = "tokenizer.json";

    private readonly Tokenizer tokenizer;
    private readonly int? beginOfSentenceId;

    private PromptTokenizer(Tokenizer tokenizer, int? beginOfSentenceId, string source)
    {
        this.tokenizer = tokenizer;
        this.beginOfSentenceId = beginOfSentenceId;
        Source = source;
    }

    /// <summary>The file the tokenizer came from.</summary>
    public string Source { get; }

    public static PromptTokenizer Load(string folder)
    {
        var sentencePiece = Path.Combine(folder, SentencePieceFile);
        if (File.Exists(sentencePiece))
        {
            // Read first: Protobuf reports malformed bytes as an IOException, so only failures to read
            // the disk may pass through; every failure to parse the bytes is a format error.
            using var stream = new MemoryStream(File.ReadAllBytes(sentencePiece));
            try
            {
                var llama = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
                return new PromptTokenizer(llama, llama.BeginningOfSentenceId, sentencePiece);
            }
            catch (Exception e)
            {
                throw new BundleFormatException(sentencePiece, null, $"not a SentencePiece model ({e.Message})", e);
            }
        }
        var huggingFace = Path.Combine(folder, HuggingFaceFile);
        if (File.Exists(huggingFace))
            return FromTokenizerJson(huggingFace);
        throw new BundleFormatException(folder, null, $"no tokenizer: expected {SentencePieceFile} or {HuggingFaceFile}");
    }

    /// <summary>The end-of-sentence token id, when the tokenizer defines one (pre-training separates documents with it).</summary>
    public int? EndOfSentenceId => tokenizer is SentencePieceTokenizer s ? s.EndOfSentenceId : null;

    /// <summary>Token ids of a prompt, with the beginning-of-sentence token first when the tokenizer has one.</summary>
    public int[] EncodePrompt(string text)
    {
        var ids = tokenizer.EncodeToIds(text);
        return beginOfSentenceId is { } bos ? [bos, .. ids] : [.. ids];
    }

    public string Decode(IEnumerable<int> ids) => tokenizer.Decode(ids);

    /// <summary>
    /// The token a label's logit is read from: the single token its text encodes to (with
    /// SentencePiece's dummy prefix "A" is "▁A", the token that follows "Answer:"), or else the
    /// vocabulary piece spelled exactly so. Null when neither exists.
    /// </summary>
    public int? LabelToken(string label)
    {
        var ids = tokenizer.EncodeToIds(label);
        if (ids.Count == 1) return ids[0];
        return Vocabulary(tokenizer)?.TryGetValue(label, out var id) == true ? id : null;
    }

    /// <summary>Every label's token, or an error that lists the labels with no single token.</summary>
    public int[] LabelTokens(IReadOnlyList<string> labels)
    {
        var tokens = labels.Select(LabelToken).ToArray();
        var unmapped = labels.Where((_, i) => tokens[i] is null).ToList();
        if (unmapped.Count > 0)
            throw new ArgumentException(
                $"These labels do not map to a single token of {Path.GetFileName(Source)}: {string.Join(", ", unmapped.Select(l => $"'{l}'"))}.");
        return tokens.Select(t => t!.Value).ToArray();
    }

    private static IReadOnlyDictionary<string, int>? Vocabulary(Tokenizer tokenizer) => tokenizer switch
    {
        SentencePieceTokenizer s => s.Vocabulary,
        BpeTokenizer b => b.Vocabulary,
        _ => null,
    };

    // A Hugging Face tokenizer.json whose model is BPE: vocabulary, merges (either spelling), added
    // tokens as special tokens, byte-level when its pre-tokenizer or decoder says so, and its Split
    // regex (GPT-2, Llama 3, Qwen2) as the pre-tokenizer.
    private static PromptTokenizer FromTokenizerJson(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            var model = root.GetProperty("model");
            string type = model.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
            if (type != "BPE")
                throw new BundleFormatException(path, "model.type", $"'{type}' is not supported; only BPE models (or use {SentencePieceFile})");

            var vocabulary = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
            var merges = model.GetProperty("merges").EnumerateArray()
                .Select(m => m.ValueKind == JsonValueKind.Array ? $"{m[0].GetString()} {m[1].GetString()}" : m.GetString()!)
                .ToList();
            var special = root.TryGetProperty("added_tokens", out var added)
                ? added.EnumerateArray().ToDictionary(a => a.GetProperty("content").GetString()!, a => a.GetProperty("id").GetInt32())
                : new Dictionary<string, int>();
            string all = root.GetRawText();
            bool byteLevel = all.Contains("\"ByteLevel\"", StringComparison.Ordinal);
            var split = Regex.Match(all, "\"Regex\"\\s*:\\s*(\"(?:[^\"\\\\]|\\\\.)*\")");
            PreTokenizer? pre = split.Success
                ? new RegexPreTokenizer(new Regex(JsonSerializer.Deserialize<string>(split.Groups[1].Value)!, RegexOptions.Compiled), special)
                : PreTokenizer.CreateWordOrNonWord(special);

            var bpe = BpeTokenizer.Create(new BpeOptions(vocabulary)
            {
                Merges = merges,
                SpecialTokens = special,
                ByteLevel = byteLevel,
                PreTokenizer = pre,
                UnknownToken = model.TryGetProperty("unk_token", out var unk) && unk.ValueKind == JsonValueKind.String ? unk.GetString() : null,
            });
            int? bos = special.FirstOrDefault(s => s.Key is "<s>" or "<|begin_of_text|>") is { Key: not null } b ? b.Value : null;
            return new PromptTokenizer(bpe, bos, path);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new BundleFormatException(path, null, $"not a usable Hugging Face BPE tokenizer ({e.Message})", e);
        }
    }
}
