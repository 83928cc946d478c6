using System.Text.Json;
using System.Text.Json.Nodes;

namespace UncertaintyService.Core.Formats;

/// <summary>
/// Reads small snake_case JSON files into records, refusing keys that the record does not bind, so a
/// setting the user wrote is never silently dropped.
/// </summary>
public static class StrictJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Parses <paramref name="json"/> into <typeparamref name="T"/>. Keys in
    /// <paramref name="ignoredKeys"/> are accepted and skipped (metadata that does not change the
    /// computation); any other key the record lacks is an error naming it.
    /// </summary>
    public static T Parse<T>(string json, string filePath, IReadOnlySet<string>? ignoredKeys = null) =>
        Bind<T>(ReadObject(json, filePath), filePath, ignoredKeys);

    public static JsonObject ReadObject(string json, string filePath)
    {
        try
        {
            return JsonNode.Parse(json, documentOptions: new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            }) as JsonObject ?? throw new BundleFormatException(filePath, null, "expected a JSON object");
        }
        catch (JsonException e)
        {
            throw new BundleFormatException(filePath, null, $"not valid JSON ({e.Message})", e);
        }
    }

    public static T Bind<T>(JsonObject root, string filePath, IReadOnlySet<string>? ignoredKeys = null)
    {
        if (ignoredKeys is not null)
        {
            foreach (var key in root.Select(p => p.Key).Where(ignoredKeys.Contains).ToList())
                root.Remove(key);
        }

        try
        {
            return root.Deserialize<T>(Options) ?? throw new BundleFormatException(filePath, null, "empty document");
        }
        catch (JsonException e)
        {
            var key = e.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : null;
            throw new BundleFormatException(filePath, key, Explain(e), e);
        }
    }

    public static T Load<T>(string filePath, IReadOnlySet<string>? ignoredKeys = null)
    {
        if (!File.Exists(filePath))
            throw new BundleFormatException(filePath, null, "file not found");
        return Parse<T>(File.ReadAllText(filePath), filePath, ignoredKeys);
    }

    /// <summary>Writes the whole file or nothing: a temporary file beside it, then renamed over it.</summary>
    public static void Save<T>(string filePath, T value)
    {
        string temporary = $"{filePath}.{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllText(temporary, JsonSerializer.Serialize(value, Options));
            File.Move(temporary, filePath, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static string Explain(JsonException e) =>
        e.Message.Contains("could not be mapped", StringComparison.Ordinal)
            ? "unknown key: not a setting this version understands"
            : e.Message;
}
