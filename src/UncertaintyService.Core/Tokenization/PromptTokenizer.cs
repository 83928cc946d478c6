using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Tokenization.HuggingFace;
using UncertaintyService.Core.Tokenization.SentencePiece;

namespace UncertaintyService.Core.Tokenization;

/// <summary>
/// The tokenizer of a model folder, encoding exactly as the reference implementations do: Google's
/// SentencePiece for <c>tokenizer.model</c> (BPE models), Hugging Face's tokenizers for
/// <c>tokenizer.json</c> (BPE models with the normalizers, pre-tokenizers and post-processors real
/// Llama, Qwen and Gemma files use; anything else is refused by name). The tokens around a prompt
/// (BOS, EOS) come from tokenizer.json's post-processor, or for tokenizer.model BOS and no EOS;
/// tokenizer_config.json's <c>add_bos_token</c>/<c>add_eos_token</c> override either where present.
/// </summary>
public sealed class PromptTokenizer
{
    public const string SentencePieceFile = "tokenizer.model";
    public const string HuggingFaceFile = "tokenizer.json";

    /// <summary>The text a label follows when the template gives none (a template ending in its placeholder, or no template).</summary>
    public const string DefaultLabelContext = "Answer:";

    private readonly ITokenEncoder encoder;
    private readonly int[] before, after;

    private PromptTokenizer(ITokenEncoder encoder, IEnumerable<int> before, IEnumerable<int> after, int? endOfSentenceId, string source)
    {
        this.encoder = encoder;
        this.before = [.. before];
        this.after = [.. after];
        EndOfSentenceId = endOfSentenceId;
        Source = source;
    }

    /// <summary>The file the tokenizer came from.</summary>
    public string Source { get; }

    /// <summary>The end-of-sentence token id, when the tokenizer defines one (pre-training separates documents with it).</summary>
    public int? EndOfSentenceId { get; }

    public int VocabularySize => encoder.VocabularySize;

    public static PromptTokenizer Load(string folder)
    {
        var config = TokenizerConfig.Load(folder);
        var sentencePiece = Path.Combine(folder, SentencePieceFile);
        if (File.Exists(sentencePiece)) return FromSentencePiece(sentencePiece, config);
        var huggingFace = Path.Combine(folder, HuggingFaceFile);
        if (File.Exists(huggingFace)) return FromTokenizerJson(huggingFace, config);
        throw new BundleFormatException(folder, null, $"no tokenizer: expected {SentencePieceFile} or {HuggingFaceFile}");
    }

    /// <summary>Token ids of a prompt, with the tokens the tokenizer adds around it (BOS first, usually).</summary>
    public int[] EncodePrompt(string text) => [.. before, .. encoder.Encode(text), .. after];

    /// <summary>The vocabulary's spelling of each token ("▁A", "ĠA", "&lt;s&gt;").</summary>
    public string[] Pieces(IEnumerable<int> ids) => ids.Select(encoder.Piece).ToArray();

    /// <summary>
    /// The text a label follows: the template's text after its last placeholder ("\nAnswer:"), or
    /// <see cref="DefaultLabelContext"/> when there is none.
    /// </summary>
    public static string LabelContext(string? promptTemplate)
    {
        if (string.IsNullOrEmpty(promptTemplate)) return DefaultLabelContext;
        int end = promptTemplate.LastIndexOf('}');
        string tail = end < 0 ? promptTemplate : promptTemplate[(end + 1)..];
        return tail.Length == 0 ? DefaultLabelContext : tail;
    }

    /// <summary>
    /// The token a label's logit is read from: the one token the model would produce for the label
    /// written after the prompt, that is, after <paramref name="context"/> and one space (no space when
    /// the context ends in whitespace). encode(context + " " + label) must be encode(context) and
    /// exactly one more token; with SentencePiece "A" is "▁A", with byte-level BPE "ĠA". Null when the
    /// label is not one token there.
    /// </summary>
    public int? LabelToken(string label, string context)
    {
        var alone = encoder.Encode(context);
        string separator = context.Length > 0 && char.IsWhiteSpace(context[^1]) ? "" : " ";
        var withLabel = encoder.Encode(context + separator + label);
        if (label.Length == 0 || withLabel.Count != alone.Count + 1) return null;
        for (int i = 0; i < alone.Count; i++)
            if (alone[i] != withLabel[i]) return null;
        return withLabel[^1];
    }

    /// <summary>Every label's token (<see cref="LabelToken"/>), or an error that lists the labels that are not one token in context.</summary>
    public int[] LabelTokens(IReadOnlyList<string> labels, string context)
    {
        var tokens = labels.Select(l => LabelToken(l, context)).ToArray();
        var unmapped = labels.Where((_, i) => tokens[i] is null).ToList();
        if (unmapped.Count > 0)
            throw new ArgumentException(
                $"These labels are not one token of {Path.GetFileName(Source)} after the prompt: {string.Join(", ", unmapped.Select(l => $"'{l}'"))}.");
        return tokens.Select(t => t!.Value).ToArray();
    }

    private static PromptTokenizer FromSentencePiece(string path, TokenizerConfig config)
    {
        SentencePieceEncoder encoder;
        SentencePieceModel model;
        try
        {
            model = SentencePieceModel.Read(File.ReadAllBytes(path));
            encoder = new SentencePieceEncoder(model);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            throw new BundleFormatException(path, null, $"not a usable SentencePiece model ({e.Message})", e);
        }
        int? Id(int id) => id >= 0 && id < model.Pieces.Count ? id : null;
        // Hugging Face's LlamaTokenizer defaults: BOS on, EOS off.
        var bos = config.AddBos ?? true ? Id(model.BeginOfSentenceId) : null;
        var eos = config.AddEos ?? false ? Id(model.EndOfSentenceId) : null;
        return new PromptTokenizer(encoder, bos is { } b ? [b] : [], eos is { } last ? [last] : [], Id(model.EndOfSentenceId), path);
    }

    private static PromptTokenizer FromTokenizerJson(string path, TokenizerConfig config)
    {
        var encoder = HuggingFaceEncoder.Load(path);
        int Resolve(string? token, string key) =>
            token is not null && encoder.PieceId(token) is { } id ? id
            : throw new BundleFormatException(Path.Combine(Path.GetDirectoryName(path)!, TokenizerConfig.FileName), key,
                $"names no token of {HuggingFaceFile} ('{token}')");
        IEnumerable<int> before = config.AddBos switch
        {
            true => [Resolve(config.BosToken, "bos_token")],
            false => [],
            null => encoder.PostProcessor.Before,
        };
        IEnumerable<int> after = config.AddEos switch
        {
            true => [Resolve(config.EosToken, "eos_token")],
            false => [],
            null => encoder.PostProcessor.After,
        };
        int? eos = config.EosToken is { } name ? encoder.PieceId(name) : null;
        return new PromptTokenizer(encoder, before, after, eos, path);
    }
}
