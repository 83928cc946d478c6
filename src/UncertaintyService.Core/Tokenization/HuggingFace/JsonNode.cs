using System.Text.Json;
using UncertaintyService.Core.Formats;

namespace UncertaintyService.Core.Tokenization.HuggingFace;

/// <summary>
/// A JSON value of tokenizer.json with its path ("pre_tokenizer.pretokenizers[1].behavior"), so that
/// every refusal names the file, the key and the value.
/// </summary>
internal readonly struct JsonNode(string file, JsonElement element, string path)
{
    public string File { get; } = file;
    public JsonElement Element { get; } = element;
    public string Path { get; } = path;

    public bool IsNull => Element.ValueKind == JsonValueKind.Null;

    public BundleFormatException Error(string message) => new(File, Path, message);

    public JsonNode Child(string name) =>
        Optional(name) is { } child ? child : throw new BundleFormatException(File, Join(name), "is required");

    /// <summary>The member, or null when it is missing or JSON null.</summary>
    public JsonNode? Optional(string name)
    {
        if (Element.ValueKind != JsonValueKind.Object) throw Error($"must be an object, not {Element.ValueKind}");
        return Element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? new JsonNode(File, value, Join(name)) : null;
    }

    public IEnumerable<JsonNode> Items()
    {
        if (Element.ValueKind != JsonValueKind.Array) throw Error($"must be an array, not {Element.ValueKind}");
        int i = 0;
        foreach (var item in Element.EnumerateArray()) yield return new JsonNode(File, item, $"{Path}[{i++}]");
    }

    public string String() => Element.ValueKind == JsonValueKind.String ? Element.GetString()! : throw Error($"must be a string, not {Element.ValueKind}");

    public int Int() => Element.ValueKind == JsonValueKind.Number && Element.TryGetInt32(out int v) ? v : throw Error($"must be a 32-bit integer, not {Element.GetRawText()}");

    public bool Bool() => Element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Error($"must be true or false, not {Element.GetRawText()}"),
    };

    public string Type() => Child("type").String();

    public bool Flag(string name, bool fallback) => Optional(name)?.Bool() ?? fallback;

    /// <summary>Refuses any member not listed: a setting this project does not implement must not be silently ignored.</summary>
    public JsonNode AllowOnly(params string[] names)
    {
        if (Element.ValueKind != JsonValueKind.Object) throw Error($"must be an object, not {Element.ValueKind}");
        foreach (var property in Element.EnumerateObject())
            if (!names.Contains(property.Name, StringComparer.Ordinal))
                throw new BundleFormatException(File, Join(property.Name), $"is not supported (value {Abbreviate(property.Value.GetRawText())})");
        return this;
    }

    /// <summary>Refuses a member whose value is present (not null) and not one of the accepted ones.</summary>
    public void Require(string name, Func<JsonElement, bool> accepted, string what)
    {
        if (Element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null && !accepted(value))
            throw new BundleFormatException(File, Join(name), $"{Abbreviate(value.GetRawText())} is not supported ({what})");
    }

    private string Join(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    private static string Abbreviate(string raw) => raw.Length <= 80 ? raw : raw[..77] + "...";
}
