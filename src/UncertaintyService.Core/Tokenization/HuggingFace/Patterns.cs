using System.Text.RegularExpressions;

namespace UncertaintyService.Core.Tokenization.HuggingFace;

/// <summary>A tokenizer.json pattern: <c>{"String": "..."}</c> (literal) or <c>{"Regex": "..."}</c>.</summary>
internal static class Patterns
{
    public static Regex Read(JsonNode node)
    {
        node.AllowOnly("String", "Regex");
        if (node.Optional("String") is { } literal) return new Regex(Regex.Escape(literal.String()), RegexOptions.CultureInvariant);
        var source = node.Child("Regex");
        try
        {
            return new Regex(source.String(), RegexOptions.CultureInvariant | RegexOptions.Compiled);
        }
        catch (ArgumentException e)
        {
            throw source.Error($"is not a regular expression .NET can compile ({e.Message})");
        }
    }
}
