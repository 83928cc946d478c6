using System.Text;
using System.Text.RegularExpressions;

namespace UncertaintyService.Core.Tokenization.HuggingFace;

/// <summary>
/// tokenizer.json pre-tokenizers: each splits a normalized section into the words BPE sees separately.
/// <c>first</c> says whether the section starts the text (Metaspace's prepend_scheme "first").
/// </summary>
internal delegate IEnumerable<string> PreTokenizer(string section, bool first);

internal static partial class PreTokenizers
{
    public static PreTokenizer Read(JsonNode node)
    {
        switch (node.Type())
        {
            case "Sequence":
                node.AllowOnly("type", "pretokenizers");
                var steps = node.Child("pretokenizers").Items().Select(Read).ToList();
                return (section, first) => steps.Aggregate<PreTokenizer, IEnumerable<string>>([section],
                    (pieces, step) => pieces.SelectMany(piece => step(piece, first)).ToList());
            case "Split":
            {
                node.AllowOnly("type", "pattern", "behavior", "invert");
                var pattern = Patterns.Read(node.Child("pattern"));
                var behaviorNode = node.Child("behavior");
                var behavior = behaviorNode.String() switch
                {
                    "Removed" => SplitBehavior.Removed,
                    "Isolated" => SplitBehavior.Isolated,
                    "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
                    "MergedWithNext" => SplitBehavior.MergedWithNext,
                    "Contiguous" => SplitBehavior.Contiguous,
                    var other => throw behaviorNode.Error($"'{other}' is not a split behavior"),
                };
                bool invert = node.Flag("invert", false);
                return (section, _) => Split(section, pattern, behavior, invert);
            }
            case "ByteLevel":
            {
                node.AllowOnly("type", "add_prefix_space", "trim_offsets", "use_regex");
                bool addPrefixSpace = node.Flag("add_prefix_space", true), useRegex = node.Flag("use_regex", true);
                return (section, _) =>
                {
                    if (addPrefixSpace && !section.StartsWith(' ')) section = " " + section;
                    var words = useRegex ? Split(section, Gpt2Words(), SplitBehavior.Isolated, invert: false) : [section];
                    return words.Select(ByteLevelAlphabet.Encode);
                };
            }
            case "Metaspace":
            {
                node.AllowOnly("type", "replacement", "prepend_scheme", "split", "add_prefix_space", "str_rep");
                string replacement = node.Child("replacement").String();
                var schemeNode = node.Optional("prepend_scheme");
                string scheme = schemeNode?.String() ?? (node.Flag("add_prefix_space", true) ? "always" : "never");
                if (scheme is not ("always" or "first" or "never")) throw schemeNode!.Value.Error($"'{scheme}' is not a prepend scheme");
                bool split = node.Flag("split", true);
                var separator = new Regex(Regex.Escape(replacement), RegexOptions.CultureInvariant);
                return (section, first) =>
                {
                    section = section.Replace(" ", replacement, StringComparison.Ordinal);
                    if ((scheme == "always" || (scheme == "first" && first)) && !section.StartsWith(replacement, StringComparison.Ordinal))
                        section = replacement + section;
                    return split ? Split(section, separator, SplitBehavior.MergedWithNext, invert: false) : [section];
                };
            }
            default:
                throw node.Child("type").Error($"pre-tokenizer '{node.Type()}' is not supported (Sequence, Split, ByteLevel, Metaspace are)");
        }
    }

    public enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

    /// <summary>
    /// The Rust crate's <c>NormalizedString::split</c>: the text cut into pattern matches and the gaps
    /// between them, then matches dropped, kept alone, joined to a neighbour or runs of them joined.
    /// </summary>
    public static List<string> Split(string text, Regex pattern, SplitBehavior behavior, bool invert)
    {
        var spans = new List<(int Start, int End, bool IsMatch)>();
        int position = 0;
        foreach (Match m in pattern.Matches(text))
        {
            if (m.Length == 0) continue;
            if (m.Index > position) spans.Add((position, m.Index, false));
            spans.Add((m.Index, m.Index + m.Length, true));
            position = m.Index + m.Length;
        }
        if (position < text.Length) spans.Add((position, text.Length, false));
        if (invert) spans = spans.Select(s => (s.Start, s.End, !s.IsMatch)).ToList();

        var kept = new List<(int Start, int End)>();
        bool previousMatch = false;
        switch (behavior)
        {
            case SplitBehavior.Isolated:
                kept.AddRange(spans.Select(s => (s.Start, s.End)));
                break;
            case SplitBehavior.Removed:
                kept.AddRange(spans.Where(s => !s.IsMatch).Select(s => (s.Start, s.End)));
                break;
            case SplitBehavior.Contiguous:
                foreach (var s in spans)
                {
                    if (s.IsMatch && previousMatch && kept.Count > 0) kept[^1] = (kept[^1].Start, s.End);
                    else kept.Add((s.Start, s.End));
                    previousMatch = s.IsMatch;
                }
                break;
            case SplitBehavior.MergedWithPrevious:
                foreach (var s in spans)
                {
                    if (s.IsMatch && !previousMatch && kept.Count > 0) kept[^1] = (kept[^1].Start, s.End);
                    else kept.Add((s.Start, s.End));
                    previousMatch = s.IsMatch;
                }
                break;
            case SplitBehavior.MergedWithNext:
                for (int i = spans.Count - 1; i >= 0; i--)
                {
                    var s = spans[i];
                    if (s.IsMatch && !previousMatch && kept.Count > 0) kept[^1] = (s.Start, kept[^1].End);
                    else kept.Add((s.Start, s.End));
                    previousMatch = s.IsMatch;
                }
                kept.Reverse();
                break;
        }
        return kept.Where(k => k.End > k.Start).Select(k => text[k.Start..k.End]).ToList();
    }

    // GPT-2's word pattern, which ByteLevel applies when use_regex is true.
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Gpt2Words();
}

/// <summary>GPT-2's byte-level alphabet: every UTF-8 byte as one printable character ("Ġ" for a space).</summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = Build();

    public static string Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    // Printable bytes map to themselves; the other 68 take the characters from U+0100 on, in byte order.
    private static char[] Build()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }
}
