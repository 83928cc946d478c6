using System.Text.RegularExpressions;
using UncertaintyService.Core.Formats;
using UncertaintyService.Core.Tests.Support;
using UncertaintyService.Core.Tokenization;

namespace UncertaintyService.Core.Tests.Tokenization;

public sealed class PromptTokenizerTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    // The real Llama 2 SentencePiece model, copied so the test never touches the repository's copy.
    private PromptTokenizer Llama2()
    {
        File.Copy(RepositoryFiles.Path("models/tokenizers/llama2/tokenizer.model"), folder.File(PromptTokenizer.SentencePieceFile));
        return PromptTokenizer.Load(folder.Path);
    }

    [Fact]
    public void Llama2PromptStartsWithBosEndsWithTheAnswerTokenAndDecodesBack()
    {
        const string prompt = "Is this spam? Answer: A";
        var tokenizer = Llama2();

        var ids = tokenizer.EncodePrompt(prompt);

        Assert.Equal(1, ids[0]);
        // ▁Is ▁this ▁sp am ? ▁Answer : ▁A, as Hugging Face's LlamaTokenizer gives them.
        Assert.Equal([1, 1317, 445, 805, 314, 29973, 673, 29901, 319], ids);
        Assert.Equal(tokenizer.LabelToken("A", "Answer:"), ids[^1]); // the class logit is read at "▁A", the token after "Answer:"
        Assert.Equal(["<s>", "▁Is", "▁this", "▁sp", "am", "?", "▁Answer", ":", "▁A"], tokenizer.Pieces(ids));
    }

    [Fact]
    public void Llama2LabelsMapToTheirSpaceLedPieces()
    {
        var tokenizer = Llama2();

        Assert.Equal(319, tokenizer.LabelToken("A", PromptTokenizer.DefaultLabelContext)); // "▁A"
        var tokens = tokenizer.LabelTokens(["A", "B", "C", "D"], PromptTokenizer.DefaultLabelContext);
        Assert.Equal(4, tokens.Distinct().Count());
        Assert.Equal([319, 350, 315, 360], tokens);
    }

    [Fact]
    public void MultiTokenLabelsAreListedExactlyInTheError()
    {
        var tokenizer = Llama2();

        var ex = Assert.Throws<ArgumentException>(() => tokenizer.LabelTokens(["A", "definitely not spam", "B", "not spam at all"], PromptTokenizer.DefaultLabelContext));

        var listed = Regex.Matches(ex.Message, "'([^']*)'").Select(m => m.Groups[1].Value);
        Assert.Equal(["definitely not spam", "not spam at all"], listed);
        Assert.Contains(PromptTokenizer.SentencePieceFile, ex.Message);
    }

    [Fact]
    public void FolderWithoutATokenizerIsRejectedNamingBothExpectedFiles()
    {
        var ex = Assert.Throws<BundleFormatException>(() => PromptTokenizer.Load(folder.Path));

        Assert.Equal(folder.Path, ex.FilePath);
        Assert.Contains(PromptTokenizer.SentencePieceFile, ex.Message);
        Assert.Contains(PromptTokenizer.HuggingFaceFile, ex.Message);
    }

    [Theory]
    [InlineData("version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 499723\n")] // a Git LFS pointer, not the model
    [InlineData("")]
    public void CorruptSentencePieceModelIsRejectedNamingTheFile(string content)
    {
        folder.Write(PromptTokenizer.SentencePieceFile, content);

        Rejected.Bundle(() => PromptTokenizer.Load(folder.Path), PromptTokenizer.SentencePieceFile, null, "SentencePiece");
    }

    // A BPE model small enough to run by hand. The Split pre-tokenizer keeps its regex's matches (words
    // and punctuation runs) and drops the rest (behavior Removed with invert: whitespace goes).
    private const string HandBpe = """
        {
          "version": "1.0",
          "added_tokens": [{ "id": 0, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true }],
          "normalizer": null,
          "pre_tokenizer": { "type": "Split", "pattern": { "Regex": "\\w+|[^\\w\\s]+" }, "behavior": "Removed", "invert": true },
          "post_processor": { "type": "TemplateProcessing", "single": [{ "SpecialToken": { "id": "<s>", "type_id": 0 } }, { "Sequence": { "id": "A", "type_id": 0 } }],
            "pair": [], "special_tokens": { "<s>": { "id": "<s>", "ids": [0], "tokens": ["<s>"] } } },
          "decoder": null,
          "model": {
            "type": "BPE", "dropout": null, "unk_token": null, "fuse_unk": false, "byte_fallback": false,
            "vocab": { "<s>": 0, "h": 1, "e": 2, "l": 3, "o": 4, "d": 5, "!": 6, "he": 7, "ll": 8, "hell": 9, "hello": 10 },
            "merges": ["h e", "l l", "he ll", "hell o"]
          }
        }
        """;

    [Fact]
    public void HandWrittenBpeEncodesAsItsMergesDictate()
    {
        folder.Write(PromptTokenizer.HuggingFaceFile, HandBpe);
        var tokenizer = PromptTokenizer.Load(folder.Path);

        // "hello": h e l l o -> he l l o -> he ll o -> hell o -> hello.
        // "held":  h e l d -> he l d (no merge joins "he" and "l", or "l" and "d").
        // The post-processor's template puts "<s>" first.
        Assert.Equal([0, 10, 7, 3, 5, 6], tokenizer.EncodePrompt("hello held!"));
        Assert.Equal(10, tokenizer.LabelToken("hello", PromptTokenizer.DefaultLabelContext));
    }

    [Fact]
    public void UnigramTokenizerJsonIsRejectedNamingModelType()
    {
        folder.Write(PromptTokenizer.HuggingFaceFile, """
            { "added_tokens": [], "model": { "type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["▁a", -1.5]] } }
            """);

        Rejected.Bundle(() => PromptTokenizer.Load(folder.Path), PromptTokenizer.HuggingFaceFile, "model.type", "Unigram");
    }

    // The hand BPE with one part replaced, for the refusals below.
    private static string HandBpeWith(string from, string to)
    {
        Assert.Contains(from, HandBpe);
        return HandBpe.Replace(from, to);
    }

    [Theory]
    [InlineData("\"pre_tokenizer\": { \"type\": \"Split\"", "\"pre_tokenizer\": { \"type\": \"Digits\"", "pre_tokenizer.type", "Digits")]
    [InlineData("\"version\": \"1.0\"", "\"version\": \"1.0\", \"unused\": 1", "unused", "not supported")]
    [InlineData("\"dropout\": null", "\"dropout\": 0.1", "model.dropout", "dropout")]
    [InlineData("\"normalizer\": null", "\"normalizer\": { \"type\": \"BertNormalizer\" }", "normalizer.type", "BertNormalizer")]
    [InlineData("\"version\": \"1.0\"", "\"version\": \"1.0\", \"truncation\": { \"max_length\": 8 }", "truncation", "truncate")]
    [InlineData("\"invert\": true", "\"invert\": true, \"flags\": 1", "pre_tokenizer.flags", "not supported")]
    public void ATokenizerJsonComponentOrFlagThatIsNotImplementedIsRefusedByItsKey(string from, string to, string key, string word)
    {
        folder.Write(PromptTokenizer.HuggingFaceFile, HandBpeWith(from, to));

        Rejected.Bundle(() => PromptTokenizer.Load(folder.Path), PromptTokenizer.HuggingFaceFile, key, word);
    }

    [Fact]
    public void TokenizerConfigOverridesTheTemplatesBos()
    {
        folder.Write(PromptTokenizer.HuggingFaceFile, HandBpe);
        folder.Write("tokenizer_config.json", """{ "add_bos_token": false, "chat_template": "ignored" }""");

        Assert.Equal([10], PromptTokenizer.Load(folder.Path).EncodePrompt("hello"));
    }

    [Fact]
    public void AUnigramSentencePieceModelIsRefusedByName()
    {
        // A ModelProto with one normal piece and trainer_spec.model_type = UNIGRAM (1), written field by field.
        byte[] piece = [0x0A, 0x01, (byte)'a', 0x15, 0, 0, 0, 0];
        byte[] model = [0x0A, (byte)piece.Length, .. piece, 0x12, 0x02, 0x18, 0x01];
        folder.Write(PromptTokenizer.SentencePieceFile, "");
        File.WriteAllBytes(folder.File(PromptTokenizer.SentencePieceFile), model);

        Rejected.Bundle(() => PromptTokenizer.Load(folder.Path), PromptTokenizer.SentencePieceFile, null, "UNIGRAM");
    }
}
