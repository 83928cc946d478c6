using System.Text.Json;
using UncertaintyService.Core.Formats;

namespace UncertaintyService.Core.Tokenization;

/// <summary>
/// The settings of a model folder's tokenizer_config.json that decide the tokens around a prompt:
/// <c>add_bos_token</c>, <c>add_eos_token</c>, <c>bos_token</c>, <c>eos_token</c> (a string or an
/// object with <c>content</c>). Its other keys (chat templates and the like) do not change encoding and
/// are not read.
/// </summary>
internal sealed record TokenizerConfig(bool? AddBos, bool? AddEos, string? BosToken, string? EosToken)
{
    public const string FileName = "tokenizer_config.json";

    public static readonly TokenizerConfig Absent = new(null, null, null, null);

    public static TokenizerConfig Load(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return Absent;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new BundleFormatException(path, null, "must be a JSON object");
            return new TokenizerConfig(Flag(root, "add_bos_token", path), Flag(root, "add_eos_token", path), Token(root, "bos_token", path), Token(root, "eos_token", path));
        }
        catch (JsonException e)
        {
            throw new BundleFormatException(path, null, $"is not JSON ({e.Message})", e);
        }
    }

    private static bool? Flag(JsonElement root, string key, string path) =>
        !root.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean()
        : throw new BundleFormatException(path, key, $"must be true or false, not {value.GetRawText()}");

    private static string? Token(JsonElement root, string key, string path)
    {
        if (!root.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
            return content.GetString();
        throw new BundleFormatException(path, key, $"must be a string or an object with a string 'content', not {value.GetRawText()}");
    }
}
