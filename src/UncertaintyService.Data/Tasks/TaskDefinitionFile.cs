using System.Text.Json;
using System.Text.Json.Serialization;

namespace UncertaintyService.Data;

/// <summary>
/// A task's <c>task.json</c>, with exactly the keys the service's strict reader accepts (no hashes, no
/// counts: extra keys would make it refuse the file). <see cref="PromptTemplate"/>'s <c>{field}</c>
/// placeholders, filled in, give exactly the prompts of the JSONL file.
/// </summary>
public sealed record TaskDefinitionFile(
    IReadOnlyList<string> Labels,
    IReadOnlyList<string> LabelTokens,
    string PromptTemplate,
    string Description)
{
    public const string FileName = "task.json";

    [JsonPropertyOrder(-1)]
    public string Kind { get; init; } = "classification";

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // Fixed, so the file is byte-identical on every platform.
        NewLine = "\n",
        // Quotes and apostrophes in the description stay readable instead of becoming \u0022; the file
        // is never embedded in HTML, the only place the relaxed escaping would matter.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions) + "\n";

    public static TaskDefinitionFile FromJson(string json) =>
        JsonSerializer.Deserialize<TaskDefinitionFile>(json, JsonOptions)
        ?? throw new FormatException("task.json is empty");

    /// <summary>The template with each <c>{name}</c> replaced by its value.</summary>
    public string Fill(IReadOnlyList<(string Name, string Value)> fields)
    {
        // One pass over the template, so a value that itself contains "{a}" is never substituted again.
        var values = fields.ToDictionary(f => f.Name, f => f.Value, StringComparer.Ordinal);
        return System.Text.RegularExpressions.Regex.Replace(PromptTemplate, @"\{([A-Za-z_][A-Za-z0-9_]*)\}",
            m => values.TryGetValue(m.Groups[1].Value, out var value)
                ? value
                : throw new ArgumentException($"no value for placeholder {m.Value}", nameof(fields)));
    }
}
