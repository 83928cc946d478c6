using System.Globalization;

namespace UncertaintyService.Core.Tokenization.HuggingFace;

/// <summary>
/// tokenizer.json's added_tokens: found in the text before the model sees it (leftmost, then longest),
/// the ones marked <c>normalized</c> in the normalized text, the others in the raw text; <c>lstrip</c>
/// and <c>rstrip</c> swallow the whitespace beside a match, <c>single_word</c> matches only whole words.
/// As in the Rust crate's default encoding, special and ordinary added tokens alike are recognised.
/// </summary>
internal sealed class AddedVocabulary
{
    public sealed record Token(int Id, string Content, bool Special, bool LeftStrip, bool RightStrip, bool Normalized, bool SingleWord);

    private readonly Dictionary<char, List<Token>> raw = [], normalizedByFirstChar = [];

    public AddedVocabulary(IReadOnlyList<Token> tokens, Func<string, string>? normalizer)
    {
        Tokens = tokens;
        foreach (var token in tokens)
        {
            string content = token.Normalized && normalizer is not null ? normalizer(token.Content) : token.Content;
            if (content.Length == 0) continue;
            var index = token.Normalized && normalizer is not null ? normalizedByFirstChar : raw;
            if (!index.TryGetValue(content[0], out var list)) index[content[0]] = list = [];
            list.Add(token with { Content = content });
        }
        foreach (var list in raw.Values.Concat(normalizedByFirstChar.Values)) list.Sort((a, b) => b.Content.Length.CompareTo(a.Content.Length));
    }

    public IReadOnlyList<Token> Tokens { get; }

    public static AddedVocabulary Read(JsonNode? node, Func<string, string>? normalizer)
    {
        var tokens = new List<Token>();
        foreach (var item in node?.Items() ?? [])
        {
            item.AllowOnly("id", "content", "single_word", "lstrip", "rstrip", "normalized", "special");
            bool special = item.Flag("special", false);
            tokens.Add(new Token(item.Child("id").Int(), item.Child("content").String(), special, item.Flag("lstrip", false),
                item.Flag("rstrip", false), item.Flag("normalized", !special), item.Flag("single_word", false)));
        }
        return new AddedVocabulary(tokens, normalizer);
    }

    /// <summary>The text cut into added tokens (Id set) and the text between them (Id null), in order.</summary>
    public List<(string Text, int? Id)> SplitRaw(string text) => Split(text, raw);

    public List<(string Text, int? Id)> SplitNormalized(string text) => Split(text, normalizedByFirstChar);

    private static List<(string Text, int? Id)> Split(string text, Dictionary<char, List<Token>> index)
    {
        var parts = new List<(string Text, int? Id)>();
        if (index.Count == 0)
        {
            parts.Add((text, null));
            return parts;
        }
        int gapStart = 0, i = 0;
        while (i < text.Length)
        {
            var token = index.TryGetValue(text[i], out var candidates)
                ? candidates.FirstOrDefault(t => string.CompareOrdinal(text, i, t.Content, 0, t.Content.Length) == 0
                    && (!t.SingleWord || IsWordBoundary(text, i, i + t.Content.Length)))
                : null;
            if (token is null)
            {
                i++;
                continue;
            }
            int start = i, end = i + token.Content.Length;
            if (token.LeftStrip) while (start > gapStart && char.IsWhiteSpace(text[start - 1])) start--;
            if (token.RightStrip) while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            if (start > gapStart) parts.Add((text[gapStart..start], null));
            parts.Add((token.Content, token.Id));
            gapStart = i = end;
        }
        if (gapStart < text.Length) parts.Add((text[gapStart..], null));
        return parts;
    }

    private static bool IsWordBoundary(string text, int start, int end) =>
        (start == 0 || !IsWordCharacter(text[start - 1])) && (end == text.Length || !IsWordCharacter(text[end]));

    private static bool IsWordCharacter(char c) => c == '_' || char.IsLetterOrDigit(c)
        || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;
}
