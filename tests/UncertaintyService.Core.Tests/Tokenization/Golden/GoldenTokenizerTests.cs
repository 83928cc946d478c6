using System.Text;
using UncertaintyService.Core.Tokenization;

namespace UncertaintyService.Core.Tests.Tokenization.Golden;

/// <summary>
/// Every string of <see cref="GoldenCorpus"/> encoded by the service's tokenizer and by the reference
/// implementation of its file must give the same ids: Google's SentencePiece for Llama 2's
/// tokenizer.model, Hugging Face's tokenizers for the tokenizer.json of Llama 2, Llama 3, Llama 3.1,
/// Qwen3 and Gemma 3. Each run appends its counts to $TOKENIZER_GOLDEN_REPORT when set (CI prints it).
/// </summary>
public sealed class GoldenTokenizerTests
{
    public const string SentencePieceLlama2 = "llama2 tokenizer.model";

    private static readonly Lazy<IReadOnlyList<string>> Corpus = new(GoldenCorpus.Build);

    public static TheoryData<string> Tokenizers => [SentencePieceLlama2, "llama2", "llama3", "llama3_1", "qwen3", "gemma3"];

    [Fact]
    public void CorpusHoldsAtLeast3000StringsOfEveryKind()
    {
        var corpus = Corpus.Value;
        Assert.True(corpus.Count >= 3000, $"{corpus.Count} strings");
        Assert.Contains("", corpus);
        Assert.Contains(new string('\t', 40), corpus);
        Assert.Contains("👨‍👩‍👧‍👦", corpus);
        Assert.Contains("<|begin_of_text|>", corpus);
    }

    [Theory]
    [MemberData(nameof(Tokenizers))]
    public void EveryCorpusStringEncodesAsTheReferenceImplementationEncodesIt(string name)
    {
        var corpus = Corpus.Value;
        PromptTokenizer tokenizer;
        List<int[]> expected;
        if (name == SentencePieceLlama2)
        {
            tokenizer = PromptTokenizer.Load(Path.GetDirectoryName(RepositoryFiles.Llama2Tokenizer)!);
            expected = ReferenceEncodings.SentencePiece(RepositoryFiles.Llama2Tokenizer, corpus);
        }
        else
        {
            string folder = ReferenceEncodings.HuggingFaceFolder(name);
            tokenizer = PromptTokenizer.Load(folder);
            expected = ReferenceEncodings.HuggingFace(folder, corpus);
        }
        Assert.Equal(corpus.Count, expected.Count);

        var mismatches = new List<int>();
        for (int i = 0; i < corpus.Count; i++)
            if (!tokenizer.EncodePrompt(corpus[i]).SequenceEqual(expected[i])) mismatches.Add(i);

        if (Environment.GetEnvironmentVariable("TOKENIZER_GOLDEN_REPORT") is { Length: > 0 } report)
            File.AppendAllText(report, $"golden tokenizer {name}: {corpus.Count} strings, {mismatches.Count} mismatches\n");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {corpus.Count} strings differ; the first:\n"
            + string.Join("\n", mismatches.Take(8).Select(i => Describe(corpus[i], tokenizer.EncodePrompt(corpus[i]), expected[i]))));
    }

    private static string Describe(string text, int[] actual, int[] expected)
    {
        string Escaped(string s) => new StringBuilder(s).Replace("\n", "\\n").Replace("\t", "\\t").ToString();
        return $"  \"{Escaped(text.Length > 120 ? text[..120] + "..." : text)}\"\n    service   [{string.Join(", ", actual)}]\n    reference [{string.Join(", ", expected)}]";
    }
}
