using System.Text;

namespace UncertaintyService.Core.Tokenization.HuggingFace;

/// <summary>tokenizer.json normalizers: each turns a section of text into the text the model's pieces spell.</summary>
internal static class Normalizers
{
    public static Func<string, string> Read(JsonNode node)
    {
        switch (node.Type())
        {
            case "Sequence":
                node.AllowOnly("type", "normalizers");
                var steps = node.Child("normalizers").Items().Select(Read).ToList();
                return text => steps.Aggregate(text, (current, step) => step(current));
            case "Prepend":
                node.AllowOnly("type", "prepend");
                string prefix = node.Child("prepend").String();
                // The Rust crate prepends only to non-empty text.
                return text => text.Length == 0 ? text : prefix + text;
            case "Replace":
                node.AllowOnly("type", "pattern", "content");
                var pattern = Patterns.Read(node.Child("pattern"));
                string content = node.Child("content").String();
                return text => pattern.Replace(text, content);
            case "NFC": node.AllowOnly("type"); return text => text.Normalize(NormalizationForm.FormC);
            case "NFD": node.AllowOnly("type"); return text => text.Normalize(NormalizationForm.FormD);
            case "NFKC": node.AllowOnly("type"); return text => text.Normalize(NormalizationForm.FormKC);
            case "NFKD": node.AllowOnly("type"); return text => text.Normalize(NormalizationForm.FormKD);
            case "Lowercase": node.AllowOnly("type"); return text => text.ToLowerInvariant();
            case "Strip":
                node.AllowOnly("type", "strip_left", "strip_right");
                bool left = node.Flag("strip_left", false), right = node.Flag("strip_right", false);
                return text => left && right ? text.Trim() : left ? text.TrimStart() : right ? text.TrimEnd() : text;
            default:
                throw node.Child("type").Error($"normalizer '{node.Type()}' is not supported (Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD, Lowercase, Strip are)");
        }
    }
}
