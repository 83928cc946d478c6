using System.Text.RegularExpressions;

namespace UncertaintyService.Data;

/// <summary>
/// Splits a gloss such as <c>an assemblage of parts ...; "how big is that part compared to the whole?"; "the team is a unit"</c>
/// into its definition (before the first quote) and its quoted usage examples. Text after a closing
/// quote that is not quoted (attributions like <c>- Shakespeare</c>) belongs to neither.
/// </summary>
public static partial class WordNetGloss
{
    public static string Definition(string gloss)
    {
        var quote = gloss.IndexOf('"');
        var definition = quote < 0 ? gloss : gloss[..quote];
        return definition.Trim().TrimEnd(';').Trim();
    }

    public static IReadOnlyList<string> Examples(string gloss)
    {
        var quote = gloss.IndexOf('"');
        if (quote < 0) return [];
        return Quoted().Matches(gloss[quote..])
            .Select(m => m.Groups[1].Value.Trim())
            .Where(example => example.Length > 0)
            .ToList();
    }

    [GeneratedRegex("\"([^\"]*)\"")]
    private static partial Regex Quoted();
}
