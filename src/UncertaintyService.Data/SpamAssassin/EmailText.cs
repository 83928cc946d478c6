using System.Text.RegularExpressions;

namespace UncertaintyService.Data;

/// <summary>
/// Turns a raw RFC 822 e-mail into the short text a prompt shows: the headers go (everything up to the
/// first blank line), MIME boundary lines and part headers go, base64 parts go, HTML tags go, whitespace
/// collapses to single spaces, and the result is cut to a maximum length. Nothing is decoded
/// (quoted-printable and entities stay as written): the model sees what a plain-text reader would.
/// </summary>
public static partial class EmailText
{
    public const int DefaultMaxCharacters = 1000;

    public static string Clean(string rawEmail, int maxCharacters = DefaultMaxCharacters)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCharacters);
        var lines = rawEmail.Split('\n').Select(line => line.TrimEnd('\r')).ToList();
        var headerEnd = lines.FindIndex(string.IsNullOrWhiteSpace);
        if (headerEnd < 0) return "";

        var body = BodyLines(lines, headerEnd, IsBase64(lines.Take(headerEnd)));
        var text = string.Join('\n', body);
        text = StyleOrScript().Replace(text, " ");
        text = HtmlCommentOrDeclaration().Replace(text, " ");
        text = HtmlTag().Replace(text, " ");
        text = Whitespace().Replace(text, " ").Trim();
        return Truncate(text, maxCharacters);
    }

    // Walks the body once: a boundary line starts a part whose headers (if any) are skipped, and a
    // part declared base64 is skipped up to the next boundary.
    private static List<string> BodyLines(List<string> lines, int headerEnd, bool wholeBodyIsBase64)
    {
        var kept = new List<string>();
        var skippingBase64 = wholeBodyIsBase64;
        for (var i = headerEnd + 1; i < lines.Count; i++)
        {
            var line = lines[i];
            if (BoundaryLine().IsMatch(line))
            {
                skippingBase64 = false;
                if (i + 1 < lines.Count && HeaderLine().IsMatch(lines[i + 1]))
                {
                    var partHeaderEnd = lines.FindIndex(i + 1, string.IsNullOrWhiteSpace);
                    if (partHeaderEnd < 0) partHeaderEnd = lines.Count;
                    skippingBase64 = IsBase64(lines.Skip(i + 1).Take(partHeaderEnd - i - 1));
                    i = partHeaderEnd;
                }
                continue;
            }
            if (skippingBase64 || Base64Line().IsMatch(line)) continue;
            kept.Add(line);
        }
        return kept;
    }

    private static bool IsBase64(IEnumerable<string> headers) => headers.Any(h => Base64Encoding().IsMatch(h));

    private static string Truncate(string text, int maxCharacters)
    {
        if (text.Length <= maxCharacters) return text;
        var cut = maxCharacters;
        // Never split a surrogate pair: half an emoji is not valid UTF-16, and not valid JSON text.
        if (char.IsHighSurrogate(text[cut - 1])) cut--;
        return text[..cut].TrimEnd();
    }

    // "--" then the boundary token, e.g. "------=_NextPart_000_0007_01C2..." or its closing "--...--".
    [GeneratedRegex(@"^--\S+\s*$")]
    private static partial Regex BoundaryLine();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9-]*:")]
    private static partial Regex HeaderLine();

    [GeneratedRegex(@"^Content-Transfer-Encoding:\s*base64", RegexOptions.IgnoreCase)]
    private static partial Regex Base64Encoding();

    // A stray base64 line outside a declared part: long, no spaces, base64 alphabet only.
    [GeneratedRegex(@"^[A-Za-z0-9+/]{40,}={0,2}\s*$")]
    private static partial Regex Base64Line();

    [GeneratedRegex(@"<(style|script)\b.*?</\1\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex StyleOrScript();

    [GeneratedRegex(@"<!--.*?-->|<![A-Za-z][^>]*>", RegexOptions.Singleline)]
    private static partial Regex HtmlCommentOrDeclaration();

    // Tags only: "<john@example.com>" has no tag shape and stays.
    [GeneratedRegex(@"</?[A-Za-z][A-Za-z0-9]*(\s[^>]*)?/?>")]
    private static partial Regex HtmlTag();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
